package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// The same benchmarks as package sqlite's, on PostgreSQL, so that one run
// compares the engines (go test -bench . ./pkg/sqlite ./pkg/postgres).

// BenchmarkStats measures a stats cache miss: the SQL aggregates for one
// user, at several log sizes.
func BenchmarkStats(b *testing.B) {
	for _, n := range []int{1_000, 20_000, 100_000} {
		b.Run(fmt.Sprintf("qsos=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := mustOpen(b)
			u, err := gormstore.NewUserService(db).CreateUser(ctx, "N0CALL", []byte("hash"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := gormstore.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
				demo.QSOs(demo.Options{QSOs: n, Years: 30}), awardtracker.ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			// As autovacuum would soon after a large import: planner
			// statistics, and the visibility map that index-only scans need.
			if _, err := db.SQLDB().ExecContext(ctx, "VACUUM ANALYZE qsos"); err != nil {
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

// BenchmarkImport measures importing a generated log into an empty database.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	const n = 20_000
	for b.Loop() {
		b.StopTimer()
		db := mustOpen(b)
		u, err := gormstore.NewUserService(db).CreateUser(ctx, "N0CALL", []byte("hash"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := gormstore.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog,
			demo.QSOs(demo.Options{QSOs: n, Years: 30}), awardtracker.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
