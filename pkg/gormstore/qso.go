package gormstore

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/match"
	"github.com/awardtracker/awardtracker/pkg/perf"
)

// QSOService implements awardtracker.QSOService.
type QSOService struct{ db *DB }

var _ awardtracker.QSOService = (*QSOService)(nil)

// NewQSOService returns a QSOService over db.
func NewQSOService(db *DB) *QSOService { return &QSOService{db: db} }

// ImportQSOs applies records in one transaction; see awardtracker.QSOService.
//
// Matching needs, for every record, the user's QSOs with the same call and
// band near the same time. Instead of one SELECT per record, the import loads
// a compact index of the user's QSOs once (a few dozen bytes each), decides
// every record in Go (package match), inserts new QSOs in batches, and reads
// and updates matched ones in batches too.
func (s *QSOService) ImportQSOs(ctx context.Context, userID int64, src awardtracker.Source, records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions) (*awardtracker.ImportResult, error) {
	res := &awardtracker.ImportResult{Rejected: []awardtracker.Rejection{}}
	reason := "import"
	if opts.Cursor != nil {
		reason = "sync"
	}
	// The whole import is one transaction.
	err := s.db.writeChange(ctx, "qso_import", userID, reason, func(tx *gorm.DB) (bool, error) {
		if err := s.db.importTx(ctx, tx, bulk{db: s.db, tx: tx}, userID, src, records, opts, res); err != nil {
			return false, err
		}
		if s.db.dialect.AnalyzeSQL != "" && res.Imported >= AnalyzeRows {
			// Before the tallies' recount (writeChange), which plans its
			// GROUP BYs from these statistics; ANALYZE in the
			// transaction samples its own new rows too.
			if err := tx.WithContext(perf.WithQuery(ctx, "qso_analyze")).Exec(s.db.dialect.AnalyzeSQL).Error; err != nil {
				return false, err
			}
		}
		return res.Changed(), nil
	})
	if err != nil {
		return nil, s.db.formatError(err)
	}
	return res, nil
}

// AnalyzeRows is how many new QSOs an import adds before Dialect.AnalyzeSQL
// runs: below it, the statistics from before still describe the table well
// enough, and ANALYZE (sampling 30,000 rows) would cost more than it saves.
// Confirmations alone do not run it: they change no user's number of QSOs,
// which is what the plans depend on.
const AnalyzeRows = 5_000

