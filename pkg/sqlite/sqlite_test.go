package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/prometheus/client_golang/prometheus"
)

func mustOpen(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"),
		sqlite.Options{Tracker: perf.New(prometheus.NewRegistry(), perf.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
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
