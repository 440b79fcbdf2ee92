package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/gormstore/storetest"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// The storage benchmarks of package sqlite, on PostgreSQL, so that one run
// compares the engines (go test -bench . ./pkg/sqlite ./pkg/postgres).

func BenchmarkStats(b *testing.B) { storetest.BenchStats(b, mustOpen) }

func BenchmarkImport(b *testing.B) { storetest.BenchImport(b, mustOpen) }

func BenchmarkConfirm(b *testing.B) { storetest.BenchConfirm(b, mustOpen) }

// BenchmarkInvalidationLag measures what awardtracker_cache_invalidation_lag_seconds
// does: from the commit of an import on replica A (the time A stamps into
// its notification) to replica B dropping the user's caches, over loopback.
// Each iteration is one import of one new QSO on A; B's drops are waited
// for one by one. It reports the median and the 99th percentile.
func BenchmarkInvalidationLag(b *testing.B) {
	dsn := pgtest.NewDatabase(b)
	var stampedMu sync.Mutex
	var stamped []time.Time
	a := newReplicaWith(b, dsn, nil, func() time.Time {
		now := time.Now()
		stampedMu.Lock()
		stamped = append(stamped, now)
		stampedMu.Unlock()
		return now
	})
	r := newReplicaWith(b, dsn, nil, nil)
	user := newUser(b, a.db, "N0LAG")
	lags := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		a.importLog(b, user, qsoAt(i))
		at := r.wantDropAt(b, fmt.Sprintf("user %d import", user))
		stampedMu.Lock()
		lags = append(lags, at.Sub(stamped[len(stamped)-1]))
		stampedMu.Unlock()
	}
	slices.Sort(lags)
	q := func(p float64) float64 { return lags[int(p*float64(len(lags)-1))].Seconds() * 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
