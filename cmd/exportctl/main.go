// Command exportctl is the command-line client of exportd's v1 export API:
// request an export, wait for it with progress, download its file once
// (verified against the server's SHA-256), list, cancel, and show the export
// types. It is built on the public client package only.
//
// Run `exportctl help` for the commands, the environment and the exit codes;
// docs/exportctl.md has the same with examples.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := &app{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, tty: isTerminal(os.Stderr)}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device (a terminal) and the
// terminal is not a dumb one, without a dependency.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return os.Getenv("TERM") != "dumb"
}
