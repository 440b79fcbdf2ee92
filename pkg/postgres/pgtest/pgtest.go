// Package pgtest gives tests a real, throwaway PostgreSQL: one cluster per
// test package, started from Debian's postgresql package when a test first
// asks NewDatabase for a database (initdb into a temporary directory, a
// free loopback port, the socket in that directory, no fsync) and stopped
// by Main; every test gets a fresh database on it. The clusters of test
// processes that died without stopping theirs are stopped and removed by
// the next Start. With
// AWARDTRACKER_TEST_POSTGRES_URL set, it uses that server instead (the
// URL's user needs CREATEDB). Only tests import it.
//
// Without PostgreSQL, tests that ask for a database are skipped, except
// under CI (CI=true), where they fail: CI must run the suite on both
// engines, and a skip would hide that it did not.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
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

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// EnvURL names the variable with the URL of an existing server to use.
const EnvURL = "AWARDTRACKER_TEST_POSTGRES_URL"

// Server is a PostgreSQL server tests create databases on.
type Server struct {
	base  *url.URL // the maintenance database, as the superuser
	admin *sql.DB
	// dir holds the cluster this package started; "" for EnvURL's server.
	dir    string
	lock   *os.File // dir's owner lock, held while the process lives
	prefix []string // runs a command as the cluster's owner
	pgCtl  string
	n      atomic.Int64
}

// A test binary that is SIGKILLed (a timeout, a fault test's child, a
// developer's ^C twice) never runs Close: its cluster would keep running,
// holding memory and a port, and its directory would stay. So each cluster
// directory holds ownerLock, on which its process keeps an flock for as
// long as it runs; the kernel drops the lock when the process dies, however
// it dies. Start reaps: a directory whose lock it can take belongs to
// no one, and its cluster is stopped and removed. (An flock rather than a
// pid file: a pid can be reused, a released lock cannot be mistaken.)
const (
	dirPattern = "awardtracker-pg-"
	ownerLock  = "owner.lock"
)

var (
	mu       sync.Mutex
	started  bool
	server   *Server
	startErr error
)

// Main is a test package's TestMain: it runs the tests and stops the
// server if one of them started it.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the server NewDatabase started, if any; a package with a
// TestMain of its own calls it after m.Run.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if server != nil {
		if err := server.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
		server = nil
	}
}

// NewDatabase returns the URL of a new, empty database, dropped when t
// ends. The package's server starts with the first call. Without
// PostgreSQL, t is skipped, or fails under CI (CI=true).
func NewDatabase(t testing.TB) string {
	t.Helper()
	s, err := shared()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI: %v", err)
		}
		t.Skipf("no PostgreSQL (CI=true makes this a failure): %v", err)
	}
	u, err := s.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.DropDatabase(context.Background(), u); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return u
}

// shared returns the package's server, starting it the first time.
func shared() (*Server, error) {
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		server, startErr = Start()
	}
	if server == nil && startErr == nil {
		startErr = errors.New("stopped")
	}
	return server, startErr
}

// Start starts a cluster, or connects to EnvURL's server.
func Start() (*Server, error) {
	if env := os.Getenv(EnvURL); env != "" {
		u, err := url.Parse(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvURL, err)
		}
		return connect(&Server{base: u})
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &Server{pgCtl: filepath.Join(bin, "pg_ctl")}
	// PostgreSQL refuses to run as root: the cluster belongs to the
	// postgres user then, and its commands run as that user.
	var pg *user.User
	if os.Geteuid() == 0 {
		if pg, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		s.prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	for _, dir := range s.reap(os.TempDir()) {
		fmt.Fprintln(os.Stderr, "pgtest: stopped and removed the cluster of a test process that is gone:", dir)
	}
	if s.dir, err = os.MkdirTemp("", dirPattern); err != nil {
		return nil, err
	}
	if err := s.lockDir(); err != nil {
		s.Close()
		return nil, err
	}
	if pg != nil {
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(s.dir, uid, gid); err != nil {
			s.Close()
			return nil, err
		}
	}
	data := filepath.Join(s.dir, "data")
	if out, err := s.run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		s.Close()
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	// A free port can be taken between choosing and binding it: try again
	// with another.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			s.Close()
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
			"-c full_page_writes=off -c max_connections=300", port, s.dir)
		out, err := s.run(s.pgCtl, "-D", data, "-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			s.base = &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
				Path: "/postgres", RawQuery: "sslmode=disable"}
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			s.Close()
			return nil, fmt.Errorf("pg_ctl start: %w: %s %s", err, out, log)
		}
	}
	return connect(s)
}

func connect(s *Server) (*Server, error) {
	admin, err := sql.Open("pgx", s.base.String())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = admin.PingContext(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s: %w", s.base.Redacted(), err)
	}
	s.admin = admin
	return s, nil
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("awardtracker_test_%d_%d", os.Getpid(), s.n.Add(1))
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	u := *s.base
	u.Path = "/" + name
	return u.String(), nil
}

// DropDatabase drops a database NewDatabase created, closing any
// connection left to it.
func (s *Server) DropDatabase(ctx context.Context, dbURL string) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	_, err = s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+strings.TrimPrefix(u.Path, "/")+" WITH (FORCE)")
	return err
}

// Close stops the cluster Start started and removes its directory.
func (s *Server) Close() error {
	var errs []error
	if s.admin != nil {
		errs = append(errs, s.admin.Close())
	}
	if s.dir != "" {
		if s.base != nil {
			if out, err := s.run(s.pgCtl, "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
				errs = append(errs, fmt.Errorf("pg_ctl stop: %w: %s", err, out))
			}
		}
		errs = append(errs, os.RemoveAll(s.dir))
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// lockDir takes s.dir's owner lock for the life of this process. The lock
// file gets its name only once locked, so that a reaper never finds it
// free in a directory still being set up. Files are opened close-on-exec:
// the postgres processes do not inherit the lock and outlive it.
func (s *Server) lockDir() error {
	tmp := filepath.Join(s.dir, ownerLock+".new")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, ownerLock)); err != nil {
		f.Close()
		return err
	}
	s.lock = f
	return nil
}

// reap stops and removes the clusters under tmp whose owner process is
// gone, and returns their directories. Directories without an owner lock
// (being set up, or left by a pgtest from before the locks) are left
// alone, as is a cluster that does not stop.
func (s *Server) reap(tmp string) []string {
	dirs, _ := filepath.Glob(filepath.Join(tmp, dirPattern+"*"))
	var reaped []string
	for _, dir := range dirs {
		f, err := os.OpenFile(filepath.Join(dir, ownerLock), os.O_RDWR, 0)
		if err != nil {
			continue
		}
		// Held by a live owner, or by another process reaping it now.
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		data := filepath.Join(dir, "data")
		// Fails when the cluster is not running (never started, or
		// crashed): what counts is the status below.
		s.run(s.pgCtl, "-D", data, "-m", "immediate", "-w", "-t", "60", "stop")
		if _, err := s.run(s.pgCtl, "-D", data, "status"); err == nil {
			f.Close() // still running: removing its files would not stop it
			continue
		}
		if err := os.RemoveAll(dir); err == nil {
			reaped = append(reaped, dir)
		}
		f.Close()
	}
	return reaped
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, s.prefix...), name), args...)
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

// binDir finds the server programs: pg_ctl on PATH, else Debian's
// /usr/lib/postgresql/<version>/bin (the newest version there).
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(dirs) == 0 {
		return "", errors.New("no PostgreSQL server programs (apt-get install postgresql, or set " + EnvURL + ")")
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

func version(pgCtl string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(pgCtl))), 64)
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
