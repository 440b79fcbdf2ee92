package app

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
)

// demoConfirmations is how many demo QSOs the demo's LoTW report confirms.
const demoConfirmations = 40

// seedDemo creates the demo account on a database that lacks it, imports
// its log, then imports a generated LoTW report as a LoTW sync would
// (source lotw, the report's APP_LoTW_LASTQSL as the cursor, in the same
// transaction), so that the demo shows confirmations arriving. Nothing
// contacts LoTW, and no fake LoTW runs in the production binary.
func (m *Main) seedDemo(ctx context.Context) error {
	log := m.Logger
	_, _, err := m.Users.FindUserByCallsign(ctx, demo.Callsign)
	switch awardtracker.ErrorCode(err) {
	case "":
		log.Info("Demo account exists; not seeding again", "callsign", demo.Callsign)
		return nil
	case awardtracker.ENOTFOUND:
	default:
		return err
	}
	u, _, err := m.Auth.Register(ctx, demo.Callsign, demo.Password)
	if err != nil {
		return err
	}
	res, err := m.QSOs.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, demo.QSOs(demo.Options{}), awardtracker.ImportOptions{})
	if err != nil {
		return err
	}
	log.Info("Demo log seeded", "callsign", demo.Callsign, "imported", res.Imported)

	now := m.now()
	report, lastQSL := demo.LoTWReport(demo.Options{}, demoConfirmations, now)
	res, err = m.QSOs.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW,
		adif.Records(bytes.NewReader(report), awardtracker.SourceLoTW),
		awardtracker.ImportOptions{Cursor: &lastQSL, SyncedAt: now})
	if err != nil {
		return fmt.Errorf("demo LoTW report: %w", err)
	}
	log.Info("Demo LoTW confirmations imported", "updated", res.Updated, "imported", res.Imported)
	return nil
}

// now is the configured clock.
func (m *Main) now() time.Time {
	if m.Config.Now != nil {
		return m.Config.Now()
	}
	return time.Now()
}

// printDemoLogin tells a newcomer how to log in.
func (m *Main) printDemoLogin() {
	url := m.Server.URL()
	m.Logger.Info("Demo ready: log in with callsign " + demo.Callsign + " and password " + demo.Password)
	fmt.Fprintf(m.Stdout, `
awardtracker demo is running on %[1]s
  Log in:  curl -s -X POST %[1]s/api/auth/login -H 'Content-Type: application/json' \
             -d '{"callsign":"%[2]s","password":"%[3]s"}'
  Then:    TOKEN=<token from above>
           curl -s -H "Authorization: Bearer $TOKEN" %[1]s/api/qsos/stats
           curl -s -H "Authorization: Bearer $TOKEN" %[1]s/api/awards/dxcc
  Health:  curl -s %[1]s/api/health      Metrics: curl -s %[1]s/metrics

`, url, demo.Callsign, demo.Password)
}
