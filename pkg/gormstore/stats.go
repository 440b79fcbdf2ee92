package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// StatsService implements awardtracker.StatsService from the tallies that
// every write keeps (tally.go): a user's rows are counted when they are
// written, never when the statistics are read.
type StatsService struct{ db *DB }

var _ awardtracker.StatsService = (*StatsService)(nil)

// NewStatsService returns a StatsService over db.
func NewStatsService(db *DB) *StatsService { return &StatsService{db: db} }

// Stats reads the user's tallies: counts per band, mode and confirmation,
// counts per DXCC entity, and the unique callsigns with the first and last
// QSO; then when each source last synced.
func (s *StatsService) Stats(ctx context.Context, userID int64) (*awardtracker.Stats, error) {
	st := &awardtracker.Stats{Bands: map[string]awardtracker.Count{}, Modes: map[string]awardtracker.Count{}}
	conn := s.db.conn(ctx, "qso_stats")
	var user tallyUserRow
	switch err := conn.Where("user_id = ?", userID).Take(&user).Error; {
	case errors.Is(err, gorm.ErrRecordNotFound): // no QSOs
		return st, s.lastSync(ctx, userID, st)
	case err != nil:
		return nil, s.db.formatError(err)
	}
	st.UniqueCallsigns = int(user.UniqueCalls)
	st.FirstQSO, st.LastQSO = timePtr(&user.FirstStart), timePtr(&user.LastStart)

	var modes []tallyModeRow
	if err := conn.Where("user_id = ?", userID).Find(&modes).Error; err != nil {
		return nil, s.db.formatError(err)
	}
	for _, t := range modes {
		n := int(t.QSOs)
		mode := t.Mode
		if t.Submode != "" {
			mode = t.Submode
		}
		conf := 0
		if t.LoTWConfirmed || t.DCLConfirmed {
			conf = n
		}
		st.Total += n
		st.Confirmed += conf
		if t.LoTWConfirmed {
			st.LoTWConfirmed += n
		}
		if t.DCLConfirmed {
			st.DCLConfirmed += n
		}
		b := st.Bands[t.Band]
		b.Total, b.Confirmed = b.Total+n, b.Confirmed+conf
		st.Bands[t.Band] = b
		m := st.Modes[mode]
		m.Total, m.Confirmed = m.Total+n, m.Confirmed+conf
		st.Modes[mode] = m
	}

	var dxcc []tallyDXCCRow
	if err := conn.Where("user_id = ?", userID).Find(&dxcc).Error; err != nil {
		return nil, s.db.formatError(err)
	}
	countDXCC(dxcc, st)
	return st, s.lastSync(ctx, userID, st)
}

// countDXCC fills in both DXCC counts from the entities' tallies: worked and
// confirmed over all QSOs, and the award's figures, which count only QSOs
// on or after DXCCStart and entities that are not deleted.
func countDXCC(rows []tallyDXCCRow, st *awardtracker.Stats) {
	for _, t := range rows {
		st.DXCC.Worked++
		if t.ConfirmedQSOs > 0 {
			st.DXCC.Confirmed++
		}
		// The entity table is reference data the award rule reads too;
		// storage borrows it so that both classify entities alike.
		e, known := adif.DXCCEntity(t.DXCC)
		switch {
		case known && e.Deleted:
			st.DXCC.Deleted++
		case known && t.QSOs > t.OldQSOs:
			st.DXCC.Award.Worked++
			if t.LoTWQSOs > t.OldLoTWQSOs {
				st.DXCC.Award.Confirmed++
			}
		}
	}
}

// lastSync fills in when each source last synced.
func (s *StatsService) lastSync(ctx context.Context, userID int64, st *awardtracker.Stats) error {
	var syncs []struct {
		Source      string
		LastSuccess sql.NullTime
	}
	if err := s.db.conn(ctx, "stats_last_sync").Model(&syncStateRow{}).Select("source, last_success").
		Where("user_id = ?", userID).Scan(&syncs).Error; err != nil {
		return s.db.formatError(err)
	}
	for _, sy := range syncs {
		if !sy.LastSuccess.Valid {
			continue
		}
		t := sy.LastSuccess.Time.UTC().Truncate(time.Second)
		switch awardtracker.Source(sy.Source) {
		case awardtracker.SourceLoTW:
			st.LastSync.LoTW = &t
		case awardtracker.SourceDCL:
			st.LastSync.DCL = &t
		}
	}
	return nil
}
