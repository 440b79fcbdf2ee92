package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// Backup writes a consistent copy of the database to path, which must not
// exist or be an empty file, with VACUUM INTO: one read transaction, so
// the copy is the database as of one moment however many imports and
// syncs commit meanwhile (WAL readers and writers do not block each
// other), and it is checked with PRAGMA integrity_check before Backup
// returns. Writing it to a temporary name, syncing and renaming it is the
// caller's job (package backup).
func (db *DB) Backup(ctx context.Context, path string) error {
	return vacuumInto(ctx, db.SQLDB(), path)
}

// BackupFile is Backup for a database that another process (a running
// service) has open, or none: it opens the file at dbPath without creating
// or migrating it, copies it to path and closes it.
func BackupFile(ctx context.Context, dbPath, path string) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	// mode=rw: never create a missing database; the busy timeout covers a
	// checkpoint of the running service holding a lock for a moment.
	src, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?mode=rw&_busy_timeout=%d", dbPath, (30*time.Second).Milliseconds()))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", dbPath, err)
	}
	defer src.Close()
	return vacuumInto(ctx, src, path)
}

func vacuumInto(ctx context.Context, src *sql.DB, path string) error {
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	// Read the copy back: a backup nobody can open is worse than none,
	// because it is trusted until the day it is needed.
	dst, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?mode=ro", path))
	if err != nil {
		return fmt.Errorf("sqlite: check backup %s: %w", path, err)
	}
	defer dst.Close()
	var res string
	if err := dst.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("sqlite: check backup %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: backup %s fails integrity_check: %s", path, res)
	}
	return nil
}
