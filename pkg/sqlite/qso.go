package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/perf"
)

// QSOService implements awardtracker.QSOService.
type QSOService struct{ db *DB }

var _ awardtracker.QSOService = (*QSOService)(nil)

// NewQSOService returns a QSOService over db.
func NewQSOService(db *DB) *QSOService { return &QSOService{db: db} }

// insertBatch is how many new QSOs go into one INSERT statement, and how
// many matched records are merged with one SELECT and one UPDATE.
const insertBatch = 200

// ImportQSOs applies records in one transaction; see awardtracker.QSOService.
//
// Matching needs, for every record, the user's QSOs with the same call and
// band near the same time. Instead of one SELECT per record, the import loads
// a compact index of the user's QSOs once (a few dozen bytes each), inserts
// new QSOs in batches, and reads and updates matched ones in batches too.
func (s *QSOService) ImportQSOs(ctx context.Context, userID int64, src awardtracker.Source, records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions) (*awardtracker.ImportResult, error) {
	res := &awardtracker.ImportResult{Rejected: []awardtracker.Rejection{}}
	// write runs the whole import in one transaction.
	err := s.db.write(ctx, "qso_import", func(tx *gorm.DB) error {
		return importTx(ctx, tx, bulk{tx: tx, tracker: s.db.tracker}, userID, src, records, opts, res)
	})
	if err != nil {
		return nil, formatError(err)
	}
	return res, nil
}

func importTx(ctx context.Context, tx *gorm.DB, b bulk, userID int64, src awardtracker.Source, records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions, res *awardtracker.ImportResult) error {
	idx, err := loadMatchIndex(tx, userID, src)
	if err != nil {
		return err
	}
	// New QSOs wait in pending until a batch is full. Their index entries
	// point at the rows until then (a later record may match one) and hold
	// only the id afterwards, so a 100,000-record import keeps no rows.
	var pending []*matchEntry
	rows := make([]*qsoRow, 0, insertBatch)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		rows = rows[:0]
		for _, e := range pending {
			rows = append(rows, e.row)
		}
		if err := insertRows(b, rows); err != nil {
			return err
		}
		for _, e := range pending {
			e.id, e.row = e.row.ID, nil
		}
		pending = pending[:0]
		return nil
	}
	// Records matching stored QSOs are merged in batches too: one SELECT
	// for the batch's rows, then one UPDATE for the rows that changed.
	var merges []mergeItem
	mergeAll := func() error {
		err := mergeBatch(b, merges, res)
		merges = merges[:0]
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
		normalise(&q)
		k := q.Key()
		e, _ := idx.find(&q, k)
		// The record's key, kept with the QSO it creates or is linked to.
		// A duplicate leaves the stored key as it is (merge only fills).
		key := formatKey(k)
		switch {
		case e == nil:
			row := newQSORow(userID, &q, key)
			// Cloned: the station may point into the ADIF record the QSO
			// was parsed from, which the entry would keep alive.
			e := &matchEntry{row: row, station: strings.Clone(row.StationCallsign), start: row.Start,
				group: internGroup(row.ModeGroup), propMode: strings.Clone(row.PropMode), satName: strings.Clone(row.SatName), key: key}
			idx.add(e, row.Call, row.Band)
			pending = append(pending, e)
			res.Imported++
			if len(pending) == insertBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		case e.row != nil: // added by this import and not written yet
			if updated, _ := merge(e.row, &q, key); updated {
				res.Updated++
			} else {
				res.Duplicates++
			}
			e.update(e.row)
		default:
			// merge fills empty fields from the record: the entry says so
			// at once, for the records that follow.
			e.link(&q, key)
			merges = append(merges, mergeItem{id: e.id, q: q, key: key})
			if len(merges) == insertBatch {
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
	if opts.Cursor != nil {
		synced := opts.SyncedAt.UTC()
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}, {Name: "source"}},
			DoUpdates: clause.Assignments(map[string]any{"cursor": *opts.Cursor, "last_success": synced, "updated_at": synced}),
		}).Create(&syncStateRow{UserID: userID, Source: string(src), Cursor: *opts.Cursor, LastSuccess: &synced, UpdatedAt: synced}).Error
	}
	return nil
}

