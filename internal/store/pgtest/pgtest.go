// Package pgtest runs a real PostgreSQL server for tests: one throwaway
// cluster per test binary (initdb into a temporary directory, started on a
// free loopback port with fsync off), and a fresh database per test.
//
// A package that uses it stops the server when its tests end:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// The server is also told to exit when the test process dies. When the
// PostgreSQL binaries (initdb, postgres) are missing, tests that ask for a
// database are skipped, or fail when the CI environment variable is "true":
// CI installs them (.ci/run).
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway cluster.
type Server struct {
	dir  string // temporary directory: data/, the socket, the log
	port int
	bin  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	exit chan error
	seq  atomic.Int64
}

var (
	once     sync.Once
	shared   *Server
	startErr error
	errNoPG  = errors.New("PostgreSQL binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin")
)

// Main runs the tests and then stops the server, if one was started; it
// returns the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// URL returns the connection URL of a new, empty database for this test,
// starting the server on first use. The database is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	s := start(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.seq.Add(1))
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer admin.Close(ctx)
	// Production databases rarely sort in byte order: where the server has
	// ICU, test databases sort as en-US does, so that a query that relies on
	// the default collation shows up.
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8'
		LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`); err != nil {
		if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
			t.Fatalf("pgtest: create database: %v", err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, s.url("postgres"))
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return s.url(name)
}

// Shared returns the server that URL's databases are on, starting it on first
// use: for tests that stop and restart it (Halt, Resume).
func Shared(t testing.TB) *Server {
	t.Helper()
	return start(t)
}

func start(t testing.TB) *Server {
	t.Helper()
	once.Do(func() { shared, startErr = Start() })
	if errors.Is(startErr, errNoPG) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: %v: CI must install PostgreSQL (apt-get install postgresql)", startErr)
		}
		t.Skipf("pgtest: %v; install PostgreSQL to run this test", startErr)
	}
	if startErr != nil {
		t.Fatalf("pgtest: %v", startErr)
	}
	return shared
}

// url is the connection URL of a database on the server.
func (s *Server) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// AdminURL is the URL of the server's postgres database.
func (s *Server) AdminURL() string { return s.url("postgres") }

// Dir is the directory that holds the cluster and its log.
func (s *Server) Dir() string { return s.dir }

// BinDir finds the directory of the PostgreSQL server binaries: that of
// initdb in PATH, else the newest /usr/lib/postgresql/*/bin (Debian's place).
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errNoPG
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start creates and starts a new cluster. As root it runs the server as the
// postgres user (initdb refuses root), owning a temporary directory.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	cred, err := s.owner()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	s.cred = cred
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err == nil {
			err = s.run(port)
		}
		if err == nil {
			return s, nil
		}
		if attempt == 4 {
			os.RemoveAll(dir)
			return nil, err
		}
		// Most likely the free port was taken meanwhile: try another.
	}
}

// owner returns the credentials to run PostgreSQL with (nil when not root)
// and gives them the temporary directory.
func (s *Server) owner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(s.dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// run starts the server on the port and waits until it accepts connections.
func (s *Server) run(port int) error {
	bin, cred := s.bin, s.cred
	s.port = port
	logf, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(port), "-k", s.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB", "-c", "max_wal_size=4GB",
		"-c", "log_min_messages=warning")
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server goes when the test process goes, even if it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd = cmd
	s.exit = make(chan error, 1)
	go func() { s.exit <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, s.url("postgres"))
		cancel()
		if err == nil {
			c.Close(context.Background())
			return nil
		}
		select {
		case werr := <-s.exit:
			s.cmd = nil
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			return fmt.Errorf("postgres exited: %v\n%s", werr, tail(string(log)))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-s.exit
			s.cmd = nil
			return fmt.Errorf("postgres did not accept connections within 30s: %v", err)
		}
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Stop shuts the server down (fast shutdown) and removes its directory.
func (s *Server) Stop() error {
	return errors.Join(s.Halt(), os.RemoveAll(s.dir))
}

// Halt shuts the server down (fast shutdown: every session is ended) and
// keeps its data; Resume starts it again. Between the two, clients see what
// they see of a database restart.
func (s *Server) Halt() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	var err error
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exit:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exit
		err = errors.New("postgres did not stop within 30s; killed")
	}
	s.cmd = nil
	return err
}

// Resume starts a halted server again on the same port, so that clients'
// URLs stay valid, and waits until it accepts connections. A running server
// is left as it is.
func (s *Server) Resume() error {
	if s.cmd != nil {
		return nil
	}
	return s.run(s.port)
}
