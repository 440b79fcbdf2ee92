// Package backup writes database backups safely and keeps scheduled ones.
//
// It provides WriteFile, which has a Source (the sqlite package's
// consistent copy) write to a temporary file beside the target, syncs it
// and renames it into place, so that a crash or a kill never leaves a half
// backup under a backup's name; and Scheduler, which takes a backup every
// interval into a directory, keeps the newest few and exports metrics.
//
// It does not know how to copy a database: the Source does (for SQLite,
// sqlite.DB.Backup or sqlite.BackupFile). PostgreSQL deployments use
// pg_dump instead, outside the service.
package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Source writes a consistent copy of a database to path, a new empty file.
type Source interface {
	Backup(ctx context.Context, path string) error
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, path string) error

// Backup calls f.
func (f SourceFunc) Backup(ctx context.Context, path string) error { return f(ctx, path) }

// tmpMarker is in the name of every temporary file WriteFile creates, so
// that they can be told from backups and cleaned up after a crash.
const tmpMarker = ".tmp-"

// WriteFile has src write a backup to path: first to a hidden temporary
// file in the same directory (mode 0600: a backup holds the token signing
// key and the sealed LoTW/DCL credentials), synced to disk, then renamed to
// path, and the directory synced so that the rename survives a power cut.
// Until the rename, path is untouched; on failure the temporary file is
// removed. It returns the backup's size.
func WriteFile(ctx context.Context, src Source, path string) (size int64, err error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+name+tmpMarker+"*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer func() {
		if err != nil {
			removeTemp(tmpPath)
		}
	}()
	if err := src.Backup(ctx, tmpPath); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(tmpPath, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	// The Source may have replaced the file we created: make sure of the
	// mode before the backup gets its real name.
	err = f.Chmod(0o600)
	if err == nil {
		err = f.Sync()
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return fi.Size(), nil
}

// removeTemp removes a temporary backup and what SQLite may have left
// beside it (a rollback journal of an interrupted copy).
func removeTemp(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// isTemp reports whether name is one of WriteFile's temporary files.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tmpMarker)
}