// normalise brings the fields that matching compares to the case storage
// keeps them in, for records that did not come through the ADIF reader.
func normalise(q *awardtracker.QSO) {
	q.StationCallsign = strings.ToUpper(q.StationCallsign)
	q.Call = strings.ToUpper(q.Call)
	q.Band = strings.ToLower(q.Band)
	q.PropMode = strings.ToUpper(q.PropMode)
	q.SatName = strings.ToUpper(q.SatName)
}

// update refreshes a pending entry from its row after a merge. Its key
// stays: the row was created by this import's source, and merge only fills.
func (e *matchEntry) update(r *qsoRow) {
	e.station, e.propMode, e.satName = strings.Clone(r.StationCallsign), strings.Clone(r.PropMode), strings.Clone(r.SatName)
}

// link records in a stored QSO's entry what merging q (key) into it will
// fill, before the batched merge writes it.
func (e *matchEntry) link(q *awardtracker.QSO, key string) {
	if e.station == "" && q.StationCallsign != "" {
		e.station = strings.Clone(q.StationCallsign)
	}
	if e.propMode == "" && q.PropMode != "" {
		e.propMode = strings.Clone(q.PropMode)
	}
	if e.satName == "" && q.SatName != "" {
		e.satName = strings.Clone(q.SatName)
	}
	if e.key == "" {
		e.key = key
	}
}

// mergeItem is a record that matched the stored QSO id.
type mergeItem struct {
	id  int64
	q   awardtracker.QSO
	key string // the record's key (formatKey)
}

// mergeColumns are the columns merge can change, in the order
// mergeValues lists them.
const mergeColumns = "station_callsign, mode, submode, country, state, grid, dok, dxcc, cq_zone, itu_zone, " +
	"freq_mhz, prop_mode, sat_name, log_key, lotw_key, dcl_key, " +
	"lotw_confirmed, lotw_confirmed_at, dcl_confirmed, dcl_confirmed_at, updated_at"

func mergeValues(r *qsoRow, now int64) []any {
	return []any{r.ID, r.StationCallsign, r.Mode, r.Submode, r.Country, r.State, r.Grid, r.DOK, r.DXCC, r.CQZone,
		r.ITUZone, r.FreqMHz, r.PropMode, r.SatName, r.LogKey, r.LoTWKey, r.DCLKey,
		r.LoTWConfirmed, r.LoTWConfirmedAt, r.DCLConfirmed, r.DCLConfirmedAt, now}
}

// mergeUpdate writes n merged rows in one statement: the new values as a
// VALUES table joined on the id (UPDATE ... FROM, SQLite 3.33 and later).
func mergeUpdate(n int) string {
	cols := strings.Split(mergeColumns, ", ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)+1), ", ") + ")"
	var sb strings.Builder
	sb.WriteString("WITH v(id, " + mergeColumns + ") AS (VALUES ")
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	sb.WriteString(") UPDATE qsos SET ")
	for i, c := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c + " = v." + c)
	}
	sb.WriteString(" FROM v WHERE qsos.id = v.id")
	return sb.String()
}

// mergeBatch merges records into their stored QSOs, in record order (two
// records of one QSO merge one after the other), and writes the rows that
// changed in one statement.
func mergeBatch(b bulk, items []mergeItem, res *awardtracker.ImportResult) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(items))
	for _, m := range items {
		ids = append(ids, m.id)
	}
	stored, err := mergeRows(b, ids)
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
			return fmt.Errorf("sqlite: QSO %d vanished during an import", m.id)
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
	now := time.Now().Unix()
	args := make([]any, 0, len(changed)*22)
	for _, r := range changed {
		args = append(args, mergeValues(r, now)...)
	}
	stmt := mergeSQL
	if len(changed) != insertBatch {
		stmt = mergeUpdate(len(changed))
	}
	return b.exec(stmt, args...)
}

