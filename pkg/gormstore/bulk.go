package gormstore

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/perf"
)

// bulk runs an import's large statements on the transaction's connection
// directly. GORM's statement builder walks every bound value, which made up
// a fifth of a first sync's time in the storage; these statements are built
// once instead. Per batch the new QSOs are written at once, and the stored
// QSOs that records matched are read with one SELECT and written back at
// once, timed as GORM's callbacks time every other statement (without the
// test-only QueryDelay).
//
// The engines take a batch differently:
//
//   - SQLite takes one bound value per column and row: multi-row INSERT
//     ... VALUES ... RETURNING id, UPDATE ... FROM (VALUES ...) and id IN
//     (?, ...), batchSQLite rows at a time. Binding a value is a function
//     call in the process.
//   - PostgreSQL (Dialect.Arrays, Dialect.CopyFrom) takes new QSOs by COPY,
//     reads matched ones with id = ANY($1) (the batch's ids as one array)
//     and writes merged ones back by DELETE, then COPY (replaceRows),
//     batchArrays rows at a time. Why: with a value per column and row, the
//     server parsed and planned a statement of 5,600 parameters per batch
//     of 200, pgx described and encoded each one, and a last, shorter batch
//     was a new statement to prepare. COPY streams the rows: the server
//     stores them while pgx still encodes the next ones.
//
// Measured on LoTW syncs of 100,000 records against a throwaway cluster:
// the INSERTs of a first sync took 2.0 s with one array per column instead
// of 3.3 s with VALUES, and COPY took another 0.1 s off (4%) and 9% off an
// import of 20,000 QSOs; batches of 5,000 rather than 1,000 took about 10%
// off. The writes of a confirming sync took 3.6 s with VALUES, 1.7 s with
// UPDATE ... FROM unnest($1::bigint[], ...) and 1.0 s with DELETE and COPY.
type bulk struct {
	db *DB
	tx *gorm.DB
}

// The batch sizes: how many new QSOs go into one INSERT, and how many
// matched records are merged with one SELECT and one UPDATE.
const (
	batchSQLite = 200
	batchArrays = 5000
)

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
	if b.db.tracker == nil {
		return
	}
	name, ok := perf.QueryFrom(b.tx.Statement.Context)
	if !ok {
		name = "bulk_qsos"
	}
	b.db.tracker.Observe(name, time.Since(start))
}

func columnNames(cols []string) string { return strings.Join(cols, ", ") }

// placeholders returns rows tuples of n SQLite markers: "(?, ?), (?, ?)".
func placeholders(rows, n int) string {
	tuple := "(" + strings.Repeat("?, ", n-1) + "?)"
	return strings.Repeat(tuple+", ", rows-1) + tuple
}

// insertColumns are the columns insertRows writes, in insertValues' order.
var insertColumns = []string{
	"user_id", "station_callsign", "call", "start", "band", "freq_mhz", "mode", "submode", "mode_group", "dxcc",
	"country", "state", "cq_zone", "itu_zone", "grid", "dok", "prop_mode", "sat_name", "source", "log_key", "lotw_key",
	"dcl_key", "lotw_confirmed", "lotw_confirmed_at", "dcl_confirmed", "dcl_confirmed_at", "created_at", "updated_at",
}

func insertValues(args []any, r *qsoRow) []any {
	return append(args, r.UserID, r.StationCallsign, r.Call, r.Start, r.Band, r.FreqMHz, r.Mode, r.Submode, r.ModeGroup,
		r.DXCC, r.Country, r.State, r.CQZone, r.ITUZone, r.Grid, r.DOK, r.PropMode, r.SatName, r.Source, r.LogKey,
		r.LoTWKey, r.DCLKey, r.LoTWConfirmed, r.LoTWConfirmedAt, r.DCLConfirmed, r.DCLConfirmedAt, r.CreatedAt, r.UpdatedAt)
}

// insertStatement inserts n rows (SQLite).
func insertStatement(n int) string {
	return "INSERT INTO qsos (" + columnNames(insertColumns) + ") VALUES " + placeholders(n, len(insertColumns)) + " RETURNING id"
}

