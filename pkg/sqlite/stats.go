package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// StatsService implements awardtracker.StatsService with SQL aggregates: the
// user's rows are counted in the database, never loaded into Go.
type StatsService struct{ db *DB }

var _ awardtracker.StatsService = (*StatsService)(nil)

// NewStatsService returns a StatsService over db.
func NewStatsService(db *DB) *StatsService { return &StatsService{db: db} }

// Stats computes the user's statistics in two passes over the user's rows
// (through the user_id indexes): one grouped by band and mode, from which
// totals are summed, and one for the distinct counts.
func (s *StatsService) Stats(ctx context.Context, userID int64) (*awardtracker.Stats, error) {
	st := &awardtracker.Stats{Bands: map[string]awardtracker.Count{}, Modes: map[string]awardtracker.Count{}}
	conn := s.db.conn(ctx, "qso_stats")
	rows, err := conn.Raw(`
		SELECT band, CASE WHEN submode <> '' THEN submode ELSE mode END AS m,
		       COUNT(*), SUM(lotw_confirmed OR dcl_confirmed), SUM(lotw_confirmed), SUM(dcl_confirmed),
		       MIN(start), MAX(start)
		FROM qsos WHERE user_id = ? GROUP BY band, m`, userID).Rows()
	if err != nil {
		return nil, formatError(err)
	}
	var first, last int64
	for rows.Next() {
		var band, mode string
		var n, conf, lotw, dcl, lo, hi int64
		if err := rows.Scan(&band, &mode, &n, &conf, &lotw, &dcl, &lo, &hi); err != nil {
			rows.Close()
			return nil, formatError(err)
		}
		st.Total += int(n)
		st.Confirmed += int(conf)
		st.LoTWConfirmed += int(lotw)
		st.DCLConfirmed += int(dcl)
		b := st.Bands[band]
		b.Total, b.Confirmed = b.Total+int(n), b.Confirmed+int(conf)
		st.Bands[band] = b
		m := st.Modes[mode]
		m.Total, m.Confirmed = m.Total+int(n), m.Confirmed+int(conf)
		st.Modes[mode] = m
		if first == 0 || lo < first {
			first = lo
		}
		if hi > last {
			last = hi
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, formatError(err)
	}
	if st.Total > 0 {
		st.FirstQSO, st.LastQSO = timePtr(&first), timePtr(&last)
		var calls, worked, confirmed int64
		err := conn.Raw(`
			SELECT COUNT(DISTINCT call),
			       COUNT(DISTINCT CASE WHEN dxcc > 0 THEN dxcc END),
			       COUNT(DISTINCT CASE WHEN dxcc > 0 AND (lotw_confirmed OR dcl_confirmed) THEN dxcc END)
			FROM qsos WHERE user_id = ?`, userID).Row().Scan(&calls, &worked, &confirmed)
		if err != nil {
			return nil, formatError(err)
		}
		st.UniqueCallsigns, st.DXCC.Worked, st.DXCC.Confirmed = int(calls), int(worked), int(confirmed)
	}
	var syncs []struct {
		Source      string
		LastSuccess sql.NullTime
	}
	if err := s.db.conn(ctx, "sync_state_get").Model(&syncStateRow{}).Select("source, last_success").
		Where("user_id = ?", userID).Scan(&syncs).Error; err != nil {
		return nil, formatError(err)
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
	return st, nil
}
