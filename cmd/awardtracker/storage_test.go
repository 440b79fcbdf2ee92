package main

import (
	"context"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

func TestDBFlags(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		wantPath       string
		wantURL        string
		wantErr        string // part of the error; "" for none
		wantNotInError string
	}{
		{args: nil, wantPath: "data/awardtracker.db"},
		{args: []string{"--db.path=/srv/a.db"}, wantPath: "/srv/a.db"},
		{args: []string{"--db.url=/srv/b.db"}, wantPath: "/srv/b.db"},
		{args: []string{"--db.url=sqlite:///srv/c.db"}, wantPath: "/srv/c.db"},
		{args: []string{"--db.url=postgres://app:pw@db:5432/at"}, wantPath: "data/awardtracker.db", wantURL: "postgres://app:pw@db:5432/at"},
		{args: []string{"--db.url=postgresql://db/at"}, wantPath: "data/awardtracker.db", wantURL: "postgresql://db/at"},
		{args: []string{"--db.url=mysql://app:hunter2@db/at"}, wantErr: "mysql://app:xxxxx@db/at", wantNotInError: "hunter2"},
		{args: []string{"--db.url=sqlite://"}, wantErr: "empty SQLite path"},
		{args: []string{"--db.url=/a.db", "--db.path=/b.db"}, wantErr: "not both"},
		{args: []string{"--db.url=postgres://db/at", "--backup.interval=1h", "--backup.dir=/tmp"}, wantErr: "pg_dump"},
		{args: []string{"--db.url=postgres://db/at", "backup", "--to=/tmp/x"}, wantErr: "pg_dump"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cfg, err := parseConfig(tc.args, io.Discard, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				if tc.wantNotInError != "" && strings.Contains(err.Error(), tc.wantNotInError) {
					t.Errorf("error %q shows %q", err, tc.wantNotInError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DBPath != tc.wantPath || cfg.DBURL != tc.wantURL {
				t.Errorf("got path %q, URL %q; want %q, %q", cfg.DBPath, cfg.DBURL, tc.wantPath, tc.wantURL)
			}
		})
	}
}

// serve runs the service with args (and a loopback address) until stop,
// which returns its logs.
func serve(t *testing.T, args ...string) (base string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	ready := make(chan string, 1)
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, append([]string{"--web.listen-address=127.0.0.1:0"}, args...), &stdout, &stderr, ready)
	}()
	select {
	case base = <-ready:
	case code := <-exit:
		cancel()
		t.Fatalf("exited with %d before serving:\n%s", code, stderr.String())
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatalf("not ready after 2 minutes:\n%s", stderr.String())
	}
	return base, func() string {
		cancel()
		if code := <-exit; code != 0 {
			t.Errorf("exit code %d:\n%s", code, stderr.String())
		}
		return stdout.String() + stderr.String()
	}
}

// pgURLWithPassword returns a new test database's URL with a password in
// it. The test cluster trusts loopback connections: any password passes,
// so the URL can carry one to be kept out of the logs.
func pgURLWithPassword(t *testing.T, password string) string {
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// TestPostgres_EndToEnd: the service on PostgreSQL registers, imports and
// answers statistics, and its logs name the database without the URL's
// password.
func TestPostgres_EndToEnd(t *testing.T) {
	const password = "pg-s3cret-in-url"
	base, stop := serve(t, "--db.url="+pgURLWithPassword(t, password), "--log.level=debug")
	tok := register(t, base, "N0PG")
	if st := importADIF(t, base, tok, 300); st != 200 {
		t.Fatalf("import: %d", st)
	}
	var stats struct{ Total int }
	if st := call(t, "GET", base+"/api/qsos/stats", tok, nil, &stats); st != 200 || stats.Total != 300 {
		t.Errorf("stats: got %d, total %d; want 200, total 300", st, stats.Total)
	}
	if st := call(t, "GET", base+"/readyz", "", nil, nil); st != 200 {
		t.Errorf("readyz: got %d, want 200", st)
	}
	logs := stop()
	if strings.Contains(logs, password) {
		t.Errorf("the logs show the database password:\n%s", logs)
	}
	if !strings.Contains(logs, "engine=postgres") || !strings.Contains(logs, "xxxxx@127.0.0.1") {
		t.Errorf("the logs do not name the database (redacted):\n%s", logs)
	}
}

// TestMigrateDB: a SQLite database moved with migrate-db serves on
// PostgreSQL with the same accounts, QSOs and tokens (the signing key and
// the user ids came along); a second move into the same database is
// refused and changes nothing.
func TestMigrateDB(t *testing.T) {
	const password = "pg-s3cret-migrate"
	path := filepath.Join(t.TempDir(), "old.db")
	base, stop := serve(t, "--db.path="+path)
	register(t, base, "N0FIRST") // the moved user's id is not 1
	tok := register(t, base, "N0MOVE")
	if st := importADIF(t, base, tok, 250); st != 200 {
		t.Fatalf("import: %d", st)
	}
	stop()

	to := pgURLWithPassword(t, password)
	var stderr syncBuffer
	if code := run(context.Background(), []string{"migrate-db", "--from=" + path, "--to=" + to}, io.Discard, &stderr, nil); code != 0 {
		t.Fatalf("migrate-db: exit %d:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "users=2 qsos=250") {
		t.Errorf("migrate-db logs do not count what was copied:\n%s", stderr.String())
	}

	base, stop = serve(t, "--db.url="+to)
	var stats struct{ Total int }
	if st := call(t, "GET", base+"/api/qsos/stats", tok, nil, &stats); st != 200 || stats.Total != 250 {
		t.Errorf("stats with the token issued before the move: got %d, total %d; want 200, total 250", st, stats.Total)
	}
	login(t, base, "N0MOVE")
	stop()

	var again syncBuffer
	if code := run(context.Background(), []string{"migrate-db", "--from=" + path, "--to=" + to}, io.Discard, &again, nil); code != 1 {
		t.Errorf("second migrate-db: got exit %d, want 1:\n%s", code, again.String())
	}
	for _, logs := range []string{stderr.String(), again.String()} {
		if strings.Contains(logs, password) {
			t.Errorf("migrate-db logs show the database password:\n%s", logs)
		}
	}
	if code := run(context.Background(), []string{"migrate-db", "--from=" + path + ".missing", "--to=" + to}, io.Discard, io.Discard, nil); code != 2 {
		t.Errorf("migrate-db from a missing file: got exit %d, want 2", code)
	}
}
