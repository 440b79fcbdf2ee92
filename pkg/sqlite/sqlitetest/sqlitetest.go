// Package sqlitetest opens a real, throwaway SQLite database for tests: a
// fresh file in the test's own temporary directory, closed when the test
// ends. Tests that must choose the file (to reopen it, move it or read it
// with another connection) call sqlite.Open themselves. Only tests import
// it.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// Open opens a new database in t.TempDir() with opts and closes it in
// t.Cleanup. It fails the test if the database cannot be opened.
func Open(t testing.TB, opts sqlite.Options) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "awardtracker.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Close is safe to call twice, so tests that close the database
	// themselves before they end may keep doing so.
	t.Cleanup(func() { db.Close() })
	return db
}
