#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 10s).
# Go's fuzzer sometimes ends a run that found nothing with "context deadline
# exceeded" when the time runs out mid-execution; such a run is tried again
# once. A real failure names its failing input and always fails the script.
set -euo pipefail
t=${1:-10s}
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    for try in 1 2; do
      echo "fuzz $pkg $target ($t)"
      if out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg" 2>&1); then
        echo "$out" | tail -n 1
        break
      fi
      echo "$out"
      if [ "$try" = 2 ] || echo "$out" | grep -q "Failing input" || ! echo "$out" | grep -q "context deadline exceeded"; then
        exit 1
      fi
      echo "fuzz: $target stopped on the fuzzer's own deadline, not on an input: trying again"
    done
  done
done
