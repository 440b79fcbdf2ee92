package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/dcl"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/secret"
	"github.com/awardtracker/awardtracker/pkg/syncer"
)

// newSyncer builds the LoTW and DCL clients and the syncer around them.
func newSyncer(cfg *config, log *slog.Logger, reg prometheus.Registerer, db *gormstore.DB,
	qsos awardtracker.QSOService) (*syncer.Syncer, error) {
	var box *secret.Box
	if cfg.secretsKey != "" {
		var err error
		if box, err = secret.NewBox(cfg.secretsKey); err != nil {
			return nil, err
		}
	} else {
		log.Warn("No --secrets.key: users cannot store LoTW or DCL credentials, so nothing will sync")
	}
	return syncer.New(syncer.Options{
		QSOs:        qsos,
		States:      gormstore.NewSyncStateService(db),
		LoTW:        lotw.New(lotw.Options{URL: cfg.lotwURL, Version: version(), MaxReportBytes: cfg.lotwMaxReport}),
		DCL:         dcl.New(dcl.Options{URL: cfg.dclURL, Version: version()}),
		Box:         box,
		Registerer:  reg,
		Logger:      log,
		Concurrency: cfg.syncWorkers,
		Timeout:     cfg.syncTimeout,
	})
}