// insertRows inserts rows and sets their ids. It is what GORM's Create
// does, without reflecting over every field of every row. The ids of an
// INSERT come back in insertion order, as GORM assumes too; they are
// checked to ascend, as SQLite assigns them, so that a different order
// would be an error rather than ids given to the wrong QSOs.
func (b bulk) insertRows(rows []*qsoRow) error {
	if b.db.dialect.CopyFrom != nil {
		return b.copyRows(rows)
	}
	now := time.Now().Unix()
	args := make([]any, 0, len(rows)*len(insertColumns))
	for _, r := range rows {
		r.CreatedAt, r.UpdatedAt = now, now
		args = insertValues(args, r)
	}
	stmt := b.db.insertFull
	if len(rows) != b.db.batch {
		stmt = insertStatement(len(rows))
	}
	res, err := b.query(stmt, args...)
	if err != nil {
		return err
	}
	defer res.Close()
	name := b.db.dialect.Name
	i := 0
	for ; res.Next(); i++ {
		if i == len(rows) {
			return fmt.Errorf("%s: INSERT of %d QSOs returned more ids", name, len(rows))
		}
		if err := res.Scan(&rows[i].ID); err != nil {
			return err
		}
		if i > 0 && rows[i].ID <= rows[i-1].ID {
			return fmt.Errorf("%s: INSERT returned ids out of order (%d after %d)", name, rows[i].ID, rows[i-1].ID)
		}
	}
	if err := res.Err(); err != nil {
		return err
	}
	if i != len(rows) {
		return fmt.Errorf("%s: INSERT of %d QSOs returned %d ids", name, len(rows), i)
	}
	return nil
}

// mergeColumns are the columns merge can change, in the order mergeValues
// lists them (after the id).
var mergeColumns = []string{
	"station_callsign", "mode", "submode", "country", "state", "grid", "dok", "dxcc", "cq_zone", "itu_zone", "freq_mhz",
	"prop_mode", "sat_name", "log_key", "lotw_key", "dcl_key", "lotw_confirmed", "lotw_confirmed_at", "dcl_confirmed",
	"dcl_confirmed_at", "updated_at",
}

func mergeValues(args []any, r *qsoRow, now int64) []any {
	return append(args, r.ID, r.StationCallsign, r.Mode, r.Submode, r.Country, r.State, r.Grid, r.DOK, r.DXCC, r.CQZone,
		r.ITUZone, r.FreqMHz, r.PropMode, r.SatName, r.LogKey, r.LoTWKey, r.DCLKey,
		r.LoTWConfirmed, r.LoTWConfirmedAt, r.DCLConfirmed, r.DCLConfirmedAt, now)
}

// mergeUpdate writes n merged rows in one statement (SQLite): the new
// values as a table joined on the id (UPDATE ... FROM, SQLite 3.33 and
// later).
func mergeUpdate(n int) string {
	cols := append([]string{"id"}, mergeColumns...)
	set := make([]string, len(mergeColumns))
	for i, c := range mergeColumns {
		set[i] = c + " = v." + c
	}
	return "WITH v(" + columnNames(cols) + ") AS (VALUES " + placeholders(n, len(cols)) + ") UPDATE qsos SET " +
		strings.Join(set, ", ") + " FROM v WHERE qsos.id = v.id"
}

// updateRows writes the merged rows.
func (b bulk) updateRows(changed []*qsoRow) error {
	now := time.Now().Unix()
	if b.db.dialect.CopyFrom != nil {
		return b.replaceRows(changed, now)
	}
	args := make([]any, 0, len(changed)*(len(mergeColumns)+1))
	for _, r := range changed {
		args = mergeValues(args, r, now)
	}
	stmt := b.db.mergeFull
	if len(changed) != b.db.batch {
		stmt = mergeUpdate(len(changed))
	}
	return b.exec(stmt, args...)
}

// replaceRows is updateRows by Dialect.CopyFrom: the stored rows are
// deleted and the merged ones copied in with the same ids (and creation
// times), in the import's transaction.
//
// Why not UPDATE: PostgreSQL updates a row in place (a HOT update) only
// when its page has room for the new version, and an import fills its
// pages; so every UPDATE of a merge wrote a new row version elsewhere and
// an entry in every index of qsos, as an INSERT does, and left the old
// version for VACUUM, as a DELETE does. COPY writes rows faster than an
// UPDATE joined to the batch's arrays: on a LoTW sync of 100,000 records
// that all confirm stored QSOs, the writes took 1.0 s (DELETE 0.16 s, COPY
// 0.85 s) instead of 1.7 s.
//
// What it gives up: a statement of another transaction that waits for
// this one to update one of these rows would, after the commit, find the
// row deleted and skip it, where an UPDATE would let it follow to the new
// version. Nothing writes a user's QSOs outside writeChange, which holds
// the user's lock (Dialect.LockUserSQL), so no such statement runs.
func (b bulk) replaceRows(changed []*qsoRow, now int64) error {
	ids := make([]int64, len(changed))
	for i, r := range changed {
		ids[i] = r.ID
		r.UpdatedAt = now
	}
	if err := b.exec("DELETE FROM qsos WHERE id = ANY($1::bigint[])", ids); err != nil {
		return err
	}
	return b.copy(changed)
}

