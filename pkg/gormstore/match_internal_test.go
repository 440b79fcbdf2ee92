package gormstore

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/match"
)

// TestKeySQL: the migration's SQL builds the key match.FormatKey builds
// for the same row.
func TestKeySQL(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	q := awardtracker.QSO{StationCallsign: "N0CALL", Call: "R3LO", Band: "13cm", Mode: "SSB", PropMode: "SAT", SatName: "QO-100",
		Start: time.Date(2024, 6, 1, 12, 41, 15, 0, time.UTC), StartSeconds: true, Source: awardtracker.SourceLoTW}
	if err := db.write(ctx, "test", func(tx *gorm.DB) error { return tx.Create(newQSORow(1, &q, "")).Error }); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.gorm.Raw("SELECT " + keySQL + " FROM qsos").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if want := match.FormatKey(q.Key()); got != want {
		t.Errorf("keySQL = %q, want %q", got, want)
	}
}
