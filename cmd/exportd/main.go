// Command exportd runs bulk data exports of a subscription-billing platform:
// the API (Pelcro v1 dialect), the workers that write the files, the janitor
// and the notifier, in one binary. See README.md and `exportd help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "exportd:", err)
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			os.Exit(coded.ExitCode())
		}
		os.Exit(1)
	}
}

// Main is the program, so that tests can run the real thing in-process.
type Main struct {
	Stdout, Stderr io.Writer
	// Listening, when set, receives the API's address once it accepts connections.
	Listening func(addr string)
}

var errUsage = errors.New("usage")

const usage = `exportd runs bulk data exports in the background.

Commands:
  serve             API, workers, janitor and notifier in one process
  demo              serve a fresh embedded store with demo data; prints a request to paste
  migrate           apply the schema migrations and exit
  accounts create   --name N --tier enterprise|standard --email E [--sites K]
  keys create       --account ID --email E
  seed              --site ID [--customers N] [--seed S] [--months M]
  import            --site ID --entity NAME FILE|-  or  --site ID --dir DIR   (billing records; exit 3: some rejected)
  webhooks add      --account ID --url URL   (also: webhooks list --account ID, webhooks remove --id ID)
  webhooks deliveries --account ID [--state pending,dead] [--channel webhook|email|all]
                    deliveries not yet made or given up, with their attempts and last error

Every command takes --data DIR, --db and --blob; every flag also reads EXPORTD_<FLAG>.
Run "exportd COMMAND -h" for a command's flags.
`

// Run runs one command; ctx ending is SIGTERM: serve drains and returns.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	sub := func() (string, []string) {
		if len(rest) == 0 {
			return "", nil
		}
		return rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return m.serve(ctx, rest)
	case "demo":
		return m.demo(ctx, rest)
	case "migrate":
		return m.migrate(ctx, rest)
	case "seed":
		return m.seed(ctx, rest)
	case "import":
		return m.importCmd(ctx, rest)
	case "accounts":
		if s, r := sub(); s == "create" {
			return m.accountsCreate(ctx, r)
		}
	case "keys":
		if s, r := sub(); s == "create" {
			return m.keysCreate(ctx, r)
		}
	case "webhooks":
		switch s, r := sub(); s {
		case "add":
			return m.webhooksAdd(ctx, r)
		case "list":
			return m.webhooksList(ctx, r)
		case "remove":
			return m.webhooksRemove(ctx, r)
		case "deliveries":
			return m.webhooksDeliveries(ctx, r)
		}
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprintf(m.Stderr, "exportd: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
