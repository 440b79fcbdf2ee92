// Package gormstore stores users, QSOs and sync state through GORM. It is
// the one implementation of the storage interfaces of package awardtracker,
// shared by the two engines: package sqlite (the embedded default) and
// package postgres (a fleet's shared database) open a connection, describe
// their engine in a Dialect and hand both to New.
//
// Why one package for both engines rather than a copy in each: the import's
// matching (package match), its batched reads and writes, the statistics, the
// query-timing callbacks and the awardtracker_db_* metrics must behave alike
// on both, and two copies would drift. What differs is small and named in
// Dialect: how bulk statements bind a batch, error translation, an index
// hint, the single-writer queue SQLite needs and the per-user lock
// PostgreSQL needs.
//
// GORM never leaves the package: callers see domain types and domain errors
// only.
package gormstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/perf"
)

// Dialect is what differs between the engines.
type Dialect struct {
	// Name prefixes errors: "sqlite", "postgres".
	Name string
	// Arrays says the import's read of matched QSOs (bulk.go) binds their
	// ids as one array, id = ANY($1::bigint[]) (PostgreSQL), rather than
	// one ? per id (SQLite), and that imports run in batches of
	// batchArrays rather than batchSQLite.
	Arrays bool
	// CopyFrom, if set, bulk-loads an import's new QSOs and its merged ones
	// (which replace their stored rows: bulk.replaceRows): rows into table
	// (its columns named) on driverConn, the driver's connection under the
	// import's transaction (database/sql's Conn.Raw). PostgreSQL's COPY
	// streams rows that the server stores while the client still encodes
	// the next ones. COPY cannot return the ids it assigns, so NextIDsSQL
	// reserves them first: it returns $1 new ids of the qsos table.
	CopyFrom   func(ctx context.Context, driverConn any, table string, columns []string, rows [][]any) error
	NextIDsSQL string
	// IndexHints says the engine takes SQLite's INDEXED BY.
	IndexHints bool
	// CoveringIndexes says the engine reads an index without its table's
	// rows, so the tallies' recount gets indexes of its own (migrate.go).
	CoveringIndexes bool
	// StrPos is the function giving a substring's 1-based position
	// (SQLite instr, PostgreSQL strpos), for a migration step.
	StrPos string
	// ChangesSQL answers, inside a transaction, a number that differs
	// after the transaction wrote a row from before (see DB.writeLocked).
	ChangesSQL string
	// SingleWriter queues writes in the process: SQLite has one write
	// lock, and writers queued here in order (with their contexts) do not
	// spin on its busy timeout. PostgreSQL writes concurrently.
	SingleWriter bool
	// LockUserSQL, if set, runs first in every write that changes a
	// user's QSOs (an import, a delete), with the user id: it serialises
	// them across processes (PostgreSQL advisory lock), since matching
	// reads the user's QSOs and then writes, two imports interleaved would
	// both see a record as new, and the tallies' recount (tally.go) must
	// see every other change to the user's QSOs committed. SQLite needs
	// none: its write lock already admits one writer at a time.
	LockUserSQL string
	// AnalyzeSQL, if set, runs in an import's transaction that added at
	// least AnalyzeRows QSOs, before the tallies' recount.
	// PostgreSQL plans from table statistics that autovacuum refreshes
	// only a minute or more later; until then a large first import leaves
	// the planner estimating a handful of rows for the user, and the
	// recount's GROUP BYs sort instead of hashing (3x slower on 100,000
	// QSOs). ANALYZE in the transaction samples the transaction's own new
	// rows; the user_id column alone is what those plans need (a third of
	// ANALYZE's time for the whole table). It holds a lock that makes a
	// second large import's ANALYZE wait for this one's commit, which is
	// rare and brief next to the import.
	// SQLite plans from its indexes alone.
	AnalyzeSQL string
	// AfterCopySQL runs at the end of Copy on the target, for rows
	// inserted with their ids: PostgreSQL's sequences must continue after
	// them (SQLite's AUTOINCREMENT follows the largest id by itself).
	AfterCopySQL []string
	// TranslateError returns the domain error for a driver error whose
	// meaning it knows, nil for any other.
	TranslateError func(error) error
	// StorageFailure returns the reason (one of FailureReasons) a write
	// failed when the storage, not the request, is to blame, and whether
	// the database cannot take writes now; "" for any other error.
	StorageFailure func(error) (reason string, unwritable bool)
	// Check, if set, runs before every write and in Ping; an error refuses
	// the write (SQLite: the database file was deleted or replaced).
	Check func() error
}

