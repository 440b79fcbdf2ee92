package gormstore

import (
	"reflect"
	"strings"
	"testing"
)

// TestArrays: row-after-row values become one typed array per column, as
// PostgreSQL's unnest statements bind them; a float goes as its shortest
// exact text, and a type with no array is an error, not a wrong statement.
func TestArrays(t *testing.T) {
	at := int64(1_700_000_000)
	flat := []any{
		int64(1), "K1ABC", 291, 14.074, true, &at,
		int64(2), "DL1XYZ", 0, 0.30000000000000004, false, (*int64)(nil),
	}
	got, err := arrays(flat, 6)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		[]int64{1, 2}, []string{"K1ABC", "DL1XYZ"}, []int64{291, 0}, []string{"14.074", "0.30000000000000004"},
		[]bool{true, false}, []*int64{&at, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("arrays: got %v, want %v", got, want)
	}
	if _, err := arrays([]any{uint8(1)}, 1); err == nil {
		t.Error("arrays of a uint8 column: got no error, want one")
	}
}

// TestBulkStatements: PostgreSQL's update binds one array per column (a
// numeric column as text, cast back) and is the same text whatever the
// batch size; SQLite's statements have a marker per column and row and no
// casts.
func TestBulkStatements(t *testing.T) {
	pg := &DB{dialect: Dialect{Arrays: true}}
	lite := &DB{}
	for _, tc := range []struct {
		name, stmt string
		want       []string // parts the statement must contain
	}{
		{"postgres update", pg.mergeUpdate(7), []string{
			"UPDATE qsos SET station_callsign = v.station_callsign, ", "freq_mhz = v.freq_mhz::numeric, ",
			"FROM unnest($1::bigint[], $2::text[], ", "$22::bigint[]) AS v(id, station_callsign, ", "WHERE qsos.id = v.id"}},
		{"sqlite insert", insertStatement(2), []string{
			"VALUES (" + strings.Repeat("?, ", 27) + "?), (" + strings.Repeat("?, ", 27) + "?) RETURNING id"}},
		{"sqlite update", lite.mergeUpdate(1), []string{
			"WITH v(id, station_callsign, ", "AS (VALUES (" + strings.Repeat("?, ", 21) + "?)) UPDATE qsos SET ",
			"freq_mhz = v.freq_mhz, ", "FROM v WHERE qsos.id = v.id"}},
	} {
		for _, part := range tc.want {
			if !strings.Contains(tc.stmt, part) {
				t.Errorf("%s: got %s\nwant it to contain %s", tc.name, tc.stmt, part)
			}
		}
	}
	if strings.Contains(lite.mergeUpdate(3), "::") {
		t.Errorf("sqlite update: got %s, want no PostgreSQL casts", lite.mergeUpdate(3))
	}
	if a, b := pg.mergeUpdate(3), pg.mergeUpdate(5000); a != b {
		t.Errorf("postgres update of 3 rows: got %s, want the statement of 5,000: %s", a, b)
	}
}
