package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/awardtracker/awardtracker/internal/disktest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

// TestUserService_CreateUser_DiskFull is the ghost-account bug: with the
// disk refusing writes, CreateUser answered a user (and the next one the
// same id) that was never stored.
func TestUserService_CreateUser_DiskFull(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	users := gormstore.NewUserService(db.DB)
	mustUser(t, db, "N0OLD")
	restore := disktest.Full(t, 0)
	var created []*awardtracker.User
	var errs []error
	for i := range 3 {
		u, err := users.CreateUser(ctx, fmt.Sprintf("N%dFUL", i), make([]byte, 60))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		created = append(created, u)
	}
	restore()
	for _, u := range created {
		got, err := users.FindUserByID(ctx, u.ID)
		t.Errorf("CreateUser on a full disk acknowledged user %d %s; stored: %+v, %v", u.ID, u.Callsign, got, err)
	}
	for _, err := range errs {
		if code := awardtracker.ErrorCode(err); code != awardtracker.EUNAVAILABLE {
			t.Errorf("CreateUser on a full disk: code %q (%v), want %q", code, err, awardtracker.EUNAVAILABLE)
		}
	}
	u, err := users.CreateUser(ctx, "N0FUL", make([]byte, 60))
	if err != nil {
		t.Fatalf("CreateUser with space again: %v", err)
	}
	if got, err := users.FindUserByID(ctx, u.ID); err != nil || got.Callsign != "N0FUL" {
		t.Errorf("after the disk recovered: got %+v, %v; want N0FUL stored", got, err)
	}
}

// TestWrites_DiskFull: every write path reports a failed commit as
// EUNAVAILABLE and leaves the database as it was; health (Ping) and the
// write metrics show the failure until a write succeeds.
func TestWrites_DiskFull(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	db := sqlitetest.Open(t, sqlite.Options{Now: func() time.Time { return now }})
	users, qsos, states := gormstore.NewUserService(db.DB), gormstore.NewQSOService(db.DB), gormstore.NewSyncStateService(db.DB)
	u := mustUser(t, db, "N0CALL")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := qsos.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, storetest.Records(storetest.QSO("K1AA", t0)), awardtracker.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := states.PutCredentials(ctx, u.ID, awardtracker.SourceLoTW, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	stored, _, err := qsos.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{})
	if err != nil || len(stored) != 1 {
		t.Fatalf("setup: %+v, %v", stored, err)
	}
	cursor := "2026-11-30 00:00:00"
	writes := map[string]func() error{
		"CreateUser": func() error { _, err := users.CreateUser(ctx, "N1NEW", []byte("hash")); return err },
		"ImportQSOs": func() error {
			_, err := qsos.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, storetest.Records(storetest.QSO("K2BB", t0)),
				awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: now})
			return err
		},
		"DeleteQSO":      func() error { return qsos.DeleteQSO(ctx, u.ID, stored[0].ID) },
		"PutCredentials": func() error { return states.PutCredentials(ctx, u.ID, awardtracker.SourceDCL, []byte("key")) },
		"UpdateSyncState": func() error {
			return states.UpdateSyncState(ctx, &awardtracker.SyncState{UserID: u.ID, Source: awardtracker.SourceLoTW, LastError: "changed"})
		},
		"Secret": func() error { _, err := db.Secret(ctx, "new_secret", 32); return err },
	}
	// unchanged checks that none of the writes above left a trace.
	unchanged := func(t *testing.T) {
		t.Helper()
		if _, _, err := users.FindUserByCallsign(ctx, "N1NEW"); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Errorf("user N1NEW: %v, want not found", err)
		}
		got, n, err := qsos.FindQSOs(ctx, u.ID, awardtracker.QSOFilter{})
		if err != nil || n != 1 || got[0].ID != stored[0].ID {
			t.Errorf("QSOs: %d %+v, %v; want only K1AA", n, got, err)
		}
		lotw, err := states.SyncState(ctx, u.ID, awardtracker.SourceLoTW)
		if err != nil || lotw.Cursor != "" || lotw.LastError != "" {
			t.Errorf("LoTW state: %+v, %v; want no cursor, no error", lotw, err)
		}
		if _, err := states.SyncState(ctx, u.ID, awardtracker.SourceDCL); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Errorf("DCL state: %v, want not found", err)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(db.Collector())
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			restore := disktest.Full(t, 0)
			err := write()
			pingErr := db.Ping(ctx) // probes with a write, which fails too
			writable := gauge(t, reg, "awardtracker_db_writable")
			restore()
			if code := awardtracker.ErrorCode(err); code != awardtracker.EUNAVAILABLE {
				t.Errorf("on a full disk: code %q (%v), want %q", code, err, awardtracker.EUNAVAILABLE)
			}
			if awardtracker.ErrorCode(pingErr) != awardtracker.EUNAVAILABLE {
				t.Errorf("Ping after the failed write: %v, want unavailable", pingErr)
			}
			if writable != 0 {
				t.Errorf("awardtracker_db_writable after the failed write: %v, want 0", writable)
			}
			unchanged(t)
			// A write with nothing to write proves nothing about the disk.
			if err := qsos.DeleteQSO(ctx, u.ID, 999_999); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
				t.Errorf("DeleteQSO of an unknown QSO: %v, want not found", err)
			}
			// The probe waits for its interval; then it writes and recovers.
			if err := db.Ping(ctx); err == nil {
				t.Error("Ping passed again before its next write probe")
			}
			now = now.Add(time.Second)
			if err := db.Ping(ctx); err != nil {
				t.Errorf("Ping with the disk back: %v", err)
			}
		})
	}
	unchanged(t)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(fmt.Sprintf(`
# HELP awardtracker_db_write_failures_total Database writes that failed because of the storage, by reason (file_gone, disk_full, io_error, read_only, corrupt, busy).
# TYPE awardtracker_db_write_failures_total counter
awardtracker_db_write_failures_total{reason="busy"} 0
awardtracker_db_write_failures_total{reason="corrupt"} 0
awardtracker_db_write_failures_total{reason="disk_full"} 0
awardtracker_db_write_failures_total{reason="file_gone"} 0
awardtracker_db_write_failures_total{reason="io_error"} %d
awardtracker_db_write_failures_total{reason="read_only"} 0
# HELP awardtracker_db_writable Whether the last database write succeeded (1), or failed because the disk is full, an I/O error, or the file is read-only, missing or replaced (0).
# TYPE awardtracker_db_writable gauge
awardtracker_db_writable 1
`, 2*len(writes))), "awardtracker_db_write_failures_total", "awardtracker_db_writable"); err != nil {
		t.Error(err)
	}
	// With space again, every write works.
	for name, write := range writes {
		if err := write(); err != nil {
			t.Errorf("%s with the disk back: %v", name, err)
		}
	}
}

// gauge returns the value of the unlabelled gauge name in reg.
func gauge(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