// Options configure New.
type Options struct {
	// Tracker times every query; nil disables tracking.
	Tracker *perf.Tracker
	// Logger receives slow-query and error logs; nil discards them.
	Logger *slog.Logger
	// QueryDelay is added to every query. Test-only: it lets end-to-end tests
	// drive the slow-query alerts with real queries.
	QueryDelay time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Notifier, if set, announces every write that changed a user's QSOs
	// inside that write's transaction (PostgreSQL: the cache
	// invalidations of a fleet).
	Notifier ChangeNotifier
}

// ChangeNotifier announces to other processes that a user's QSOs changed.
// Its statement runs last in the write's transaction, so the announcement
// goes out exactly when the write commits (PostgreSQL queues a NOTIFY
// until COMMIT and drops it on ROLLBACK), and a failed announcement fails
// the write rather than leave the others unaware of it.
type ChangeNotifier interface {
	// NotifySQL returns the statement and its bound values that announce
	// userID's change; reason is "import", "sync" or "delete".
	NotifySQL(userID int64, reason string) (string, []any)
	// Notified is called once the transaction ended: err is nil when it
	// committed (and the announcement was delivered).
	Notified(err error)
}

// DB is an open database.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect Dialect
	log     *slog.Logger
	now     func() time.Time
	notify  ChangeNotifier // nil: nobody else to tell
	// tracker times the statements that bypass GORM's callbacks (bulk).
	tracker *perf.Tracker
	// writer admits one writing statement or transaction at a time when
	// the dialect is a SingleWriter; nil otherwise.
	writer chan struct{}
	// health remembers whether the last write failed for want of storage.
	health writeHealth
	// batch is the import's batch size (bulk.go); insertFull and mergeFull
	// are SQLite's bulk statements of a full batch, built once.
	batch                 int
	insertFull, mergeFull string
}

// New sets up g (opened by the engine's package without PrepareStmt and
// with SkipDefaultTransaction) and runs the schema migrations. On error g
// is left open: the caller closes it.
func New(ctx context.Context, g *gorm.DB, d Dialect, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	db := &DB{gorm: g, sql: sqlDB, dialect: d, log: opts.Logger, tracker: opts.Tracker,
		now: func() time.Time { return opts.Now().UTC() }, health: writeHealth{reason: d.StorageFailure}, notify: opts.Notifier}
	if d.SingleWriter {
		db.writer = make(chan struct{}, 1)
	}
	db.batch = batchSQLite
	if d.Arrays {
		db.batch = batchArrays
	}
	if d.CopyFrom == nil {
		db.insertFull, db.mergeFull = insertStatement(db.batch), mergeUpdate(db.batch)
	}
	if err := requireTransactions(g); err != nil {
		return nil, err
	}
	if err := registerCallbacks(g, opts.Tracker, opts.QueryDelay); err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// SQLDB exposes the connection pool for its statistics (go_sql_* metrics)
// and for engine-specific work (SQLite's backup).
func (db *DB) SQLDB() *sql.DB { return db.sql }

// Ping checks the engine's own condition (SQLite: the file is the one
// opened), that the last write did not fail for want of storage (disk full,
// I/O error, read-only), and that the database answers a query.
//
// After a failed write, Ping tries a one-row write itself (at most once per
// probeInterval, and only when no other write is running), so that health
// and readiness recover when space returns even if no client writes: a
// readiness probe that failed until the next write could keep the service
// out of rotation for ever.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.check(); err != nil {
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

func (db *DB) check() error {
	if db.dialect.Check == nil {
		return nil
	}
	return db.dialect.Check()
}

// probeWrite writes one settings row if no other write is running; its
// outcome is recorded like any write's.
func (db *DB) probeWrite(ctx context.Context) {
	if db.writer != nil {
		select {
		case db.writer <- struct{}{}:
		default:
			return // a running write will record its own outcome
		}
		defer func() { <-db.writer }()
	}
	// New random bytes each time: SQLite skips rewriting a row whose
	// content is unchanged, and a commit with nothing to write proves nothing.
	value := make([]byte, 16)
	_, _ = rand.Read(value)
	_ = db.writeLocked(ctx, "write_probe", func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO settings (name, value) VALUES ('write_probe', ?) "+
			"ON CONFLICT(name) DO UPDATE SET value = excluded.value", value).Error
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
		return nil, db.formatError(err)
	}
	s = settingRow{Name: name, Value: make([]byte, n)}
	if _, err := rand.Read(s.Value); err != nil {
		return nil, err
	}
	// Another process may have raced us: keep whichever was stored first.
	if err := db.PutSecret(ctx, name, s.Value, false); err != nil {
		return nil, err
	}
	if err := db.conn(ctx, "setting_get").Where("name = ?", name).Take(&s).Error; err != nil {
		return nil, db.formatError(err)
	}
	return s.Value, nil
}

