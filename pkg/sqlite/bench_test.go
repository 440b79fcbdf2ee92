package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// BenchmarkStats measures a stats cache miss: the SQL aggregates for one
// user, at several log sizes.
func BenchmarkStats(b *testing.B) {
	for _, n := range []int{1_000, 20_000, 100_000} {
		b.Run(fmt.Sprintf("qsos=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := mustOpen(b)
			u := mustUser(b, db, "N0CALL")
			if _, err := gormstore.NewQSOService(db.DB).ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
				demo.QSOs(demo.Options{QSOs: n, Years: 30}), awardtracker.ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			s := gormstore.NewStatsService(db.DB)
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Stats(ctx, u.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImport measures importing a generated log into an empty database.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	const n = 20_000
	for b.Loop() {
		b.StopTimer()
		db := mustOpen(b)
		u := mustUser(b, db, "N0CALL")
		b.StartTimer()
		if _, err := gormstore.NewQSOService(db.DB).ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
			demo.QSOs(demo.Options{QSOs: n, Years: 30}), awardtracker.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSmallWrites measures the single-statement writes (sign-up,
// credentials, sync bookkeeping), each its own transaction.
func BenchmarkSmallWrites(b *testing.B) {
	ctx := context.Background()
	db := mustOpen(b)
	u := mustUser(b, db, "N0CALL")
	users, states := gormstore.NewUserService(db.DB), gormstore.NewSyncStateService(db.DB)
	i := 0 // callsigns stay unique across the benchmark's repeated runs
	b.Run("CreateUser", func(b *testing.B) {
		for b.Loop() {
			i++
			if _, err := users.CreateUser(ctx, fmt.Sprintf("N%dB", i), []byte("hash")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PutCredentials", func(b *testing.B) {
		for b.Loop() {
			if err := states.PutCredentials(ctx, u.ID, awardtracker.SourceLoTW, []byte("sealed")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