// mergeSQL caches the UPDATE of a full batch.
var mergeSQL = mergeUpdate(insertBatch)

// bulk runs an import's large statements (200 rows, up to 5,600 bound
// values) on the transaction's connection directly. GORM's statement
// builder walks every bound value, which made up a fifth of a first sync's
// time in the storage; these statements are built once per batch size
// instead. They are timed as GORM's callbacks time every other statement
// (without the test-only QueryDelay).
type bulk struct {
	tx      *gorm.DB
	tracker *perf.Tracker
}

func (b bulk) query(q string, args ...any) (*sql.Rows, error) {
	defer b.observe(time.Now())
	return b.tx.Statement.ConnPool.QueryContext(b.tx.Statement.Context, q, args...)
}

func (b bulk) exec(q string, args ...any) error {
	defer b.observe(time.Now())
	_, err := b.tx.Statement.ConnPool.ExecContext(b.tx.Statement.Context, q, args...)
	return err
}

func (b bulk) observe(start time.Time) {
	if b.tracker == nil {
		return
	}
	name, ok := perf.QueryFrom(b.tx.Statement.Context)
	if !ok {
		name = "bulk_qsos"
	}
	b.tracker.Observe(name, time.Since(start))
}

// placeholders returns n bound-value markers: "?, ?, ?".
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// insertColumns are the columns insertRows writes, in insertValues' order.
const insertColumns = "user_id, station_callsign, call, start, band, freq_mhz, mode, submode, mode_group, dxcc, " +
	"country, state, cq_zone, itu_zone, grid, dok, prop_mode, sat_name, source, log_key, lotw_key, dcl_key, " +
	"lotw_confirmed, lotw_confirmed_at, dcl_confirmed, dcl_confirmed_at, created_at, updated_at"

func insertValues(args []any, r *qsoRow) []any {
	return append(args, r.UserID, r.StationCallsign, r.Call, r.Start, r.Band, r.FreqMHz, r.Mode, r.Submode, r.ModeGroup,
		r.DXCC, r.Country, r.State, r.CQZone, r.ITUZone, r.Grid, r.DOK, r.PropMode, r.SatName, r.Source, r.LogKey,
		r.LoTWKey, r.DCLKey, r.LoTWConfirmed, r.LoTWConfirmedAt, r.DCLConfirmed, r.DCLConfirmedAt, r.CreatedAt, r.UpdatedAt)
}

// insertSQL caches the INSERT statement of a full batch.
var insertSQL = insertStatement(insertBatch)

func insertStatement(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", strings.Count(insertColumns, ",")+1), ", ") + ")"
	return "INSERT INTO qsos (" + insertColumns + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + " RETURNING id"
}

// insertRows inserts rows with one statement and sets their ids. It is what
// GORM's Create does for SQLite, without reflecting over every field of
// every row. The ids come
// back in insertion order, as GORM assumes too; they are checked to
// ascend, as AUTOINCREMENT assigns them, so that a different order would be
// an error rather than ids given to the wrong QSOs.
func insertRows(b bulk, rows []*qsoRow) error {
	now := time.Now().Unix()
	args := make([]any, 0, len(rows)*28)
	for _, r := range rows {
		r.CreatedAt, r.UpdatedAt = now, now
		args = insertValues(args, r)
	}
	stmt := insertSQL
	if len(rows) != insertBatch {
		stmt = insertStatement(len(rows))
	}
	res, err := b.query(stmt, args...)
	if err != nil {
		return err
	}
	defer res.Close()
	i := 0
	for ; res.Next(); i++ {
		if i == len(rows) {
			return fmt.Errorf("sqlite: INSERT of %d QSOs returned more ids", len(rows))
		}
		if err := res.Scan(&rows[i].ID); err != nil {
			return err
		}
		if i > 0 && rows[i].ID <= rows[i-1].ID {
			return fmt.Errorf("sqlite: INSERT returned ids out of order (%d after %d)", rows[i].ID, rows[i-1].ID)
		}
	}
	if err := res.Err(); err != nil {
		return err
	}
	if i != len(rows) {
		return fmt.Errorf("sqlite: INSERT of %d QSOs returned %d ids", len(rows), i)
	}
	return nil
}

