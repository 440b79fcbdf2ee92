package app

import (
	"context"

	"github.com/awardtracker/awardtracker/pkg/backup"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// dbName names the database in logs: the SQLite file, or the PostgreSQL
// URL without its password.
func (c *Config) dbName() (engine, name string) {
	if c.DBURL != "" {
		return "postgres", postgres.Redact(c.DBURL)
	}
	return "sqlite", c.DBPath
}

// openDB opens the configured database. backups is the source of the
// scheduled backups: SQLite's own copy; nil for PostgreSQL, whose
// operators back it up with its tools (pg_dump, base backups). notifier
// (PostgreSQL only) announces the writes to the other replicas.
func openDB(ctx context.Context, cfg *Config, opts gormstore.Options, notifier *postgres.Notifier) (db *gormstore.DB, backups backup.Source, err error) {
	if cfg.DBURL != "" {
		if notifier != nil { // a nil *Notifier in the interface would not read as nil
			opts.Notifier = notifier
		}
		db, err := postgres.Open(ctx, cfg.DBURL, postgres.Options{Options: opts})
		return db, nil, err
	}
	sdb, err := sqlite.Open(ctx, cfg.DBPath, sqlite.Options{Tracker: opts.Tracker, Logger: opts.Logger, QueryDelay: opts.QueryDelay})
	if err != nil {
		return nil, nil, err
	}
	return sdb.DB, sdb, nil
}
