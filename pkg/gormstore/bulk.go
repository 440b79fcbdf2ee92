package gormstore

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/perf"
)

// bulk runs an import's large statements on the transaction's connection
// directly. GORM's statement builder walks every bound value, which made up
// a fifth of a first sync's time in the storage; these statements are built
// once instead. Per batch the new QSOs are written at once, and the stored
// QSOs that records matched are read with one SELECT and written with one
// UPDATE, timed as GORM's callbacks time every other statement (without the
// test-only QueryDelay).
//
// The engines take a batch differently:
//
//   - SQLite takes one bound value per column and row: multi-row INSERT
//     ... VALUES ... RETURNING id, UPDATE ... FROM (VALUES ...) and id IN
//     (?, ...), batchSQLite rows at a time. Binding a value is a function
//     call in the process.
//   - PostgreSQL (Dialect.Arrays, Dialect.CopyFrom) takes new QSOs by COPY
//     and merged ones as one array per column: UPDATE ... FROM
//     unnest($1::bigint[], ...), id = ANY($1). Why: with a value per
//     column and row, the server parsed and planned a statement of 5,600
//     parameters per batch of 200, pgx described and encoded each one, and
//     a last, shorter batch was a new statement to prepare. An array
//     statement is one text for every batch size (pgx prepares it once
//     per connection), and a batch can grow to batchArrays, past the
//     65,535 bound values a statement may have. COPY streams the rows: the
//     server stores them while pgx still encodes the next ones.
//
// Measured on LoTW syncs of 100,000 records against a throwaway cluster:
// the INSERTs of a first sync took 2.0 s with arrays instead of 3.3 s with
// VALUES, the UPDATEs of a confirming sync 2.4 s instead of 3.6 s (batches
// of 1,000); batches of 5,000 took about 10% more off both syncs, and COPY
// instead of INSERT ... SELECT FROM unnest(...) RETURNING id another 0.1 s
// off the first sync (4%) and 9% off an import of 20,000 QSOs.
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

// column is a qsos column a bulk statement writes, with its type as
// AutoMigrate creates it on PostgreSQL (for the arrays' casts).
type column struct{ name, typ string }

const (
	tInt   = "bigint"
	tText  = "text"
	tBool  = "boolean"
	tFloat = "numeric"
)