// mergeRows reads the columns merge looks at and writes, for the QSOs ids.
// It scans them itself rather than through GORM's Find, whose reflection
// over every column of every row was most of a confirming sync's time in
// the storage.
func mergeRows(b bulk, ids []int64) ([]qsoRow, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := b.query("SELECT id, source, "+mergeColumnsRead+" FROM qsos WHERE id IN ("+placeholders(len(ids))+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]qsoRow, 0, len(ids))
	for rows.Next() {
		var r qsoRow
		if err := rows.Scan(&r.ID, &r.Source, &r.StationCallsign, &r.Mode, &r.Submode, &r.Country, &r.State, &r.Grid,
			&r.DOK, &r.DXCC, &r.CQZone, &r.ITUZone, &r.FreqMHz, &r.PropMode, &r.SatName, &r.LogKey, &r.LoTWKey, &r.DCLKey,
			&r.LoTWConfirmed, &r.LoTWConfirmedAt, &r.DCLConfirmed, &r.DCLConfirmedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// mergeColumnsRead is mergeColumns as mergeRows reads them (a NULL
// frequency of an old row read as 0).
var mergeColumnsRead = strings.Replace(strings.TrimSuffix(mergeColumns, ", updated_at"), "freq_mhz", "COALESCE(freq_mhz, 0)", 1)

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

// maxPage caps one page of QSOs.
const maxPage = 1000

// FindQSOs returns a page of the user's QSOs, newest first.
func (s *QSOService) FindQSOs(ctx context.Context, userID int64, f awardtracker.QSOFilter) ([]awardtracker.QSO, int, error) {
	q := s.db.conn(ctx, "qso_list").Model(&qsoRow{}).Where("user_id = ?", userID)
	if f.Band != "" {
		q = q.Where("band = ?", strings.ToLower(f.Band))
	}
	if f.Mode != "" {
		m := strings.ToUpper(f.Mode)
		q = q.Where("(mode = ? OR submode = ?)", m, m)
	}
	if f.Call != "" {
		q = q.Where("call = ?", strings.ToUpper(f.Call))
	}
	if f.Confirmed != nil {
		if *f.Confirmed {
			q = q.Where("(lotw_confirmed OR dcl_confirmed)")
		} else {
			q = q.Where("NOT (lotw_confirmed OR dcl_confirmed)")
		}
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, formatError(err)
	}
	limit := f.Limit
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	var rows []qsoRow
	if err := q.Order("start DESC, id DESC").Limit(limit).Offset(max(f.Offset, 0)).Find(&rows).Error; err != nil {
		return nil, 0, formatError(err)
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
	err := s.db.write(ctx, "qso_delete", func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND user_id = ?", qsoID, userID).Delete(&qsoRow{})
		deleted = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return formatError(err)
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
		return nil, formatError(err)
	}
	defer rows.Close()
	var out []awardtracker.AwardFact
	for rows.Next() {
		var f awardtracker.AwardFact
		var group string
		var latest int64
		if err := rows.Scan(&f.DXCC, &f.Band, &group, &f.State, &f.CQZone, &f.Grid, &f.DOK, &f.Satellite, &f.LoTW, &f.DCL, &latest, &f.QSOs); err != nil {
			return nil, formatError(err)
		}
		f.ModeGroup = awardtracker.ModeGroup(group)
		f.Latest = time.Unix(latest, 0).UTC()
		out = append(out, f)
	}
	return out, formatError(rows.Err())
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
