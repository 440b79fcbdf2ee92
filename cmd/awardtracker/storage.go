package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

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
		c.DBURL = dbURL
	case strings.HasPrefix(dbURL, "sqlite://"):
		c.DBPath = strings.TrimPrefix(dbURL, "sqlite://")
	case strings.Contains(dbURL, "://"):
		return fmt.Errorf("--db.url %s: want postgres://, postgresql://, sqlite:// or a file path", postgres.Redact(dbURL))
	default:
		c.DBPath = dbURL
	}
	if c.DBPath == "" {
		return fmt.Errorf("--db.url: empty SQLite path")
	}
	return nil
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
