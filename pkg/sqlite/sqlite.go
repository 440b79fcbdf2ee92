// Package sqlite opens the embedded SQLite database: the file, its WAL mode
// and connection pool, the engine's Dialect for package gormstore (which
// holds the storage itself, shared with package postgres), the translation
// of SQLite's errors, and the backups (VACUUM INTO). It does not implement
// the storage interfaces itself: gormstore's services do, over the DB that
// Open returns.
package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/perf"
)

// Options configure Open.
type Options struct {
	// Tracker times every query; nil disables tracking.
	Tracker *perf.Tracker
	// Logger receives slow-query and error logs; nil discards them.
	Logger *slog.Logger
	// QueryDelay is added to every query. Test-only: it lets end-to-end tests
	// drive the slow-query alerts with real queries.
	QueryDelay time.Duration
	// BusyTimeout is how long a writer waits for the write lock (default 5s).
	BusyTimeout time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// DB is an open SQLite database: the shared storage plus SQLite's backup.
type DB struct {
	*gormstore.DB
	path string
}

// Open opens (creating if needed) the database file at path, switches it to
// WAL mode and runs the schema migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	// _stmt_cache_size keeps each connection's recently prepared statements
	// (bounded, unlike GORM's PrepareStmt inside a transaction).
	// _txlock=immediate takes the write lock when a transaction begins, so two
	// writers queue on the busy timeout instead of failing with "database is
	// locked" when one of them tries to upgrade a read lock.
	dsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=%d&_foreign_keys=on&_txlock=immediate&_stmt_cache_size=64",
		path, opts.BusyTimeout.Milliseconds())
	g, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // we open transactions where we need them
		// No PrepareStmt: inside a transaction database/sql allocates a
		// statement per execution and frees them only at commit, which a
		// 100,000-record sync turned into gigabytes. _stmt_cache_size does
		// the caching instead.
		PrepareStmt: false,
		NowFunc:     func() time.Time { return now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// SQLite has one writer; readers run concurrently in WAL mode.
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)

	// file identifies the database file opened, so that writes and Ping
	// notice when it is deleted or replaced under the running process (a
	// volume unmounted, a restore gone wrong): SQLite would go on writing
	// to the unlinked file and every write would be lost. It is set once
	// the migrations created the file.
	var file os.FileInfo
	check := func() error {
		if file == nil {
			return nil
		}
		fi, err := os.Stat(path)
		if err != nil || !os.SameFile(fi, file) {
			return awardtracker.WrapError(awardtracker.EUNAVAILABLE,
				fmt.Sprintf("database file %s missing or replaced", filepath.Base(path)), errFileGone)
		}
		return nil
	}
	d := gormstore.Dialect{
		Name: "sqlite", IndexHints: true, CoveringIndexes: true, StrPos: "instr", SingleWriter: true,
		// total_changes() counts per connection, and the transaction holds one.
		ChangesSQL:     "SELECT total_changes()",
		TranslateError: translateError, StorageFailure: storageFailure, Check: check,
	}
	db, err := gormstore.New(ctx, g, d, gormstore.Options{Tracker: opts.Tracker, Logger: opts.Logger, QueryDelay: opts.QueryDelay, Now: opts.Now})
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	if path != ":memory:" {
		if file, err = os.Stat(path); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	return &DB{DB: db, path: path}, nil
}

// errFileGone marks the refusals of the file check for the write metrics.
var errFileGone = errors.New("database file missing or replaced")

// translateError turns the SQLite errors whose meaning is known into domain
// errors.
func translateError(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code {
	case sqlite3.ErrConstraint:
		if se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey {
			return awardtracker.WrapError(awardtracker.ECONFLICT, "already exists", err)
		}
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database busy, try again", err)
	case sqlite3.ErrCantOpen, sqlite3.ErrIoErr, sqlite3.ErrNotADB, sqlite3.ErrCorrupt, sqlite3.ErrReadonly, sqlite3.ErrFull:
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unavailable", err)
	}
	return nil
}

// storageFailure is the Dialect's StorageFailure: constraint violations,
// cancelled contexts and bad input return "".
func storageFailure(err error) (reason string, unwritable bool) {
	if errors.Is(err, errFileGone) {
		return gormstore.ReasonFileGone, true
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Code {
	case sqlite3.ErrFull:
		return gormstore.ReasonDiskFull, true
	case sqlite3.ErrIoErr:
		return gormstore.ReasonIOError, true
	case sqlite3.ErrReadonly, sqlite3.ErrCantOpen:
		return gormstore.ReasonReadOnly, true
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return gormstore.ReasonCorrupt, true
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		// Busy does not make the database unwritable: the next write may
		// well pass.
		return gormstore.ReasonBusy, false
	}
	return "", false
}

// The services over an SQLite database are gormstore's; these spare callers
// the unwrapping.

// NewUserService returns the users stored in db.
func NewUserService(db *DB) *gormstore.UserService { return gormstore.NewUserService(db.DB) }

// NewQSOService returns the QSOs stored in db.
func NewQSOService(db *DB) *gormstore.QSOService { return gormstore.NewQSOService(db.DB) }

// NewStatsService returns the statistics of the QSOs stored in db.
func NewStatsService(db *DB) *gormstore.StatsService { return gormstore.NewStatsService(db.DB) }

// NewSyncStateService returns the sync states stored in db.
func NewSyncStateService(db *DB) *gormstore.SyncStateService {
	return gormstore.NewSyncStateService(db.DB)
}

// The service types, under the names callers knew before the storage moved
// to package gormstore.
type (
	UserService      = gormstore.UserService
	QSOService       = gormstore.QSOService
	StatsService     = gormstore.StatsService
	SyncStateService = gormstore.SyncStateService
)
