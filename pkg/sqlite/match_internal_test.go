package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func TestFormatKey_RoundTrip(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC)
	for _, k := range []awardtracker.RecordKey{
		{Station: "N0CALL", Call: "YO9HP", Band: "20m", Mode: "SSB", Start: t0, Seconds: true},
		{Call: "R3LO", Band: "13cm", Mode: "SSB", PropMode: "SAT", SatName: "QO-100", Start: t0.Truncate(time.Minute)},
		{Call: "K1ABC", Band: "2m", Mode: "FM", SatName: "ODD|NAME", Start: t0},
		{Call: "X", Band: "6m", Mode: "FT8", Start: time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		s := formatKey(k)
		got, ok := parseKey(s)
		if !ok || got != k {
			t.Errorf("parseKey(%q) = %+v, %v; want %+v", s, got, ok, k)
		}
	}
	for _, bad := range []string{"", "x|s|A|B|C|D|E|F", "1|h|A|B|C|D|E|F", "1|s|A|B|C"} {
		if k, ok := parseKey(bad); ok {
			t.Errorf("parseKey(%q) = %+v, true; want false", bad, k)
		}
	}
}

// TestKeySQL: the migration's SQL builds the key formatKey builds for the
// same row.
func TestKeySQL(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "k.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := awardtracker.QSO{StationCallsign: "N0CALL", Call: "R3LO", Band: "13cm", Mode: "SSB", PropMode: "SAT", SatName: "QO-100",
		Start: time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC), StartSeconds: true, Source: awardtracker.SourceLoTW}
	if err := db.write(ctx, "test", func(tx *gorm.DB) error { return tx.Create(newQSORow(1, &q, "")).Error }); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.gorm.Raw("SELECT " + keySQL + " FROM qsos").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if want := formatKey(q.Key()); got != want {
		t.Errorf("keySQL = %q, want %q", got, want)
	}
}