// mergeColumnsRead is mergeColumns as mergeRows reads them (a NULL
// frequency of an old row read as 0), without updated_at.
var mergeColumnsRead = func() string {
	cols := make([]string, 0, len(mergeColumns))
	for _, c := range mergeColumns[:len(mergeColumns)-1] {
		if c == "freq_mhz" {
			c = "COALESCE(freq_mhz, 0)"
		}
		cols = append(cols, c)
	}
	return strings.Join(cols, ", ")
}()

// replaceColumnsRead are the columns replaceRows writes beyond those merge
// reads: the whole row.
const replaceColumnsRead = "user_id, call, start, band, mode_group, created_at"

// mergeRows reads the columns merge looks at and writes, for the QSOs ids
// (with Dialect.CopyFrom, the whole row, which replaceRows writes back).
// It scans them itself rather than through GORM's Find, whose reflection
// over every column of every row was most of a confirming sync's time in
// the storage.
func (b bulk) mergeRows(ids []int64) ([]qsoRow, error) {
	whole := b.db.dialect.CopyFrom != nil
	cols := mergeColumnsRead
	if whole {
		cols += ", " + replaceColumnsRead
	}
	stmt := "SELECT id, source, " + cols + " FROM qsos WHERE "
	var args []any
	if b.db.dialect.Arrays {
		stmt += "id = ANY($1::bigint[])"
		args = []any{ids}
	} else {
		stmt += "id IN " + placeholders(1, len(ids))
		args = make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
	}
	rows, err := b.query(stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]qsoRow, 0, len(ids))
	for rows.Next() {
		var r qsoRow
		dst := []any{&r.ID, &r.Source, &r.StationCallsign, &r.Mode, &r.Submode, &r.Country, &r.State, &r.Grid,
			&r.DOK, &r.DXCC, &r.CQZone, &r.ITUZone, &r.FreqMHz, &r.PropMode, &r.SatName, &r.LogKey, &r.LoTWKey, &r.DCLKey,
			&r.LoTWConfirmed, &r.LoTWConfirmedAt, &r.DCLConfirmed, &r.DCLConfirmedAt}
		if whole {
			dst = append(dst, &r.UserID, &r.Call, &r.Start, &r.Band, &r.ModeGroup, &r.CreatedAt)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// copyRows is insertRows by Dialect.CopyFrom: the ids are reserved first,
// ascending in the rows' order as an INSERT would assign them.
func (b bulk) copyRows(rows []*qsoRow) error {
	name := b.db.dialect.Name
	res, err := b.query(b.db.dialect.NextIDsSQL, len(rows))
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(rows))
	for res.Next() {
		var id int64
		if err := res.Scan(&id); err != nil {
			res.Close()
			return err
		}
		ids = append(ids, id)
	}
	res.Close()
	if err := res.Err(); err != nil {
		return err
	}
	if len(ids) != len(rows) {
		return fmt.Errorf("%s: reserved %d ids for %d QSOs", name, len(ids), len(rows))
	}
	slices.Sort(ids)
	now := time.Now().Unix()
	for i, r := range rows {
		r.ID, r.CreatedAt, r.UpdatedAt = ids[i], now, now
	}
	return b.copy(rows)
}

// copy writes rows, ids included, by Dialect.CopyFrom. database/sql lets
// Conn.Raw reach the connection while the transaction on it is open (both
// only read-lock the Conn), and no statement of the transaction runs
// meanwhile: one goroutine at a time uses it (see merger).
func (b bulk) copy(rows []*qsoRow) error {
	conn, ok := heldConn(b.tx)
	if !ok {
		return fmt.Errorf("%s: COPY outside a transaction on a held connection", b.db.dialect.Name)
	}
	data := make([][]any, len(rows))
	for i, r := range rows {
		data[i] = insertValues(append(make([]any, 0, len(insertColumns)+1), r.ID), r)
	}
	defer b.observe(time.Now())
	return conn.Raw(func(dc any) error {
		return b.db.dialect.CopyFrom(b.tx.Statement.Context, dc, "qsos", copyColumns, data)
	})
}

// copyColumns are the columns copy writes: the id, then insertColumns.
var copyColumns = append([]string{"id"}, insertColumns...)