func (db *DB) importTx(ctx context.Context, tx *gorm.DB, b bulk, userID int64, src awardtracker.Source, records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions, res *awardtracker.ImportResult) error {
	idx, err := loadMatchIndex(tx, userID, src)
	if err != nil {
		return err
	}
	// New QSOs wait in pending until a batch is full; rows holds them by
	// entry until then (a later record may match one), and their entries
	// hold only the id afterwards, so a 100,000-record import keeps no rows.
	var pending []*match.Entry
	rows := make(map[*match.Entry]*qsoRow, db.batch)
	batch := make([]*qsoRow, 0, db.batch)
	// Records matching stored QSOs are merged in batches too (one SELECT
	// for the batch's rows, then one UPDATE for the rows that changed), on
	// a goroutine of their own while this one reads and matches the next
	// records; see merger.
	var m merger
	defer m.wait() // nothing may use tx after an early return
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		// The transaction's connection runs one statement at a time.
		if err := m.wait(); err != nil {
			return err
		}
		batch = batch[:0]
		for _, e := range pending {
			batch = append(batch, rows[e])
		}
		if err := b.insertRows(batch); err != nil {
			return err
		}
		for _, e := range pending {
			e.ID = rows[e].ID
			delete(rows, e)
		}
		pending = pending[:0]
		return nil
	}
	merges := make([]mergeItem, 0, db.batch)
	mergeAll := func() error {
		if len(merges) == 0 {
			return nil
		}
		err := m.start(b, merges)
		merges = make([]mergeItem, 0, db.batch) // the merger owns the batch now
		return err
	}
	for rec, err := range records {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if rec.Err != nil {
			res.Rejected = append(res.Rejected, awardtracker.Rejection{Record: rec.Index, Error: rec.Err.Error()})
			continue
		}
		q := rec.QSO
		q.Source = src
		match.Normalise(&q)
		k := q.Key()
		e, _ := idx.Find(&q, k)
		// The record's key, kept with the QSO it creates or is linked to.
		// A duplicate leaves the stored key as it is (merge only fills).
		key := match.FormatKey(k)
		switch {
		case e == nil:
			row := newQSORow(userID, &q, key)
			e := match.NewEntry(&q, key)
			idx.Add(e, row.Call, row.Band)
			rows[e] = row
			pending = append(pending, e)
			res.Imported++
			if len(pending) == db.batch {
				if err := flush(); err != nil {
					return err
				}
			}
		case e.ID == 0: // added by this import and not written yet
			row := rows[e]
			if updated, _ := merge(row, &q, key); updated {
				res.Updated++
			} else {
				res.Duplicates++
			}
			// The entry fills what merge filled, as for a stored QSO
			// below. The row's key stays: this import's source created
			// it, and merge only fills.
			e.Link(&q, key)
		default:
			// merge fills empty fields from the record: the entry says so
			// at once, for the records that follow.
			e.Link(&q, key)
			merges = append(merges, mergeItem{id: e.ID, q: q, key: key})
			if len(merges) == db.batch {
				if err := mergeAll(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := mergeAll(); err != nil {
		return err
	}
	if err := m.wait(); err != nil {
		return err
	}
	res.Updated += m.res.Updated
	res.Duplicates += m.res.Duplicates
	if opts.Cursor != nil {
		synced := opts.SyncedAt.UTC()
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}, {Name: "source"}},
			DoUpdates: clause.Assignments(map[string]any{"cursor": *opts.Cursor, "last_success": synced, "updated_at": synced}),
		}).Create(&syncStateRow{UserID: userID, Source: string(src), Cursor: *opts.Cursor, LastSuccess: &synced, UpdatedAt: synced}).Error
	}
	return nil
}

// mergeItem is a record that matched the stored QSO id.
type mergeItem struct {
	id  int64
	q   awardtracker.QSO
	key string // the record's key (match.FormatKey)
}

// merger runs one merge batch at a time on a goroutine of its own, so that
// the database writes a batch (the UPDATE of up to 5,000 rows is most of a
// confirming sync's time on PostgreSQL, and SQLite's runs in C) while the
// import goes on reading and matching the records of the next. Matching
// needs no answer from the database: the import's index says which stored
// QSO each record belongs to. What orders the statements is that only one
// goroutine uses the transaction at a time: start waits for the batch
// before, and the import waits (wait) before it writes new QSOs or ends.
// Batches run in record order, so a QSO merged in two batches is read by
// the second after the first wrote it.
type merger struct {
	done chan error // the running batch's outcome; nil when none runs
	res  awardtracker.ImportResult
}

// start waits for the batch before, then merges items (which it owns from
// now on) in the background.
func (m *merger) start(b bulk, items []mergeItem) error {
	if err := m.wait(); err != nil {
		return err
	}
	done := make(chan error, 1)
	m.done = done
	go func() { done <- b.mergeBatch(items, &m.res) }()
	return nil
}

// wait waits for the running batch, if any, and returns its error.
func (m *merger) wait() error {
	if m.done == nil {
		return nil
	}
	err := <-m.done
	m.done = nil
	return err
}

