# exportd — make help lists the targets.
GO ?= go
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: help test test-short fuzz bench lint fmt demo build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

test: ## run the whole test suite (what CI runs): libraries with the race detector, end-to-end suites without
	$(GO) test -race -timeout 20m ./internal/... ./client/...
	$(GO) test -timeout 20m ./cmd/...

test-short: ## run the quick tests only
	$(GO) test -short ./...

fuzz: ## run every fuzz target for 20 seconds each
	./scripts/fuzz.sh 20s

bench: ## export 1,000,000 subscriptions and compare with sqlite3 -csv (rows/s, MB/s, peak RSS)
	$(GO) run ./internal/bench/cmd/exportbench

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt: the files above need formatting" && exit 1)
	$(GO) vet ./...
	$(STATICCHECK) ./...

fmt: ## format the code
	gofmt -w .

build: ## build the exportd binary
	$(GO) build -o exportd ./cmd/exportd

demo: ## run exportd on its embedded default with demo data
	$(GO) run ./cmd/exportd demo
