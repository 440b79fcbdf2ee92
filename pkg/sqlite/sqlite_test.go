package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
	"github.com/prometheus/client_golang/prometheus"
)

// mustOpen opens a fresh database with query tracking on, as the service
// runs it.
func mustOpen(t testing.TB) *sqlite.DB {
	t.Helper()
	return sqlitetest.Open(t, sqlite.Options{Tracker: perf.New(prometheus.NewRegistry(), perf.Options{})})
}

func TestDB_SecretAndPing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	storetest.Reopen(t, func() (*gormstore.DB, error) {
		db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err != nil {
			return nil, err
		}
		return db.DB, nil
	})
}

func TestDB_Ping_FileGone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gone.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
		t.Errorf("Ping with the file gone: %v, want unavailable", err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after the file came back: %v", err)
	}
}

// TestStorage runs the storage conformance suite on SQLite.
func TestStorage(t *testing.T) {
	storetest.Run(t, func(t testing.TB) *gormstore.DB { return mustOpen(t).DB })
}

func mustUser(t testing.TB, db *sqlite.DB, call string) *awardtracker.User {
	t.Helper()
	u, err := gormstore.NewUserService(db.DB).CreateUser(context.Background(), call, []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOpen_CoveringIndexes: SQLite gets the indexes that the tallies'
// recount reads without the rows (gormstore's coveringIndexes).
func TestOpen_CoveringIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	names := storetest.Strings(t, raw, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'qsos' AND name LIKE 'idx_%' ORDER BY name")
	want := "idx_qsos_user_band_mode idx_qsos_user_call idx_qsos_user_dxcc idx_qsos_user_start"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("indexes of qsos: got %s, want %s", got, want)
	}
}
