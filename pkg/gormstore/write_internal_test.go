package gormstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestWriteOutsideTransaction: a write that bypasses DB.write fails at
// once, so no write path can lose a failed implicit commit again.
func TestWriteOutsideTransaction(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
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

// openTest opens a SQLite database in a temporary directory with a minimal
// dialect: package sqlite, which builds the real one, imports this package,
// so its tests cannot be imported here. The suite in storetest runs the
// services on both real engines.
func openTest(t *testing.T) *DB {
	t.Helper()
	g, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "t.db")), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := New(context.Background(), g, Dialect{Name: "test", StrPos: "instr", ChangesSQL: "SELECT total_changes()", SingleWriter: true}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
