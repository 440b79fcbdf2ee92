package perf

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// work is the call being tracked. It is a variable so that neither the
// tracked nor the untracked benchmark can inline it away.
var work = func(context.Context) error { return nil }

// durations spreads observations over several buckets, classic and native.
var durations = func() [64]time.Duration {
	var ds [64]time.Duration
	for i := range ds {
		ds[i] = time.Duration(50+i*i*40) * time.Microsecond // 50 µs .. 159 ms
	}
	return ds
}()

func newBenchTracker() *Tracker {
	tr := New(prometheus.NewRegistry(), Options{})
	for _, d := range durations { // create the series and native buckets first
		tr.Observe("list_qsos", d)
	}
	return tr
}

func BenchmarkUntracked(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = work(ctx)
	}
}

func BenchmarkTrack(b *testing.B) {
	tr := newBenchTracker()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.Track(ctx, "list_qsos", work)
	}
}

func BenchmarkObserve(b *testing.B) {
	tr := newBenchTracker()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tr.Observe("list_qsos", durations[i%len(durations)])
		i++
	}
}

// BenchmarkObserve_Other is the cost of a name that folds (invalid, or the
// map is full): a failed lookup plus the name check.
func BenchmarkObserve_Other(b *testing.B) {
	tr := newBenchTracker()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tr.Observe("SELECT * FROM qsos", durations[i%len(durations)])
		i++
	}
}

func BenchmarkUntracked_Parallel(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = work(ctx)
		}
	})
}

func BenchmarkTrack_Parallel(b *testing.B) {
	tr := newBenchTracker()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = tr.Track(ctx, "list_qsos", work)
		}
	})
}

// BenchmarkObserve_Parallel has every goroutine on one query: the worst
// case, as they share its counters (and the histogram's).
func BenchmarkObserve_Parallel(b *testing.B) {
	tr := newBenchTracker()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			tr.Observe("list_qsos", durations[i%len(durations)])
			i++
		}
	})
}

// BenchmarkObserve_ParallelQueries gives each goroutine its own query, which
// is the point of per-query state: no shared lock, no shared cache line.
func BenchmarkObserve_ParallelQueries(b *testing.B) {
	tr := newBenchTracker()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		name := fmt.Sprintf("query_%d", next.Add(1))
		i := 0
		for pb.Next() {
			tr.Observe(name, durations[i%len(durations)])
			i++
		}
	})
}

// BenchmarkSummary is the read side with MaxQueries full windows: what one
// /api/health request costs.
func BenchmarkSummary(b *testing.B) {
	tr := New(prometheus.NewRegistry(), Options{})
	for q := range 64 {
		name := fmt.Sprintf("query_%d", q)
		for i := range 1000 {
			tr.Observe(name, durations[(i*7+q)%len(durations)])
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		tr.Summary()
	}
}
