package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
)

// BenchmarkStats, BenchmarkImport and BenchmarkConfirm are the storage
// benchmarks package postgres runs too (storetest).
func BenchmarkStats(b *testing.B) {
	storetest.BenchStats(b, func(t testing.TB) *gormstore.DB { return mustOpen(t).DB })
}

func BenchmarkImport(b *testing.B) {
	storetest.BenchImport(b, func(t testing.TB) *gormstore.DB { return mustOpen(t).DB })
}

func BenchmarkConfirm(b *testing.B) {
	storetest.BenchConfirm(b, func(t testing.TB) *gormstore.DB { return mustOpen(t).DB })
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
