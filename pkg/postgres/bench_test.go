package postgres_test

import (
	"context"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
)

// The storage benchmarks of package sqlite, on PostgreSQL, so that one run
// compares the engines (go test -bench . ./pkg/sqlite ./pkg/postgres).

func BenchmarkStats(b *testing.B) {
	storetest.BenchStats(b, mustOpen, func(b *testing.B, db *gormstore.DB) {
		if _, err := db.SQLDB().ExecContext(context.Background(), "VACUUM ANALYZE qsos"); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkImport(b *testing.B) { storetest.BenchImport(b, mustOpen) }

func BenchmarkConfirm(b *testing.B) { storetest.BenchConfirm(b, mustOpen) }
