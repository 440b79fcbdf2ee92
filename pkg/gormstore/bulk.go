package gormstore

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/perf"
)

// bulk runs an import's large statements (200 rows, up to 5,600 bound
// values) on the transaction's connection directly. GORM's statement
// builder walks every bound value, which made up a fifth of a first sync's
// time in the storage; these statements are built once per batch size
// instead. They are multi-row statements on both engines (one INSERT, one
// SELECT ... IN, one UPDATE ... FROM VALUES per batch), timed as GORM's
// callbacks time every other statement (without the test-only QueryDelay).
type bulk struct {
	db *DB
	tx *gorm.DB
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
	if b.db.tracker == nil {
		return
	}
	name, ok := perf.QueryFrom(b.tx.Statement.Context)
	if !ok {
		name = "bulk_qsos"
	}
	b.db.tracker.Observe(name, time.Since(start))
}

// values returns rows tuples of the bound-value markers of columns typed
// types: "(?, ?), (?, ?)" for SQLite, "($1::bigint, $2::text), ..." for
// PostgreSQL, which types a bare parameter in VALUES as text.
func (db *DB) values(rows int, types []string) string {
	var sb strings.Builder
	n := 0
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j, typ := range types {
			if j > 0 {
				sb.WriteString(", ")
			}
			n++
			if !db.dialect.Numbered {
				sb.WriteByte('?')
				continue
			}
			sb.WriteString("$" + strconv.Itoa(n))
			if typ != "" {
				sb.WriteString("::" + typ)
			}
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// Column types for PostgreSQL's casts, as AutoMigrate creates the columns.
const (
	tInt   = "bigint"
	tText  = "text"
	tBool  = "boolean"
	tFloat = "numeric"
)

// insertColumns are the columns insertRows writes, in insertValues' order.
const insertColumns = "user_id, station_callsign, call, start, band, freq_mhz, mode, submode, mode_group, dxcc, " +
	"country, state, cq_zone, itu_zone, grid, dok, prop_mode, sat_name, source, log_key, lotw_key, dcl_key, " +
	"lotw_confirmed, lotw_confirmed_at, dcl_confirmed, dcl_confirmed_at, created_at, updated_at"

func insertValues(args []any, r *qsoRow) []any {
	return append(args, r.UserID, r.StationCallsign, r.Call, r.Start, r.Band, r.FreqMHz, r.Mode, r.Submode, r.ModeGroup,
		r.DXCC, r.Country, r.State, r.CQZone, r.ITUZone, r.Grid, r.DOK, r.PropMode, r.SatName, r.Source, r.LogKey,
		r.LoTWKey, r.DCLKey, r.LoTWConfirmed, r.LoTWConfirmedAt, r.DCLConfirmed, r.DCLConfirmedAt, r.CreatedAt, r.UpdatedAt)
}

// insertStatement inserts n rows; the columns' types come from the table,
// so its markers need no casts.
func (db *DB) insertStatement(n int) string {
	types := make([]string, strings.Count(insertColumns, ",")+1)
	return "INSERT INTO qsos (" + insertColumns + ") VALUES " + db.values(n, types) + " RETURNING id"
}

// insertRows inserts rows with one statement and sets their ids. It is what
// GORM's Create does, without reflecting over every field of every row. The
// ids come back in insertion order, as GORM assumes too; they are checked
// to ascend, as both engines assign them, so that a different order would
// be an error rather than ids given to the wrong QSOs.
func (b bulk) insertRows(rows []*qsoRow) error {
	now := time.Now().Unix()
	args := make([]any, 0, len(rows)*28)
	for _, r := range rows {
		r.CreatedAt, r.UpdatedAt = now, now
		args = insertValues(args, r)
	}
	stmt := b.db.insertFull
	if len(rows) != insertBatch {
		stmt = b.db.insertStatement(len(rows))
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
// lists them (after the id), with their types.
var mergeColumns = []struct{ name, typ string }{
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

// mergeUpdate writes n merged rows in one statement: the new values as a
// VALUES table joined on the id (UPDATE ... FROM: SQLite 3.33 and later,
// PostgreSQL).
func (db *DB) mergeUpdate(n int) string {
	names := []string{"id"}
	types := []string{tInt}
	set := make([]string, 0, len(mergeColumns))
	for _, c := range mergeColumns {
		names = append(names, c.name)
		types = append(types, c.typ)
		set = append(set, c.name+" = v."+c.name)
	}
	return "WITH v(" + strings.Join(names, ", ") + ") AS (VALUES " + db.values(n, types) + ") UPDATE qsos SET " +
		strings.Join(set, ", ") + " FROM v WHERE qsos.id = v.id"
}

// updateRows writes the merged rows.
func (b bulk) updateRows(changed []*qsoRow) error {
	now := time.Now().Unix()
	args := make([]any, 0, len(changed)*(len(mergeColumns)+1))
	for _, r := range changed {
		args = mergeValues(args, r, now)
	}
	stmt := b.db.mergeFull
	if len(changed) != insertBatch {
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
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	list := b.db.values(1, make([]string, len(ids))) // "(?, ?, ...)"
	rows, err := b.query("SELECT id, source, "+mergeColumnsRead+" FROM qsos WHERE id IN "+list, args...)
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
