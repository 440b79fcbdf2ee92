package storetest

import (
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// The benchmarks both engines' packages run, so that one `go test -bench`
// over pkg/sqlite and pkg/postgres compares them on the same machine.

// BenchStats measures a stats cache miss: reading one user's tallies (see
// gormstore's tally.go), at several log sizes.
func BenchStats(b *testing.B, open Opener) {
	for _, n := range []int{1_000, 20_000, 100_000} {
		b.Run(fmt.Sprintf("qsos=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := open(b)
			u := mustUser(b, db, "N0CALL")
			if _, err := gormstore.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
				demo.QSOs(demo.Options{QSOs: n, Years: 30}), awardtracker.ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			s := gormstore.NewStatsService(db)
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Stats(ctx, u.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchImport measures importing a generated log of 20,000 QSOs into an
// empty database.
func BenchImport(b *testing.B, open Opener) {
	ctx := context.Background()
	const n = 20_000
	for b.Loop() {
		b.StopTimer()
		db := open(b)
		u := mustUser(b, db, "N0CALL")
		b.StartTimer()
		if _, err := gormstore.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
			demo.QSOs(demo.Options{QSOs: n, Years: 30}), awardtracker.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchConfirm measures a LoTW download that confirms 20,000 QSOs of the
// own log: matching plus the batched merge (read and update) of every QSO.
func BenchConfirm(b *testing.B, open Opener) {
	ctx := context.Background()
	const n = 20_000
	for b.Loop() {
		b.StopTimer()
		db := open(b)
		u := mustUser(b, db, "N0CALL")
		s := gormstore.NewQSOService(db)
		log := demo.Options{QSOs: n, Years: 30}
		if _, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLog, demo.QSOs(log), awardtracker.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := s.ImportQSOs(ctx, u.ID, awardtracker.SourceLoTW, confirmations(demo.QSOs(log)), awardtracker.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Imported != 0 {
			b.Fatalf("got %d confirmations imported as new QSOs, want 0", res.Imported)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// confirmations turns a log into the LoTW report confirming it.
func confirmations(log iter.Seq2[awardtracker.ImportRecord, error]) iter.Seq2[awardtracker.ImportRecord, error] {
	return func(yield func(awardtracker.ImportRecord, error) bool) {
		for rec, err := range log {
			rec.QSO.Source, rec.QSO.LoTWConfirmed = awardtracker.SourceLoTW, true
			if !yield(rec, err) {
				return
			}
		}
	}
}
