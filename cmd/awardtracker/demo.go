package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// The demo's LoTW account on its local fake LoTW.
const (
	demoLoTWLogin    = "n0demo"
	demoLoTWPassword = "demo-lotw-password"
	// demoSecretsKey seals the demo's stored LoTW password when no
	// --secrets.key is given. It is public: never run --demo in production.
	demoSecretsKey = "awardtracker-demo-only-secrets-key-not-for-production"
)

// demoConfirmations is how many demo QSOs the fake LoTW confirms.
const demoConfirmations = 40

// startDemoLoTW starts a fake LoTW on loopback holding confirmations for
// some of the demo QSOs, and points the LoTW client at it: the demo never
// contacts the real LoTW.
func startDemoLoTW(cfg *config, log *slog.Logger) *lotwtest.Server {
	fake := lotwtest.NewServer()
	fake.AddAccount(demoLoTWLogin, demoLoTWPassword)
	rx := time.Date(2026, 11, 2, 18, 0, 0, 0, time.UTC)
	var recs []lotwtest.Record
	for i, q := range demo.Unconfirmed(demo.Options{}, demoConfirmations) {
		recs = append(recs, lotwtest.Record{
			StationCallsign: q.StationCallsign, Call: q.Call, Band: strings.ToUpper(q.Band),
			Freq: fmt.Sprintf("%.5f", q.FreqMHz), Mode: q.Mode, Submode: q.Submode, ModeGroup: string(q.ModeGroup),
			Start: q.Start, RxQSO: q.Start.Add(time.Hour), Confirmed: true, RxQSL: rx.Add(-time.Duration(i) * time.Minute),
			DXCC: q.DXCC, Country: q.Country, EntityStatus: "Current", Grid: q.Grid, State: q.State,
			CQZ: fmt.Sprintf("%02d", q.CQZone), ITUZ: fmt.Sprintf("%02d", q.ITUZone),
		})
	}
	fake.AddRecords(demoLoTWLogin, recs...)
	cfg.lotwURL = fake.URL
	if cfg.secretsKey == "" {
		cfg.secretsKey = demoSecretsKey
		log.Warn("Demo mode: stored credentials are sealed with a public demo key; never use --demo in production")
	}
	log.Info("Demo: fake LoTW started on loopback", "url", fake.URL)
	return fake
}

// seedDemo creates the demo account and its log on an empty database, then
// stores the demo's LoTW credentials and syncs once against the fake LoTW.
func seedDemo(ctx context.Context, log *slog.Logger, authSvc *auth.Service, users awardtracker.UserService,
	qsos awardtracker.QSOService, syncer demoSyncer) error {
	u, _, err := users.FindUserByCallsign(ctx, demo.Callsign)
	switch awardtracker.ErrorCode(err) {
	case "":
		log.Info("Demo account exists; not seeding again", "callsign", demo.Callsign)
	case awardtracker.ENOTFOUND:
		if u, _, err = authSvc.Register(ctx, demo.Callsign, demo.Password); err != nil {
			return err
		}
		res, err := qsos.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, demo.QSOs(demo.Options{}), awardtracker.ImportOptions{})
		if err != nil {
			return err
		}
		log.Info("Demo log seeded", "callsign", demo.Callsign, "imported", res.Imported)
	default:
		return err
	}
	if err := syncer.SetLoTWCredentials(ctx, u.ID, demoLoTWLogin, demoLoTWPassword); err != nil {
		return err
	}
	job, err := syncer.Sync(ctx, u.ID, awardtracker.SourceLoTW)
	if err != nil {
		return fmt.Errorf("demo LoTW sync: %w", err)
	}
	log.Info("Demo LoTW sync", "status", job.Status, "fetched", job.Fetched, "updated", job.Updated, "imported", job.Imported)
	return nil
}

// demoSyncer is what the demo needs of the syncer.
type demoSyncer interface {
	SetLoTWCredentials(ctx context.Context, userID int64, username, password string) error
	Sync(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error)
}

// printDemoLogin tells a newcomer how to log in.
func printDemoLogin(w io.Writer, url string, log *slog.Logger) {
	log.Info("Demo ready: log in with callsign " + demo.Callsign + " and password " + demo.Password)
	fmt.Fprintf(w, `
awardtracker demo is running on %[1]s
  Log in:  curl -s -X POST %[1]s/api/auth/login -H 'Content-Type: application/json' \
             -d '{"callsign":"%[2]s","password":"%[3]s"}'
  Then:    TOKEN=<token from above>
           curl -s -H "Authorization: Bearer $TOKEN" %[1]s/api/qsos/stats
           curl -s -H "Authorization: Bearer $TOKEN" %[1]s/api/awards/dxcc
  Health:  curl -s %[1]s/api/health      Metrics: curl -s %[1]s/metrics

`, url, demo.Callsign, demo.Password)
}
