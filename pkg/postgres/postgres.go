// Package postgres opens a PostgreSQL database for a fleet of replicas: the
// connection pool over pgx (through gorm.io/driver/postgres), the engine's
// Dialect for package gormstore (which holds the storage itself, shared
// with package sqlite), and the translation of PostgreSQL's errors. It does
// not implement the storage interfaces itself: gormstore's services do,
// over the DB that Open returns. It never logs or returns the password of
// the URL it is given (see Redact).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/redact"
)

// Options configure Open.
type Options struct {
	gormstore.Options
	// MaxConns caps the pool's connections (default 16): every replica
	// holds up to this many of the server's max_connections (and its
	// Notifier, set as Options.Notifier, one more, to listen).
	MaxConns int
}

// IsURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://) rather than a SQLite file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at dsn (a postgres:// URL) and runs the
// schema migrations. Errors name the URL without its password.
func Open(ctx context.Context, dsn string, opts Options) (*gormstore.DB, error) {
	if !IsURL(dsn) {
		return nil, fmt.Errorf("postgres: %s is not a postgres:// URL", Redact(dsn))
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = 16
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	g, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // gormstore opens transactions where it needs them
		NowFunc:                func() time.Time { return now().UTC() },
	})
	if err != nil {
		return nil, scrub(dsn, fmt.Errorf("postgres: open %s: %w", Redact(dsn), err))
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(opts.MaxConns)
	sqlDB.SetMaxIdleConns(opts.MaxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db, err := gormstore.New(ctx, g, dialect, opts.Options)
	if err != nil {
		sqlDB.Close()
		return nil, scrub(dsn, err)
	}
	return db, nil
}

var dialect = gormstore.Dialect{
	Name: "postgres", Arrays: true, StrPos: "strpos",
	// The transaction's id is assigned at its first write: 0 before, a
	// number after.
	ChangesSQL: "SELECT COALESCE(pg_current_xact_id_if_assigned()::text::bigint, 0)",
	// One import per user at a time across every replica; released at
	// commit or rollback. The user id is the lock's key.
	LockUserSQL: "SELECT pg_advisory_xact_lock(?)",
	AnalyzeSQL:  "ANALYZE qsos (user_id)",
	CopyFrom:    copyFrom,
	// qsos_id_seq is the name a bigserial id column gives its sequence
	// (AutoMigrate creates it so). Looking it up with
	// pg_get_serial_sequence, evaluated for every id, cost 3 µs an id:
	// 0.3 s of a first sync of 100,000 records.
	NextIDsSQL: "SELECT nextval('qsos_id_seq') FROM generate_series(1, $1)",
	AfterCopySQL: []string{
		"SELECT setval(pg_get_serial_sequence('users', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM users",
		"SELECT setval(pg_get_serial_sequence('qsos', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM qsos",
	},
	TranslateError: translateError, StorageFailure: storageFailure,
}

// copyFrom is the Dialect's CopyFrom: pgx's CopyFrom (COPY ... FROM STDIN,
// binary) on the connection under the transaction.
func copyFrom(ctx context.Context, driverConn any, table string, columns []string, rows [][]any) error {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return fmt.Errorf("postgres: COPY needs pgx's connection, not a %T", driverConn)
	}
	n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
	if err != nil {
		return err
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("postgres: COPY of %d rows into %s stored %d", len(rows), table, n)
	}
	return nil
}

// Redact returns dsn with its password replaced by "xxxxx", for logs and
// errors: a URL's user info (postgres://user:secret@host) and a password=
// parameter both.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	// Not even a URL: hide the whole user info and any password
	// parameter, the two places a password can hide.
	if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); i >= 0 && j > i {
		dsn = dsn[:i+3] + "xxxxx" + dsn[j:]
	}
	return passwordParam.ReplaceAllString(dsn, "password=xxxxx")
}

var passwordParam = regexp.MustCompile(`password=[^&\s]*`)

// scrub removes dsn's password, in every spelling (a URL's is
// percent-encoded), from an error's message, in case a driver quoted the
// URL.
func scrub(dsn string, err error) error {
	if err == nil {
		return nil
	}
	return redact.Error(err, password(dsn))
}

func password(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	if pw, ok := u.User.Password(); ok {
		return pw
	}
	return u.Query().Get("password")
}

// translateError turns the PostgreSQL errors whose meaning is known into
// domain errors (SQLSTATE codes: postgresql.org/docs/current/errcodes-appendix.html).
func translateError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return awardtracker.WrapError(awardtracker.ECONFLICT, "already exists", err)
		case pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "55P03": // serialization, deadlock, lock not available
			return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database busy, try again", err)
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"), strings.HasPrefix(pe.Code, "57P"),
			strings.HasPrefix(pe.Code, "58"), pe.Code == "25006", strings.HasPrefix(pe.Code, "XX"):
			// connection, insufficient resources, shutdown, system error,
			// read-only transaction, internal error
			return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unavailable", err)
		}
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unreachable", err)
	}
	return nil
}

// storageFailure is the Dialect's StorageFailure.
func storageFailure(err error) (reason string, unwritable bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return "", false
	}
	switch {
	case pe.Code == "53100": // disk_full
		return gormstore.ReasonDiskFull, true
	case pe.Code == "58030": // io_error
		return gormstore.ReasonIOError, true
	case pe.Code == "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
		return gormstore.ReasonReadOnly, true
	case pe.Code == "XX001" || pe.Code == "XX002": // data_corrupted, index_corrupted
		return gormstore.ReasonCorrupt, true
	case pe.Code == "55P03" || pe.Code == "40P01": // lock_not_available, deadlock_detected
		return gormstore.ReasonBusy, false
	}
	return "", false
}
