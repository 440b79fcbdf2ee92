package cache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// counterNames are the metrics compared in text; the histogram is compared
// separately because its text is long.
var counterNames = []string{
	"awardtracker_cache_hits_total",
	"awardtracker_cache_misses_total",
	"awardtracker_cache_coalesced_total",
	"awardtracker_cache_stale_writes_dropped_total",
	"awardtracker_cache_loads_total",
	"awardtracker_cache_evictions_total",
	"awardtracker_cache_invalidations_total",
	"awardtracker_cache_items",
}

const metricsHeader = `
# HELP awardtracker_cache_coalesced_total Misses served by a load that another caller started.
# TYPE awardtracker_cache_coalesced_total counter
# HELP awardtracker_cache_evictions_total Items removed because their TTL ran out (invalidations are not counted).
# TYPE awardtracker_cache_evictions_total counter
# HELP awardtracker_cache_hits_total Cache lookups answered from the cache.
# TYPE awardtracker_cache_hits_total counter
# HELP awardtracker_cache_invalidations_total Invalidate and InvalidateAll calls, by reason (import, sync, delete, manual, other).
# TYPE awardtracker_cache_invalidations_total counter
# HELP awardtracker_cache_items Items in the cache, including expired ones not swept yet.
# TYPE awardtracker_cache_items gauge
# HELP awardtracker_cache_loads_total Loads from the backing service, by outcome (success, error).
# TYPE awardtracker_cache_loads_total counter
# HELP awardtracker_cache_misses_total Cache lookups not answered from the cache: each waited for a load, its own or another caller's.
# TYPE awardtracker_cache_misses_total counter
# HELP awardtracker_cache_stale_writes_dropped_total Loads whose value was not cached because an invalidation happened while they ran.
# TYPE awardtracker_cache_stale_writes_dropped_total counter
`

func TestMetrics_Initialised(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	newTestCache[int]("stats", testTTL, m)
	newTestCache[int]("award", 0, m)

	var want strings.Builder
	want.WriteString(metricsHeader)
	for _, name := range []string{"award", "stats"} {
		for _, metric := range counterNames {
			switch metric {
			case "awardtracker_cache_loads_total":
				want.WriteString(metric + `{cache="` + name + `",outcome="error"} 0` + "\n")
				want.WriteString(metric + `{cache="` + name + `",outcome="success"} 0` + "\n")
			case "awardtracker_cache_invalidations_total":
				for _, reason := range reasons {
					want.WriteString(metric + `{cache="` + name + `",reason="` + reason + `"} 0` + "\n")
				}
			default:
				want.WriteString(metric + `{cache="` + name + `"} 0` + "\n")
			}
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want.String()), counterNames...); err != nil {
		t.Error(err)
	}
	if got := testutil.CollectAndCount(m, "awardtracker_cache_load_duration_seconds"); got != 2 {
		t.Errorf("load duration series = %d, want 2", got)
	}
	// Nothing beyond these: lookups are hits plus misses, so a requests
	// counter would say the same thing twice.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	wantNames := append(slices.Clone(counterNames), "awardtracker_cache_load_duration_seconds")
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("metrics: got %v, want %v", names, wantNames)
	}
}

