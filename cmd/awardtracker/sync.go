package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/dcl"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/secret"
	"github.com/awardtracker/awardtracker/pkg/syncer"
)

// newSyncer builds the LoTW and DCL clients and the syncer around them.
// On PostgreSQL the syncer's jobs and schedule live in River, on a pool of
// their own (River speaks pgx, the storage database/sql through GORM),
// after River's migrations; closePool closes that pool once the syncer is
// closed (a no-op on SQLite).
func newSyncer(ctx context.Context, cfg *config, log *slog.Logger, reg prometheus.Registerer, db *gormstore.DB,
	qsos awardtracker.QSOService) (s *syncer.Syncer, closePool func(context.Context) error, err error) {
	closePool = func(context.Context) error { return nil }
	var box *secret.Box
	if cfg.secretsKey != "" {
		if box, err = secret.NewBox(cfg.secretsKey); err != nil {
			return nil, closePool, err
		}
	} else {
		log.Warn("No --secrets.key: users cannot store LoTW or DCL credentials, so nothing will sync")
	}
	var pool *pgxpool.Pool
	if cfg.dbURL != "" {
		pcfg, err := pgxpool.ParseConfig(cfg.dbURL)
		if err != nil {
			return nil, closePool, fmt.Errorf("sync queue: %s: %w", postgres.Redact(cfg.dbURL), err)
		}
		// pgx's default (4 on a small machine) is too few: River's
		// listener holds one connection, and its fetches, completions and
		// leader election should not queue behind each other.
		pcfg.MaxConns = 8
		if pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
			return nil, closePool, fmt.Errorf("sync queue: %s: %w", postgres.Redact(cfg.dbURL), err)
		}
		if err := syncer.MigrateRiver(ctx, pool); err != nil {
			pool.Close()
			return nil, closePool, err
		}
		closePool = func(context.Context) error { pool.Close(); return nil }
	}
	s, err = syncer.New(syncer.Options{
		QSOs:        qsos,
		States:      gormstore.NewSyncStateService(db),
		LoTW:        lotw.New(lotw.Options{URL: cfg.lotwURL, Version: version(), MaxReportBytes: cfg.lotwMaxReport}),
		DCL:         dcl.New(dcl.Options{URL: cfg.dclURL, Version: version()}),
		Box:         box,
		Registerer:  reg,
		Logger:      log,
		Concurrency: cfg.syncWorkers,
		Timeout:     cfg.syncTimeout,
		Pool:        pool,
		RescueAfter: cfg.syncRescue,
	})
	if err != nil {
		closePool(ctx)
		return nil, func(context.Context) error { return nil }, err
	}
	return s, closePool, nil
}
