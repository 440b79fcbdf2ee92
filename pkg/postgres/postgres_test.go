package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// mustOpen opens a fresh database on the test package's cluster.
func mustOpen(t testing.TB) *gormstore.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t),
		postgres.Options{Options: gormstore.Options{Tracker: perf.New(prometheus.NewRegistry(), perf.Options{})}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openAdmin opens a plain connection pool to dsn, for what a test does to
// the database behind the service's back; closed at the test's end.
func openAdmin(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

// TestStorage runs the storage conformance suite on PostgreSQL.
func TestStorage(t *testing.T) { storetest.Run(t, mustOpen) }

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://app:s3cret@db.example:5432/awardtracker?sslmode=require", "postgres://app:xxxxx@db.example:5432/awardtracker?sslmode=require"},
		{"postgres://app@db/awardtracker?password=s3cret", "postgres://app@db/awardtracker?password=xxxxx"},
		{"postgresql://db/awardtracker", "postgresql://db/awardtracker"},
		{"postgres://app:s3cret@db:bad port/x?password=s3cret", "postgres://xxxxx@db:bad port/x?password=xxxxx"},
	} {
		if got := postgres.Redact(tc.in); got != tc.want || strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestOpen_NoPasswordInErrors: a database that cannot be reached fails
// Open with an error that names the URL without its password.
func TestOpen_NoPasswordInErrors(t *testing.T) {
	// A port nothing listens on: the listener is closed before Open.
	for _, dsn := range []string{
		"postgres://app:s3cret-pw@127.0.0.1:1/awardtracker?sslmode=disable&connect_timeout=5",
		"postgres://app@127.0.0.1:1/awardtracker?sslmode=disable&connect_timeout=5&password=s3cret-pw",
	} {
		_, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err == nil {
			t.Fatalf("Open(%s) succeeded", postgres.Redact(dsn))
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("error does not say which database: %v", err)
		}
	}
}

// TestOpen_Reopen: the schema and the server secrets survive a restart;
// migrating an up-to-date database again changes nothing.
func TestOpen_Reopen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	storetest.Reopen(t, func() (*gormstore.DB, error) {
		return postgres.Open(context.Background(), dsn, postgres.Options{})
	})
}

// TestOpen_NoCoveringIndexes: a database from a version that created the
// tallies' covering indexes on PostgreSQL too loses them at Open; they
// only cost its writes (gormstore's coveringIndexes).
func TestOpen_NoCoveringIndexes(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	admin := openAdmin(t, dsn)
	indexes := func() []string {
		return storetest.Strings(t, admin, "SELECT indexname FROM pg_indexes WHERE tablename = 'qsos' ORDER BY indexname")
	}
	want := "idx_qsos_user_call idx_qsos_user_start qsos_pkey"
	if got := strings.Join(indexes(), " "); got != want {
		t.Fatalf("indexes of qsos: got %s, want %s", got, want)
	}
	for _, stmt := range []string{
		"CREATE INDEX idx_qsos_user_band_mode ON qsos (user_id, band, mode, submode, lotw_confirmed, dcl_confirmed)",
		"CREATE INDEX idx_qsos_user_dxcc ON qsos (user_id, dxcc, lotw_confirmed, dcl_confirmed)",
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if db, err = postgres.Open(ctx, dsn, postgres.Options{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got := strings.Join(indexes(), " "); got != want {
		t.Errorf("indexes of qsos after reopening an earlier version's database: got %s, want %s", got, want)
	}
}

// TestOpen_RepairsModePairs: migration step 5 on PostgreSQL (the SQLite
// test, TestMigrate_ModePairs, starts from the old schema): a database
// holding FT8/FT4, which the old merges made, before the step ran gets
// MFSK/FT4 at Open; a valid pair stays.
func TestOpen_RepairsModePairs(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := gormstore.NewUserService(db).CreateUser(ctx, "N0CALL", []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	admin := openAdmin(t, dsn)
	if _, err := admin.ExecContext(ctx, `INSERT INTO qsos (user_id, call, start, band, mode, submode, mode_group, source, created_at, updated_at) VALUES
		($1, 'K1AAA', 1717243200, '20m', 'FT8', 'FT4', 'DATA', 'log', 1, 1),
		($1, 'K1DDD', 1717243260, '20m', 'SSB', 'USB', 'PHONE', 'log', 1, 1)`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "DELETE FROM settings WHERE name = 'migration.mode_pairs'"); err != nil {
		t.Fatal(err)
	}
	if db, err = postgres.Open(ctx, dsn, postgres.Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := strings.Join(storetest.Strings(t, admin, "SELECT call || ' ' || mode || '/' || submode FROM qsos ORDER BY call"), ", ")
	if want := "K1AAA MFSK/FT4, K1DDD SSB/USB"; got != want {
		t.Errorf("QSOs after Open: got %s, want %s", got, want)
	}
}

// TestWrites_ReadOnly: a database that refuses writes (a standby, or
// default_transaction_read_only) makes writes fail as unavailable, counts
// them as read_only, and turns awardtracker_db_up and _writable to 0;
// once it takes writes again, Ping's own probe write brings both back
// without a client writing.
func TestWrites_ReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, err := postgres.Open(ctx, dsn, postgres.Options{Options: gormstore.Options{Now: func() time.Time { return now }}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users := gormstore.NewUserService(db)
	admin := openAdmin(t, dsn)
	readOnly := func(on bool) {
		t.Helper()
		// For the database's sessions from now on; the pool's open
		// connections are closed so that new ones pick it up.
		if _, err := admin.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s SET default_transaction_read_only = %v",
			strings.TrimPrefix(mustParse(t, dsn).Path, "/"), on)); err != nil {
			t.Fatal(err)
		}
		db.SQLDB().SetMaxIdleConns(0)
		db.SQLDB().SetMaxIdleConns(16)
	}
	readOnly(true)
	_, err = users.CreateUser(ctx, "N0RO", []byte("h"))
	if awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
		t.Fatalf("CreateUser on a read-only database: got %v, want unavailable", err)
	}
	m := dbMetrics(t, db)
	if m["awardtracker_db_writable"] != 0 || m["awardtracker_db_up"] != 0 || m["awardtracker_db_write_failures_total{read_only}"] < 1 {
		t.Errorf("got writable %v, up %v, read_only failures %v; want 0, 0, at least 1", m["awardtracker_db_writable"],
			m["awardtracker_db_up"], m["awardtracker_db_write_failures_total{read_only}"])
	}
	if err := db.Ping(ctx); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
		t.Errorf("Ping: got %v, want unavailable", err)
	}
	readOnly(false)
	now = now.Add(2 * time.Second) // past the probe interval
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping once writes work again: %v", err)
	}
	if m := dbMetrics(t, db); m["awardtracker_db_writable"] != 1 || m["awardtracker_db_up"] != 1 {
		t.Errorf("got writable %v, up %v; want 1, 1", m["awardtracker_db_writable"], m["awardtracker_db_up"])
	}
	if _, err := users.CreateUser(ctx, "N0RO", []byte("h")); err != nil {
		t.Errorf("CreateUser once writes work again: %v", err)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// dbMetrics gathers the database collector: value by metric name, and by
// name{reason} for the write failures.
func dbMetrics(t *testing.T, db *gormstore.DB) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(db.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetValue() + "}"
			}
			out[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return out
}

// TestImport_Analyze: a large import refreshes the planner's statistics
// itself (pg_stat_user_tables.last_analyze is set by ANALYZE, not by
// autovacuum), so the statistics queries plan for the rows just imported;
// a small one leaves that to autovacuum.
func TestImport_Analyze(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	users := gormstore.NewUserService(db)
	qsos := gormstore.NewQSOService(db)
	analyzed := func() bool {
		var at sql.NullTime
		if err := db.SQLDB().QueryRow(`SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'qsos'`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at.Valid
	}
	// demo.QSOs adds a few fixed QSOs to the generated ones.
	extra := demo.Count(demo.Options{QSOs: 1}) - 1
	for i, n := range []int{gormstore.AnalyzeRows - 1 - extra, gormstore.AnalyzeRows} {
		u, err := users.CreateUser(ctx, fmt.Sprintf("N%dANA", i), []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := qsos.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, demo.QSOs(demo.Options{QSOs: n, StationCallsign: "N0ANA", Seed: uint64(i + 1)}), awardtracker.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		// pg_stat_* is read from a snapshot taken once per transaction;
		// this forces a fresh one.
		if _, err := db.SQLDB().Exec(`SELECT pg_stat_clear_snapshot()`); err != nil {
			t.Fatal(err)
		}
		if got, want := analyzed(), i == 1; got != want {
			t.Errorf("after importing %d QSOs: analyzed %v, want %v", n, got, want)
		}
	}
}