// PutSecret stores a server secret: replacing one already stored only when
// replace is set (migrate-db copies the token signing key with it).
func (db *DB) PutSecret(ctx context.Context, name string, value []byte, replace bool) error {
	conflict := "DO NOTHING"
	if replace {
		conflict = "DO UPDATE SET value = excluded.value"
	}
	return db.formatError(db.write(ctx, "setting_put", func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) "+conflict, name, value).Error
	}))
}

// write runs fn, whose statements are tracked as name, inside one explicit
// transaction (as the only writer, for a SingleWriter engine), and records
// the outcome for Ping and the write metrics.
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
	if db.writer != nil {
		select {
		case db.writer <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-db.writer }()
	}
	return db.writeLocked(ctx, name, fn)
}

// writeLocked is write for a caller that holds db.writer (if any).
func (db *DB) writeLocked(ctx context.Context, name string, fn func(*gorm.DB) error) error {
	// SQLite would go on writing to a deleted or replaced file, and every
	// write would be lost when the process restarts: refuse instead.
	if err := db.check(); err != nil {
		db.health.record(err)
		return err
	}
	// After a failed write, only a write that changed rows clears the
	// failure: a commit with nothing to write (a DELETE that matched
	// nothing) succeeds on a full disk too.
	failed := db.health.failure() != nil
	changed := !failed
	err := db.transaction(db.conn(ctx, name), func(tx *gorm.DB) error {
		var before, after int64
		if failed {
			if err := tx.Raw(db.dialect.ChangesSQL).Scan(&before).Error; err != nil {
				return err
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		if failed {
			if err := tx.Raw(db.dialect.ChangesSQL).Scan(&after).Error; err != nil {
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

// transaction runs fn in a transaction of g. With a Dialect.CopyFrom, the
// transaction runs on a connection held for it, which bulk reaches for
// COPY (heldConn); database/sql hands out a transaction's connection no
// other way.
func (db *DB) transaction(g *gorm.DB, fn func(tx *gorm.DB) error) error {
	if db.dialect.CopyFrom == nil {
		return g.Transaction(fn)
	}
	return g.Connection(func(c *gorm.DB) error {
		conn, ok := c.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("%s: a held connection is a %T", db.dialect.Name, c.Statement.ConnPool)
		}
		c.Statement.Context = context.WithValue(c.Statement.Context, heldConnKey{}, conn)
		return c.Transaction(fn)
	})
}

// heldConnKey is the context key of the connection a transaction runs on.
type heldConnKey struct{}

// heldConn returns the connection tx's transaction runs on, if held.
func heldConn(tx *gorm.DB) (*sql.Conn, bool) {
	conn, ok := tx.Statement.Context.Value(heldConnKey{}).(*sql.Conn)
	return conn, ok
}

// conn returns a session bound to ctx whose queries are tracked as name.
func (db *DB) conn(ctx context.Context, name string) *gorm.DB {
	return db.gorm.WithContext(perf.WithQuery(ctx, name))
}

// formatError turns driver errors into domain errors where their meaning is
// known; anything else stays an internal error carrying the cause.
func (db *DB) formatError(err error) error {
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
	if db.dialect.TranslateError != nil {
		if de := db.dialect.TranslateError(err); de != nil {
			return de
		}
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "database is closed") {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unavailable", err)
	}
	return awardtracker.WrapError(awardtracker.EINTERNAL, "database error", err)
}
