package main

import (
	"context"
	"io"
	"net/url"
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
			if cfg.dbPath != tc.wantPath || cfg.dbURL != tc.wantURL {
				t.Errorf("got path %q, URL %q; want %q, %q", cfg.dbPath, cfg.dbURL, tc.wantPath, tc.wantURL)
			}
		})
	}
}

// TestPostgres_EndToEnd: the service on PostgreSQL registers, imports and
// answers statistics, and its logs name the database without the URL's
// password.
func TestPostgres_EndToEnd(t *testing.T) {
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	// The test cluster trusts loopback connections: any password passes,
	// so the URL can carry one to be kept out of the logs.
	const password = "pg-s3cret-in-url"
	u.User = url.UserPassword(u.User.Username(), password)

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	ready := make(chan string, 1)
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--web.listen-address=127.0.0.1:0", "--db.url=" + u.String(), "--log.level=debug"},
			&stdout, &stderr, ready)
	}()
	var base string
	select {
	case base = <-ready:
	case code := <-exit:
		t.Fatalf("exited with %d before serving:\n%s", code, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("not ready after 2 minutes:\n%s", stderr.String())
	}
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
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("exit code %d:\n%s", code, stderr.String())
	}
	logs := stdout.String() + stderr.String()
	if strings.Contains(logs, password) {
		t.Errorf("the logs show the database password:\n%s", logs)
	}
	if !strings.Contains(logs, "engine=postgres") || !strings.Contains(logs, "xxxxx@127.0.0.1") {
		t.Errorf("the logs do not name the database (redacted):\n%s", logs)
	}
}
