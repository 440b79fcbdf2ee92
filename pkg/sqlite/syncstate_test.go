package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// A database written before the scrub step holds sync errors that quote
// an upstream page echoing the password; the upgrade cuts the quotes off,
// once, and leaves errors written later alone.
func TestMigrate_ScrubsQuotedSyncErrors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, db, "N0CALL")
	const leaked = `LoTW answered something that is not a report: "<html> Bad request login=N0CALL&amp;password=hunter2%26more…"; next automatic attempt after 2026-11-27T13:00:00Z`
	const plain = "LoTW report truncated: the report ends after 3 of 6 records without <APP_LoTW_EOF>"
	sql := db.SQLDB()
	for _, row := range []struct {
		src, msg string
	}{{"lotw", leaked}, {"dcl", plain}} {
		if _, err := sql.ExecContext(ctx, "INSERT INTO sync_states (user_id, source, credentials, last_error, updated_at) VALUES (?, ?, x'01', ?, CURRENT_TIMESTAMP)", u.ID, row.src, row.msg); err != nil {
			t.Fatal(err)
		}
	}
	// As the database was before the step existed.
	if _, err := sql.ExecContext(ctx, "DELETE FROM settings WHERE name = 'migration_scrub_quoted_sync_errors'"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	reopen := func() *sqlite.DB {
		t.Helper()
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db = reopen()
	states := gormstore.NewSyncStateService(db.DB)
	st, err := states.SyncState(ctx, u.ID, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	const want = "LoTW answered something that is not a report (the quoted answer was removed when the database was upgraded)"
	if st.LastError != want {
		t.Fatalf("last_error %q, want %q", st.LastError, want)
	}
	if st, _ := states.SyncState(ctx, u.ID, awardtracker.SourceDCL); st.LastError != plain {
		t.Fatalf("last_error %q, want the unquoted error %q kept", st.LastError, plain)
	}

	// A quote written after the upgrade (redacted by then) survives restarts.
	const safe = `LoTW answered something that is not a report: "<html><title>Maintenance</title>"`
	st.LastError = safe
	if err := states.UpdateSyncState(ctx, st); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = reopen()
	if st, _ := gormstore.NewSyncStateService(db.DB).SyncState(ctx, u.ID, awardtracker.SourceLoTW); st.LastError != safe {
		t.Fatalf("last_error %q after a restart, want %q kept", st.LastError, safe)
	}
}

func TestSyncStateService_DeleteCredentials(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	states := gormstore.NewSyncStateService(db.DB)
	u := mustUser(t, db, "N0CALL")
	t.Run("NeverStored", func(t *testing.T) {
		if err := states.DeleteCredentials(ctx, u.ID, awardtracker.SourceLoTW); err != nil {
			t.Fatalf("got %v, want nil (idempotent)", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := states.PutCredentials(ctx, u.ID, awardtracker.SourceLoTW, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := states.DeleteCredentials(ctx, u.ID, awardtracker.SourceLoTW); err != nil {
				t.Fatal(err)
			}
		}
		st, err := states.SyncState(ctx, u.ID, awardtracker.SourceLoTW)
		if err != nil || len(st.Credentials) != 0 {
			t.Fatalf("got %+v, %v; want the state without credentials", st, err)
		}
		list, err := states.SyncStates(ctx, awardtracker.SourceLoTW)
		if err != nil || len(list) != 0 {
			t.Fatalf("scheduler list %+v, %v; want empty", list, err)
		}
	})
}