func columnNames(cols []column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// placeholders returns rows tuples of n SQLite markers: "(?, ?), (?, ?)".
func placeholders(rows, n int) string {
	tuple := "(" + strings.Repeat("?, ", n-1) + "?)"
	return strings.Repeat(tuple+", ", rows-1) + tuple
}

// unnest returns "unnest($1::bigint[], ...) AS v(id, ...)": a table of
// the columns cols bound as one array each, named v. A numeric column is
// bound as text and cast where it is used (see arrayValue).
func unnest(cols []column) string {
	params := make([]string, len(cols))
	for i, c := range cols {
		typ := c.typ
		if typ == tFloat {
			typ = tText
		}
		params[i] = "$" + strconv.Itoa(i+1) + "::" + typ + "[]"
	}
	return "unnest(" + strings.Join(params, ", ") + ") AS v(" + columnNames(cols) + ")"
}

// arrayValue is column c of the table unnest made.
func arrayValue(c column) string {
	if c.typ == tFloat {
		return "v." + c.name + "::numeric"
	}
	return "v." + c.name
}

// arrays turns the values of rows, listed row after row (ncols per row, as
// mergeValues lists them), into one array per column, as
// the statements from unnest bind them. A float goes as the text pgx would
// send for a numeric column itself (strconv's shortest form, exact), which
// saves pgx encoding each one as a binary numeric; an int goes as int64.
func arrays(flat []any, ncols int) ([]any, error) {
	rows := len(flat) / ncols
	out := make([]any, ncols)
	for c := range ncols {
		switch flat[c].(type) {
		case int64:
			a := make([]int64, rows)
			for r := range a {
				a[r] = flat[r*ncols+c].(int64)
			}
			out[c] = a
		case int:
			a := make([]int64, rows)
			for r := range a {
				a[r] = int64(flat[r*ncols+c].(int))
			}
			out[c] = a
		case *int64:
			a := make([]*int64, rows)
			for r := range a {
				a[r] = flat[r*ncols+c].(*int64)
			}
			out[c] = a
		case string:
			a := make([]string, rows)
			for r := range a {
				a[r] = flat[r*ncols+c].(string)
			}
			out[c] = a
		case bool:
			a := make([]bool, rows)
			for r := range a {
				a[r] = flat[r*ncols+c].(bool)
			}
			out[c] = a
		case float64:
			a := make([]string, rows)
			for r := range a {
				a[r] = strconv.FormatFloat(flat[r*ncols+c].(float64), 'f', -1, 64)
			}
			out[c] = a
		default:
			return nil, fmt.Errorf("gormstore: no array for a %T column", flat[c])
		}
	}
	return out, nil
}

// insertColumns are the columns insertRows writes, in insertValues' order.
var insertColumns = []column{
	{"user_id", tInt}, {"station_callsign", tText}, {"call", tText}, {"start", tInt}, {"band", tText},
	{"freq_mhz", tFloat}, {"mode", tText}, {"submode", tText}, {"mode_group", tText}, {"dxcc", tInt},
	{"country", tText}, {"state", tText}, {"cq_zone", tInt}, {"itu_zone", tInt}, {"grid", tText}, {"dok", tText},
	{"prop_mode", tText}, {"sat_name", tText}, {"source", tText}, {"log_key", tText}, {"lotw_key", tText},
	{"dcl_key", tText}, {"lotw_confirmed", tBool}, {"lotw_confirmed_at", tInt}, {"dcl_confirmed", tBool},
	{"dcl_confirmed_at", tInt}, {"created_at", tInt}, {"updated_at", tInt},
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
var mergeColumns = []column{
	{"station_callsign", tText}, {"mode", tText}, {"submode", tText}, {"country", tText}, {"state", tText},
	{"grid", tText}, {"dok", tText}, {"dxcc", tInt}, {"cq_zone", tInt}, {"itu_zone", tInt}, {"freq_mhz", tFloat},
	{"prop_mode", tText}, {"sat_name", tText}, {"log_key", tText}, {"lotw_key", tText}, {"dcl_key", tText},
	{"lotw_confirmed", tBool}, {"lotw_confirmed_at", tInt}, {"dcl_confirmed", tBool}, {"dcl_confirmed_at", tInt},
	{"updated_at", tInt},
}

func mergeValues(args []any, r *qsoRow, now int64) []any {
	return append(args, r.ID, r.StationCallsign, r.Mode, r.Submode, r.Country, r.State, r.Grid, r.DOK, r.DXCC, r.CQZone,
		r.ITUZone, r.FreqMHz, r.PropMode, r.SatName, r.LogKey, r.LoTWKey, r.DCLKey,
		r.LoTWConfirmed, r.LoTWConfirmedAt, r.DCLConfirmed, r.DCLConfirmedAt, now)
}

// mergeUpdate writes n merged rows (any number with Arrays) in one
// statement: the new values as a table joined on the id (UPDATE ... FROM:
// SQLite 3.33 and later, PostgreSQL).
func (db *DB) mergeUpdate(n int) string {
	cols := append([]column{{"id", tInt}}, mergeColumns...)
	set := make([]string, len(mergeColumns))
	for i, c := range mergeColumns {
		set[i] = c.name + " = v." + c.name
		if db.dialect.Arrays {
			set[i] = c.name + " = " + arrayValue(c)
		}
	}
	if db.dialect.Arrays {
		return "UPDATE qsos SET " + strings.Join(set, ", ") + " FROM " + unnest(cols) + " WHERE qsos.id = v.id"
	}
	return "WITH v(" + columnNames(cols) + ") AS (VALUES " + placeholders(n, len(cols)) + ") UPDATE qsos SET " +
		strings.Join(set, ", ") + " FROM v WHERE qsos.id = v.id"
}

// updateRows writes the merged rows.
func (b bulk) updateRows(changed []*qsoRow) error {
	now := time.Now().Unix()
	ncols := len(mergeColumns) + 1
	args := make([]any, 0, len(changed)*ncols)
	for _, r := range changed {
		args = mergeValues(args, r, now)
	}
	stmt := b.db.mergeFull
	switch {
	case b.db.dialect.Arrays:
		var err error
		if args, err = arrays(args, ncols); err != nil {
			return err
		}
	case len(changed) != b.db.batch:
		stmt = b.db.mergeUpdate(len(changed))
	}
	return b.exec(stmt, args...)
}

// mergeColumnsRead is mergeColumns as mergeRows reads them (a NULL
// frequency of an old row read as 0), without updated_at.
var mergeColumnsRead = func() string {
	cols := make([]string, 0, len(mergeColumns))
	for _, c := range mergeColumns[:len(mergeColumns)-1] {
		if c.name == "freq_mhz" {
			cols = append(cols, "COALESCE(freq_mhz, 0)")
			continue
		}
		cols = append(cols, c.name)
	}
	return strings.Join(cols, ", ")
}()

// mergeRows reads the columns merge looks at and writes, for the QSOs ids.
// It scans them itself rather than through GORM's Find, whose reflection
// over every column of every row was most of a confirming sync's time in
// the storage.
func (b bulk) mergeRows(ids []int64) ([]qsoRow, error) {
	stmt := "SELECT id, source, " + mergeColumnsRead + " FROM qsos WHERE "
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
		if err := rows.Scan(&r.ID, &r.Source, &r.StationCallsign, &r.Mode, &r.Submode, &r.Country, &r.State, &r.Grid,
			&r.DOK, &r.DXCC, &r.CQZone, &r.ITUZone, &r.FreqMHz, &r.PropMode, &r.SatName, &r.LogKey, &r.LoTWKey, &r.DCLKey,
			&r.LoTWConfirmed, &r.LoTWConfirmedAt, &r.DCLConfirmed, &r.DCLConfirmedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// copyRows is insertRows by Dialect.CopyFrom: the ids are reserved first,
// ascending in the rows' order as an INSERT would assign them. database/sql
// lets Conn.Raw reach the connection while the transaction on it is open
// (both only read-lock the Conn), and no statement of the transaction runs
// meanwhile: an import is one goroutine.
func (b bulk) copyRows(rows []*qsoRow) error {
	name := b.db.dialect.Name
	conn, ok := heldConn(b.tx)
	if !ok {
		return fmt.Errorf("%s: COPY outside a transaction on a held connection", name)
	}
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
	data := make([][]any, len(rows))
	for i, r := range rows {
		r.ID, r.CreatedAt, r.UpdatedAt = ids[i], now, now
		data[i] = insertValues(append(make([]any, 0, len(insertColumns)+1), r.ID), r)
	}
	defer b.observe(time.Now())
	return conn.Raw(func(dc any) error {
		return b.db.dialect.CopyFrom(b.tx.Statement.Context, dc, "qsos", copyColumns, data)
	})
}

// copyColumns are the columns copyRows writes: the id, then insertColumns.
var copyColumns = func() []string {
	cols := []string{"id"}
	for _, c := range insertColumns {
		cols = append(cols, c.name)
	}
	return cols
}()