// TestMetrics_Script runs a known sequence on both caches and compares every
// series, and checks that Stats reports the same numbers.
func TestMetrics_Script(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		reg := prometheus.NewPedanticRegistry()
		m := NewMetrics(reg)
		stats := newTestCache[string]("stats", testTTL, m)
		award := newTestCache[int]("award", testTTL, m)

		// stats: a slow miss, two hits, a failed load, two invalidations
		// (one with an unknown reason), a fast miss.
		stats.Get(ctx, "1", func(context.Context) (string, error) { time.Sleep(250 * time.Millisecond); return "a", nil })
		stats.Get(ctx, "1", nil)
		stats.Get(ctx, "1", nil)
		stats.Get(ctx, "2", func(context.Context) (string, error) {
			time.Sleep(500 * time.Millisecond)
			return "", errors.New("database is locked")
		})
		stats.Invalidate("1", ReasonImport)
		stats.Invalidate("1", Reason(200)) // not one of the constants: counted as other
		stats.Get(ctx, "3", func(context.Context) (string, error) { return "c", nil })

		// award: a miss that expires and is swept, a coalesced load that
		// an invalidation overtakes, InvalidateAll, a miss.
		award.Get(ctx, "1", func(context.Context) (int, error) { time.Sleep(125 * time.Millisecond); return 1, nil })
		time.Sleep(testTTL + time.Nanosecond)
		award.items.DeleteExpired()
		release := make(chan struct{})
		block := func(context.Context) (int, error) { <-release; return 2, nil }
		leader := make(chan int)
		go func() { v, _ := award.Get(ctx, "2", block); leader <- v }()
		synctest.Wait()
		go func() { v, _ := award.Get(ctx, "2", block); leader <- v }()
		synctest.Wait()
		award.Invalidate("2", ReasonDelete)
		close(release)
		<-leader
		<-leader
		award.InvalidateAll(ReasonManual)
		award.Get(ctx, "1", func(context.Context) (int, error) { return 1, nil })

		want := metricsHeader + `
awardtracker_cache_coalesced_total{cache="award"} 1
awardtracker_cache_coalesced_total{cache="stats"} 0
awardtracker_cache_evictions_total{cache="award"} 1
awardtracker_cache_evictions_total{cache="stats"} 0
awardtracker_cache_hits_total{cache="award"} 0
awardtracker_cache_hits_total{cache="stats"} 2
awardtracker_cache_invalidations_total{cache="award",reason="delete"} 1
awardtracker_cache_invalidations_total{cache="award",reason="import"} 0
awardtracker_cache_invalidations_total{cache="award",reason="manual"} 1
awardtracker_cache_invalidations_total{cache="award",reason="other"} 0
awardtracker_cache_invalidations_total{cache="award",reason="reconnect"} 0
awardtracker_cache_invalidations_total{cache="award",reason="sync"} 0
awardtracker_cache_invalidations_total{cache="stats",reason="delete"} 0
awardtracker_cache_invalidations_total{cache="stats",reason="import"} 1
awardtracker_cache_invalidations_total{cache="stats",reason="manual"} 0
awardtracker_cache_invalidations_total{cache="stats",reason="other"} 1
awardtracker_cache_invalidations_total{cache="stats",reason="reconnect"} 0
awardtracker_cache_invalidations_total{cache="stats",reason="sync"} 0
awardtracker_cache_items{cache="award"} 1
awardtracker_cache_items{cache="stats"} 1
awardtracker_cache_loads_total{cache="award",outcome="error"} 0
awardtracker_cache_loads_total{cache="award",outcome="success"} 3
awardtracker_cache_loads_total{cache="stats",outcome="error"} 1
awardtracker_cache_loads_total{cache="stats",outcome="success"} 2
awardtracker_cache_misses_total{cache="award"} 4
awardtracker_cache_misses_total{cache="stats"} 3
awardtracker_cache_stale_writes_dropped_total{cache="award"} 1
awardtracker_cache_stale_writes_dropped_total{cache="stats"} 0
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), counterNames...); err != nil {
			t.Error(err)
		}

		// Load times by the fake clock: stats 0.25, 0.5, 0; award 0.125, 0, 0.
		wantHist := `
# HELP awardtracker_cache_load_duration_seconds Time a load from the backing service took, failed ones included.
# TYPE awardtracker_cache_load_duration_seconds histogram
` + histText("award", 0.125, 0, 0) + histText("stats", 0.25, 0.5, 0)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(wantHist), "awardtracker_cache_load_duration_seconds"); err != nil {
			t.Error(err)
		}

		// stats' item expired while award's did; it is counted until swept.
		checkCounters(t, stats.Counters(), Counters{Size: 1, Expired: 1, Hits: 2, Misses: 3, Invalidations: 2, Loads: 3, LoadErrors: 1})
		checkCounters(t, award.Counters(), Counters{Size: 1, Valid: 1, Misses: 4, Invalidations: 2, Evictions: 1, Coalesced: 1, StaleWritesDropped: 1, Loads: 3})
	})
}

// histText is the text of the load-duration histogram of cache after the
// observations obs.
func histText(cache string, obs ...float64) string {
	var b strings.Builder
	line := func(suffix, labels string, v float64) {
		fmt.Fprintf(&b, "awardtracker_cache_load_duration_seconds%s{cache=%q%s} %g\n", suffix, cache, labels, v)
	}
	var sum float64
	for _, o := range obs {
		sum += o
	}
	for _, le := range append(loadBuckets, math.Inf(1)) {
		n := 0
		for _, o := range obs {
			if o <= le {
				n++
			}
		}
		line("_bucket", fmt.Sprintf(",le=%q", strconv.FormatFloat(le, 'g', -1, 64)), float64(n))
	}
	line("_sum", "", sum)
	line("_count", "", float64(len(obs)))
	return b.String()
}

func TestMetrics_Lint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	c := newTestCache[int]("stats", testTTL, m)
	newTestCache[int]("award", testTTL, m)
	c.Get(context.Background(), "1", func(context.Context) (int, error) { return 1, nil })
	c.Invalidate("1", ReasonSync)

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestNewMetrics_Twice(t *testing.T) {
	reg := prometheus.NewRegistry()
	NewMetrics(reg)
	defer func() {
		if recover() == nil {
			t.Error("second NewMetrics on one registry did not panic")
		}
	}()
	NewMetrics(reg)
}
