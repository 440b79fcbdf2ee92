package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// TestWriteOutsideTransaction: a write that bypasses DB.write fails at
// once, so no write path can lose a failed implicit commit again.
func TestWriteOutsideTransaction(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tx.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	row := userRow{Callsign: "N0CALL", PasswordHash: []byte("x")}
	if err := db.conn(ctx, "test").Create(&row).Error; !errors.Is(err, errNoTransaction) {
		t.Errorf("Create outside DB.write: %v, want %v", err, errNoTransaction)
	}
	if err := db.conn(ctx, "test").Where("id = ?", 1).Delete(&userRow{}).Error; !errors.Is(err, errNoTransaction) {
		t.Errorf("Delete outside DB.write: %v, want %v", err, errNoTransaction)
	}
	if err := db.write(ctx, "test", func(tx *gorm.DB) error { return tx.Create(&row).Error }); err != nil {
		t.Errorf("Create inside DB.write: %v", err)
	}
	var n int64
	if err := db.conn(ctx, "test").Model(&userRow{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("users: %d, %v; want 1", n, err)
	}
}

func TestStorageFailure(t *testing.T) {
	for _, tc := range []struct {
		err        error
		reason     string
		unwritable bool
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, reasonDiskFull, true},
		{fmt.Errorf("commit: %w", sqlite3.Error{Code: sqlite3.ErrIoErr}), reasonIOError, true},
		{sqlite3.Error{Code: sqlite3.ErrReadonly}, reasonReadOnly, true},
		{sqlite3.Error{Code: sqlite3.ErrCantOpen}, reasonReadOnly, true},
		{sqlite3.Error{Code: sqlite3.ErrCorrupt}, reasonCorrupt, true},
		{sqlite3.Error{Code: sqlite3.ErrBusy}, reasonBusy, false},
		{awardtracker.WrapError(awardtracker.EUNAVAILABLE, "gone", errFileGone), reasonFileGone, true},
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, "", false},
		{context.Canceled, "", false},
		{awardtracker.Errorf(awardtracker.EINVALID, "bad record"), "", false},
		{nil, "", false},
	} {
		reason, unwritable := storageFailure(tc.err)
		if reason != tc.reason || unwritable != tc.unwritable {
			t.Errorf("storageFailure(%v) = %q, %v; want %q, %v", tc.err, reason, unwritable, tc.reason, tc.unwritable)
		}
	}
}
