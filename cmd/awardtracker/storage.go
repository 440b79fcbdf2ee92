package main

import (
	"context"
	"fmt"
	"strings"

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
// operators back it up with its tools (pg_dump, base backups).
func openDB(ctx context.Context, cfg *config, opts gormstore.Options) (db *gormstore.DB, backups backup.Source, err error) {
	if cfg.dbURL != "" {
		db, err := postgres.Open(ctx, cfg.dbURL, postgres.Options{Options: opts})
		return db, nil, err
	}
	sdb, err := sqlite.Open(ctx, cfg.dbPath, sqlite.Options{Tracker: opts.Tracker, Logger: opts.Logger, QueryDelay: opts.QueryDelay})
	if err != nil {
		return nil, nil, err
	}
	return sdb.DB, sdb, nil
}
