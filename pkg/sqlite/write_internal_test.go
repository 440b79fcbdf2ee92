package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"gorm.io/gorm"
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
