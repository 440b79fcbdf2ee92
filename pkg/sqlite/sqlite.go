// Package sqlite stores users, QSOs and sync state in SQLite through GORM.
//
// It implements the storage interfaces of package awardtracker. GORM never
// leaves this package: callers see domain types and domain errors only, so a
// Postgres backend can be added beside it without touching the API or the
// services. Every query is timed by a perf.Tracker through GORM callbacks.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
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

// DB is an open database.
type DB struct {
	gorm *gorm.DB
	sql  *sql.DB
	path string
	// file identifies the database file opened, so that Ping notices when
	// it is deleted or replaced under the running process (a volume
	// unmounted, a restore gone wrong): SQLite would go on writing to the
	// unlinked file and every write would be lost.
	file os.FileInfo
	log  *slog.Logger
	now  func() time.Time
	// tracker times the statements that bypass GORM's callbacks (bulk).
	tracker *perf.Tracker
	// writer admits one writing statement or transaction at a time. SQLite
	// has a single write lock; queueing writers here, in order and with
	// their contexts, keeps them from spinning on the busy timeout and
	// failing with "database is locked" under load. The busy timeout still
	// covers other processes.
	writer chan struct{}
	// health remembers whether the last write failed for want of storage.
	health writeHealth
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
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	now := func() time.Time { return opts.Now().UTC() }
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
		NowFunc:     now,
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

	db := &DB{gorm: g, sql: sqlDB, path: path, log: opts.Logger, now: now,
		writer: make(chan struct{}, 1), tracker: opts.Tracker}
	if err := requireTransactions(g); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if err := registerCallbacks(g, opts.Tracker, opts.QueryDelay); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if path != ":memory:" {
		if db.file, err = os.Stat(path); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// SQLDB exposes the connection pool for its statistics (go_sql_* metrics).
func (db *DB) SQLDB() *sql.DB { return db.sql }

// Ping checks that the database file is still the one opened, that the
// last write did not fail for want of storage (disk full, I/O error,
// read-only or missing file), and that the database answers a query.
//
// After a failed write, Ping tries a one-row write itself (at most once per
// probeInterval, and only when no other write is running), so that health
// and readiness recover when space returns even if no client writes: a
// readiness probe that failed until the next write could keep the service
// out of rotation for ever.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.checkFile(); err != nil {
		return err
	}
	if err := db.health.failure(); err != nil {
		if db.health.probeDue(db.now()) {
			db.probeWrite(ctx)
		}
		if err := db.health.failure(); err != nil {
			return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "the last database write failed", err)
		}
	}
	var one int
	if err := db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unreachable", err)
	}
	return nil
}

// probeWrite writes one settings row if no other write is running; its
// outcome is recorded like any write's.
func (db *DB) probeWrite(ctx context.Context) {
	select {
	case db.writer <- struct{}{}:
	default:
		return // a running write will record its own outcome
	}
	defer func() { <-db.writer }()
	// New random bytes each time: SQLite skips rewriting a row whose
	// content is unchanged, and a commit with nothing to write proves nothing.
	_ = db.writeLocked(ctx, "write_probe", func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO settings (name, value) VALUES ('write_probe', randomblob(16)) " +
			"ON CONFLICT(name) DO UPDATE SET value = excluded.value").Error
	})
}

// Secret returns the named server secret, creating a random one of n bytes
// the first time, so that secrets (the token signing key) survive restarts.
func (db *DB) Secret(ctx context.Context, name string, n int) ([]byte, error) {
	var s settingRow
	err := db.conn(ctx, "setting_get").Where("name = ?", name).Take(&s).Error
	if err == nil {
		return s.Value, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, formatError(err)
	}
	s = settingRow{Name: name, Value: make([]byte, n)}
	if _, err := rand.Read(s.Value); err != nil {
		return nil, err
	}
	// Another process may have raced us: keep whichever was stored first.
	if err := db.write(ctx, "setting_put", func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", s.Name, s.Value).Error
	}); err != nil {
		return nil, formatError(err)
	}
	if err := db.conn(ctx, "setting_get").Where("name = ?", name).Take(&s).Error; err != nil {
		return nil, formatError(err)
	}
	return s.Value, nil
}

// write runs fn, whose statements are tracked as name, as the only writer
// and inside one explicit transaction, and records the outcome for Ping and
// the write metrics.
//
// Why always a transaction: outside one, SQLite commits each statement
// implicitly when it finishes. For GORM's INSERT ... RETURNING (every
// Create) that happens when the rows are closed, and go-sqlite3's statement
// cache (_stmt_cache_size) then resets the statement for reuse and drops
// the error: with the disk full, a sign-up was answered 201 for a user
// never stored. An explicit COMMIT is a statement of its own whose error
// always comes back (and go-sqlite3 rolls back after a failed one). It costs
// a BEGIN and a COMMIT per write (measured in docs/performance.md); the
// statement cache stays for the imports' speed.
func (db *DB) write(ctx context.Context, name string, fn func(*gorm.DB) error) error {
	select {
	case db.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.writer }()
	return db.writeLocked(ctx, name, fn)
}

// writeLocked is write for a caller that holds db.writer.
func (db *DB) writeLocked(ctx context.Context, name string, fn func(*gorm.DB) error) error {
	// SQLite would go on writing to a deleted or replaced file, and every
	// write would be lost when the process restarts: refuse instead.
	if err := db.checkFile(); err != nil {
		db.health.record(err)
		return err
	}
	// After a failed write, only a write that changed rows clears the
	// failure: a commit with nothing to write (a DELETE that matched
	// nothing) succeeds on a full disk too. total_changes() counts per
	// connection, and the transaction holds one.
	failed := db.health.failure() != nil
	changed := !failed
	err := db.conn(ctx, name).Transaction(func(tx *gorm.DB) error {
		var before, after int64
		if failed {
			if err := tx.Raw("SELECT total_changes()").Scan(&before).Error; err != nil {
				return err
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		if failed {
			if err := tx.Raw("SELECT total_changes()").Scan(&after).Error; err != nil {
				return err
			}
			changed = after != before
		}
		return nil
	})
	if err != nil || changed {
		db.health.record(err)
	}
	return err
}

// checkFile reports EUNAVAILABLE when the database file is no longer the
// one opened (deleted, moved away or replaced under the running process).
func (db *DB) checkFile() error {
	if db.file == nil {
		return nil
	}
	fi, err := os.Stat(db.path)
	if err != nil || !os.SameFile(fi, db.file) {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE,
			fmt.Sprintf("database file %s missing or replaced", filepath.Base(db.path)), errFileGone)
	}
	return nil
}

// errFileGone marks the refusals of checkFile for the write metrics.
var errFileGone = errors.New("database file missing or replaced")

// conn returns a session bound to ctx whose queries are tracked as name.
func (db *DB) conn(ctx context.Context, name string) *gorm.DB {
	return db.gorm.WithContext(perf.WithQuery(ctx, name))
}

// formatError turns driver errors into domain errors where their meaning is
// known; anything else stays an internal error carrying the cause.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	var ae *awardtracker.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return awardtracker.WrapError(awardtracker.ENOTFOUND, "not found", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
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
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "database is closed") {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unavailable", err)
	}
	return awardtracker.WrapError(awardtracker.EINTERNAL, "database error", err)
}
