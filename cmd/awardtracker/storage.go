package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/backup"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// resolveDB sets the engine from --db.url and --db.path: a postgres:// URL
// selects PostgreSQL; a path or sqlite://PATH selects SQLite, as
// --db.path alone does.
func (c *config) resolveDB(dbURL string, pathSet bool) error {
	if dbURL == "" {
		return nil
	}
	if pathSet {
		return fmt.Errorf("set --db.url or --db.path, not both")
	}
	switch {
	case postgres.IsURL(dbURL):
		c.dbURL = dbURL
	case strings.HasPrefix(dbURL, "sqlite://"):
		c.dbPath = strings.TrimPrefix(dbURL, "sqlite://")
	case strings.Contains(dbURL, "://"):
		return fmt.Errorf("--db.url %s: want postgres://, postgresql://, sqlite:// or a file path", postgres.Redact(dbURL))
	default:
		c.dbPath = dbURL
	}
	if c.dbPath == "" {
		return fmt.Errorf("--db.url: empty SQLite path")
	}
	return nil
}

// dbName names the database in logs: the SQLite file, or the PostgreSQL
// URL without its password.
func (c *config) dbName() (engine, name string) {
	if c.dbURL != "" {
		return "postgres", postgres.Redact(c.dbURL)
	}
	return "sqlite", c.dbPath
}

// openDB opens the configured database. backups is the source of the
// scheduled backups: SQLite's own copy; nil for PostgreSQL, whose
// operators back it up with its tools (pg_dump, base backups). notifier
// (PostgreSQL only) announces the writes to the other replicas.
func openDB(ctx context.Context, cfg *config, opts gormstore.Options, notifier *postgres.Notifier) (db *gormstore.DB, backups backup.Source, err error) {
	if cfg.dbURL != "" {
		db, err := postgres.Open(ctx, cfg.dbURL, postgres.Options{Options: opts, Notifier: notifier})
		return db, nil, err
	}
	sdb, err := sqlite.Open(ctx, cfg.dbPath, sqlite.Options{Tracker: opts.Tracker, Logger: opts.Logger, QueryDelay: opts.QueryDelay})
	if err != nil {
		return nil, nil, err
	}
	return sdb.DB, sdb, nil
}

// runMigrateDB is the migrate-db command: a copy of a SQLite database into
// a new PostgreSQL database (gormstore.Copy), keeping user ids (stored
// credentials are sealed to them) and the token signing key (issued tokens
// stay valid).
func runMigrateDB(ctx context.Context, cfg *config, log *slog.Logger) int {
	from := strings.TrimPrefix(cfg.migrateFrom, "sqlite://")
	to := postgres.Redact(cfg.migrateTo)
	// sqlite.Open would create a missing file, and copy nothing.
	if _, err := os.Stat(from); err != nil {
		log.Error("Cannot read the SQLite database", "err", err)
		return 2
	}
	src, err := sqlite.Open(ctx, from, sqlite.Options{})
	if err != nil {
		log.Error("Cannot open the SQLite database", "path", from, "err", err)
		return 1
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, cfg.migrateTo, postgres.Options{})
	if err != nil {
		log.Error("Cannot open the PostgreSQL database", "db", to, "err", err)
		return 1
	}
	defer dst.Close()
	started := time.Now()
	n, err := gormstore.Copy(ctx, src.DB, dst)
	if err != nil {
		log.Error("Copy failed; the PostgreSQL database is unchanged", "db", to, "err", err)
		return 1
	}
	log.Info("Database copied", "from", from, "to", to, "users", n.Users, "qsos", n.QSOs,
		"sync_states", n.SyncStates, "settings", n.Settings, "duration", time.Since(started))
	return 0
}
