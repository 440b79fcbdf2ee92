package gormstore

import (
	"strings"
	"testing"
)

// TestBulkStatements: SQLite's statements have a marker per column and
// row.
func TestBulkStatements(t *testing.T) {
	for _, tc := range []struct {
		name, stmt string
		want       []string // parts the statement must contain
	}{
		{"sqlite insert", insertStatement(2), []string{
			"VALUES (" + strings.Repeat("?, ", 27) + "?), (" + strings.Repeat("?, ", 27) + "?) RETURNING id"}},
		{"sqlite update", mergeUpdate(1), []string{
			"WITH v(id, station_callsign, ", "AS (VALUES (" + strings.Repeat("?, ", 21) + "?)) UPDATE qsos SET ",
			"freq_mhz = v.freq_mhz, ", "FROM v WHERE qsos.id = v.id"}},
	} {
		for _, part := range tc.want {
			if !strings.Contains(tc.stmt, part) {
				t.Errorf("%s: got %s\nwant it to contain %s", tc.name, tc.stmt, part)
			}
		}
	}
}