// mergeBatch merges records into their stored QSOs, in record order (two
// records of one QSO merge one after the other), and writes the rows that
// changed in one statement.
func (b bulk) mergeBatch(items []mergeItem, res *awardtracker.ImportResult) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(items))
	for _, m := range items {
		ids = append(ids, m.id)
	}
	stored, err := b.mergeRows(ids)
	if err != nil {
		return err
	}
	byID := make(map[int64]*qsoRow, len(stored))
	for i := range stored {
		byID[stored[i].ID] = &stored[i]
	}
	var changed []*qsoRow
	seen := make(map[int64]bool, len(stored))
	for _, m := range items {
		row, ok := byID[m.id]
		if !ok {
			return fmt.Errorf("%s: QSO %d vanished during an import", b.db.dialect.Name, m.id)
		}
		updated, linked := merge(row, &m.q, m.key)
		if updated {
			res.Updated++
		} else {
			res.Duplicates++
		}
		if (updated || linked) && !seen[row.ID] {
			seen[row.ID] = true
			changed = append(changed, row)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return b.updateRows(changed)
}

func newQSORow(userID int64, q *awardtracker.QSO, key string) *qsoRow {
	r := &qsoRow{
		UserID: userID, StationCallsign: strings.ToUpper(q.StationCallsign), Call: strings.ToUpper(q.Call),
		Start: q.Start.Unix(), Band: strings.ToLower(q.Band), FreqMHz: q.FreqMHz, Mode: q.Mode, Submode: q.Submode,
		ModeGroup: string(q.ModeGroup), DXCC: q.DXCC, Country: q.Country, State: q.State, CQZone: q.CQZone,
		ITUZone: q.ITUZone, Grid: q.Grid, DOK: q.DOK, PropMode: q.PropMode, SatName: q.SatName, Source: string(q.Source),
	}
	*keyField(r, q.Source) = key
	if q.LoTWConfirmed {
		r.LoTWConfirmed, r.LoTWConfirmedAt = true, unixPtr(q.LoTWConfirmedAt)
	}
	if q.DCLConfirmed {
		r.DCLConfirmed, r.DCLConfirmedAt = true, unixPtr(q.DCLConfirmedAt)
	}
	return r
}

// merge folds what record q (whose key is key) adds into the stored QSO r.
// It reports whether a field a user sees changed (updated: the record
// counts as an update, else as a duplicate) and whether the record was
// linked to the QSO (its key stored), which also needs the row written. A LoTW confirmation brings the
// partner's station data (DXCC, state, zones, grid), which then wins over
// what the log said; a DCL confirmation brings the DOK. Otherwise fields are
// only filled, never overwritten, so that re-importing one's own log changes
// nothing.
//
// The mode and submode are the own log's: when the own log's record is
// linked to a QSO another source created, its mode and submode replace the
// other's (a LoTW report may say MFSK/FT4 where the log said FT8; both are
// DATA). A submode is otherwise only taken from a record of the same mode,
// so that a pair like FT8/FT4, which ADIF does not allow, never arises.
func merge(r *qsoRow, q *awardtracker.QSO, key string) (updated, linked bool) {
	before := *r
	own := keyField(r, q.Source)
	if q.Source == awardtracker.SourceLog && *own == "" && r.Source != string(awardtracker.SourceLog) {
		r.Mode, r.Submode = q.Mode, q.Submode
	}
	linked = *own == "" && key != ""
	fill(own, key)
	if q.Mode == r.Mode {
		fill(&r.Submode, q.Submode)
	}
	fill(&r.PropMode, q.PropMode)
	fill(&r.SatName, q.SatName)
	if q.LoTWConfirmed {
		if !r.LoTWConfirmed || (q.LoTWConfirmedAt != nil && r.LoTWConfirmedAt == nil) {
			r.LoTWConfirmed = true
			r.LoTWConfirmedAt = unixPtr(q.LoTWConfirmedAt)
		}
		overwriteInt(&r.DXCC, q.DXCC)
		overwrite(&r.Country, q.Country)
		overwrite(&r.State, q.State)
		overwriteInt(&r.CQZone, q.CQZone)
		overwriteInt(&r.ITUZone, q.ITUZone)
		overwrite(&r.Grid, q.Grid)
	}
	if q.DCLConfirmed {
		if !r.DCLConfirmed || (q.DCLConfirmedAt != nil && r.DCLConfirmedAt == nil) {
			r.DCLConfirmed = true
			r.DCLConfirmedAt = unixPtr(q.DCLConfirmedAt)
		}
		overwrite(&r.DOK, q.DOK)
	}
	fill(&r.StationCallsign, strings.ToUpper(q.StationCallsign))
	fill(&r.Country, q.Country)
	fill(&r.State, q.State)
	fill(&r.Grid, q.Grid)
	fill(&r.DOK, q.DOK)
	fillInt(&r.DXCC, q.DXCC)
	fillInt(&r.CQZone, q.CQZone)
	fillInt(&r.ITUZone, q.ITUZone)
	if r.FreqMHz == 0 {
		r.FreqMHz = q.FreqMHz
	}
	return !rowEqual(&before, r), linked
}

// rowEqual compares the fields a user sees; the record keys are left out.
func rowEqual(a, b *qsoRow) bool {
	return a.StationCallsign == b.StationCallsign && a.Mode == b.Mode && a.Submode == b.Submode && a.Country == b.Country &&
		a.PropMode == b.PropMode && a.SatName == b.SatName &&
		a.State == b.State && a.Grid == b.Grid && a.DOK == b.DOK && a.DXCC == b.DXCC && a.CQZone == b.CQZone &&
		a.ITUZone == b.ITUZone && a.FreqMHz == b.FreqMHz && a.LoTWConfirmed == b.LoTWConfirmed &&
		a.DCLConfirmed == b.DCLConfirmed && eqPtr(a.LoTWConfirmedAt, b.LoTWConfirmedAt) && eqPtr(a.DCLConfirmedAt, b.DCLConfirmedAt)
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func fillInt(dst *int, v int) {
	if *dst == 0 {
		*dst = v
	}
}

func overwrite(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func overwriteInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

func eqPtr(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func unixPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	u := t.Unix()
	return &u
}

func timePtr(u *int64) *time.Time {
	if u == nil {
		return nil
	}
	t := time.Unix(*u, 0).UTC()
	return &t
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// whereQSOs adds the QSO list's filters (shared by FindQSOs and ExportQSOs);
// empty values select everything.
func whereQSOs(q *gorm.DB, userID int64, band, mode, call string, confirmed *bool) *gorm.DB {
	q = q.Where("user_id = ?", userID)
	if band != "" {
		q = q.Where("band = ?", strings.ToLower(band))
	}
	if mode != "" {
		m := strings.ToUpper(mode)
		q = q.Where("(mode = ? OR submode = ?)", m, m)
	}
	if call != "" {
		q = q.Where("call = ?", strings.ToUpper(call))
	}
	if confirmed != nil {
		if *confirmed {
			q = q.Where("(lotw_confirmed OR dcl_confirmed)")
		} else {
			q = q.Where("NOT (lotw_confirmed OR dcl_confirmed)")
		}
	}
	return q
}

// maxPage caps one page of QSOs.
const maxPage = 1000

// FindQSOs returns a page of the user's QSOs, newest first.
func (s *QSOService) FindQSOs(ctx context.Context, userID int64, f awardtracker.QSOFilter) ([]awardtracker.QSO, int, error) {
	q := whereQSOs(s.db.conn(ctx, "qso_list").Model(&qsoRow{}), userID, f.Band, f.Mode, f.Call, f.Confirmed)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, s.db.formatError(err)
	}
	limit := f.Limit
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	var rows []qsoRow
	if err := q.Order("start DESC, id DESC").Limit(limit).Offset(max(f.Offset, 0)).Find(&rows).Error; err != nil {
		return nil, 0, s.db.formatError(err)
	}
	out := make([]awardtracker.QSO, len(rows))
	for i := range rows {
		out[i] = rows[i].qso()
	}
	return out, int(total), nil
}

// DeleteQSO deletes one of the user's QSOs.
func (s *QSOService) DeleteQSO(ctx context.Context, userID, qsoID int64) error {
	var deleted int64
	err := s.db.writeChange(ctx, "qso_delete", userID, "delete", func(tx *gorm.DB) (bool, error) {
		res := tx.Where("id = ? AND user_id = ?", qsoID, userID).Delete(&qsoRow{})
		deleted = res.RowsAffected
		return deleted > 0, res.Error
	})
	if err != nil {
		return s.db.formatError(err)
	}
	if deleted == 0 {
		return awardtracker.Errorf(awardtracker.ENOTFOUND, "QSO %d not found", qsoID)
	}
	return nil
}

// AwardFacts groups the user's QSOs by every award attribute in SQL.
func (s *QSOService) AwardFacts(ctx context.Context, userID int64) ([]awardtracker.AwardFact, error) {
	rows, err := s.db.conn(ctx, "award_facts").Raw(`
		SELECT dxcc, band, mode_group, state, cq_zone, upper(substr(grid, 1, 4)), dok,
		       (prop_mode = ? OR sat_name <> '') AS satellite,
		       lotw_confirmed, dcl_confirmed, MAX(start), COUNT(*)
		FROM qsos WHERE user_id = ?
		GROUP BY dxcc, band, mode_group, state, cq_zone, upper(substr(grid, 1, 4)), dok, satellite, lotw_confirmed, dcl_confirmed`,
		awardtracker.PropModeSatellite, userID).Rows()
	if err != nil {
		return nil, s.db.formatError(err)
	}
	defer rows.Close()
	var out []awardtracker.AwardFact
	for rows.Next() {
		var f awardtracker.AwardFact
		var group string
		var latest int64
		if err := rows.Scan(&f.DXCC, &f.Band, &group, &f.State, &f.CQZone, &f.Grid, &f.DOK, &f.Satellite, &f.LoTW, &f.DCL, &latest, &f.QSOs); err != nil {
			return nil, s.db.formatError(err)
		}
		f.ModeGroup = awardtracker.ModeGroup(group)
		f.Latest = time.Unix(latest, 0).UTC()
		out = append(out, f)
	}
	return out, s.db.formatError(rows.Err())
}

func (r *qsoRow) qso() awardtracker.QSO {
	return awardtracker.QSO{
		ID: r.ID, UserID: r.UserID, StationCallsign: r.StationCallsign, Call: r.Call,
		Start: time.Unix(r.Start, 0).UTC(), Band: r.Band, FreqMHz: r.FreqMHz, Mode: r.Mode, Submode: r.Submode,
		ModeGroup: awardtracker.ModeGroup(r.ModeGroup), DXCC: r.DXCC, Country: r.Country, State: r.State,
		CQZone: r.CQZone, ITUZone: r.ITUZone, Grid: r.Grid, DOK: r.DOK, PropMode: r.PropMode, SatName: r.SatName,
		Source:        awardtracker.Source(r.Source),
		LoTWConfirmed: r.LoTWConfirmed, LoTWConfirmedAt: timePtr(r.LoTWConfirmedAt),
		DCLConfirmed: r.DCLConfirmed, DCLConfirmedAt: timePtr(r.DCLConfirmedAt),
		CreatedAt: time.Unix(r.CreatedAt, 0).UTC(), UpdatedAt: time.Unix(r.UpdatedAt, 0).UTC(),
	}
}

// writeChange is write for a change of userID's QSOs: fn reports whether it
// changed any. It runs under the engine's per-user lock (Dialect.LockUserSQL),
// so that one user's imports and deletes never interleave. If fn changed
// QSOs, the user's tallies are recounted, and then, if there is a
// ChangeNotifier, the notifier's statement runs last in the transaction;
// the notifier hears the transaction's outcome once it ended.
func (db *DB) writeChange(ctx context.Context, name string, userID int64, reason string, fn func(*gorm.DB) (bool, error)) error {
	notified := false
	err := db.write(ctx, name, func(tx *gorm.DB) error {
		if db.dialect.LockUserSQL != "" {
			if err := tx.Exec(db.dialect.LockUserSQL, userID).Error; err != nil {
				return err
			}
		}
		changed, err := fn(tx)
		if err != nil || !changed {
			return err
		}
		if err := db.recountUser(tx.WithContext(perf.WithQuery(tx.Statement.Context, "tally_recount")), userID); err != nil {
			return err
		}
		if db.notify == nil {
			return nil
		}
		notified = true
		q, args := db.notify.NotifySQL(userID, reason)
		return tx.Exec(q, args...).Error
	})
	if notified {
		db.notify.Notified(err)
	}
	return err
}
