package perf

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const metricName = "awardtracker_db_query_duration_seconds"

// fakeClock is the injected clock: a tracked fn "takes" time by advancing it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 21, 6, 37, 58, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// track runs one Track per duration, each fn taking that long on clk.
func track(t *testing.T, tr *Tracker, clk *fakeClock, name string, ds ...time.Duration) {
	t.Helper()
	for _, d := range ds {
		err := tr.Track(context.Background(), name, func(context.Context) error {
			clk.Advance(d)
			return nil
		})
		if err != nil {
			t.Fatalf("Track(%q) = %v, want nil", name, err)
		}
	}
}

// repeat returns n copies of d.
func repeat(d time.Duration, n int) []time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		ds[i] = d
	}
	return ds
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// histograms returns, per query label, the histogram's sample count and the
// cumulative counts of its 0.1 s and 0.5 s buckets, as /metrics shows them.
type histogram struct{ count, le100ms, le500ms uint64 }

func gatherHistograms(t *testing.T, reg prometheus.Gatherer) map[string]histogram {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	got := map[string]histogram{}
	for _, mf := range mfs {
		if mf.GetName() != metricName {
			continue
		}
		for _, m := range mf.GetMetric() {
			var query string
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "query" {
					query = lp.GetValue()
				}
			}
			h := histogram{count: m.GetHistogram().GetSampleCount()}
			for _, b := range m.GetHistogram().GetBucket() {
				switch b.GetUpperBound() {
				case 0.1:
					h.le100ms = b.GetCumulativeCount()
				case 0.5:
					h.le500ms = b.GetCumulativeCount()
				}
			}
			got[query] = h
		}
	}
	return got
}

// checkAgreement fails unless Summary matches the histogram: equal counts
// per query, and slow/critical equal to the samples above the 0.1 and 0.5
// buckets.
func checkAgreement(t *testing.T, tr *Tracker, reg prometheus.Gatherer) {
	t.Helper()
	hists := gatherHistograms(t, reg)
	s := tr.Summary()
	var total uint64
	for _, h := range hists {
		total += h.count
	}
	if uint64(s.TotalQueries) != total {
		t.Errorf("Summary().TotalQueries = %d, histogram counts sum to %d", s.TotalQueries, total)
	}
	for _, qs := range s.Queries {
		h, ok := hists[qs.Query]
		if !ok {
			t.Errorf("query %q in Summary has no series in /metrics", qs.Query)
			continue
		}
		if got, want := uint64(qs.Count), h.count; got != want {
			t.Errorf("%s: Count = %d, histogram count %d", qs.Query, got, want)
		}
		if got, want := uint64(qs.Slow), h.count-h.le100ms; got != want {
			t.Errorf("%s: Slow = %d, histogram count above 0.1 = %d", qs.Query, got, want)
		}
		if got, want := uint64(qs.Critical), h.count-h.le500ms; got != want {
			t.Errorf("%s: Critical = %d, histogram count above 0.5 = %d", qs.Query, got, want)
		}
	}
}

func TestNew_Defaults(t *testing.T) {
	tr := New(nil, Options{})
	if tr.window != 1000 || tr.maxQueries != 64 || tr.baselineAfter != 1000 || tr.now == nil {
		t.Errorf("defaults: window %d, maxQueries %d, baselineAfter %d, now set %t; want 1000, 64, 1000, true",
			tr.window, tr.maxQueries, tr.baselineAfter, tr.now != nil)
	}

	tests := []struct {
		opts             Options
		window, baseline int
	}{
		{Options{Window: 5}, 20, 20},
		{Options{Window: 50, BaselineAfter: 3}, 50, 20},
		{Options{Window: 50, BaselineAfter: 500}, 50, 50},
		{Options{Window: 50, BaselineAfter: 30}, 50, 30},
		{Options{Window: -1, BaselineAfter: -1}, 1000, 1000},
	}
	for _, tt := range tests {
		tr := New(nil, tt.opts)
		if tr.window != tt.window || tr.baselineAfter != tt.baseline {
			t.Errorf("New(%+v): window %d, baselineAfter %d; want %d, %d",
				tt.opts, tr.window, tr.baselineAfter, tt.window, tt.baseline)
		}
	}
}

func TestNew_DuplicateRegistrationPanics(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg, Options{})
	defer func() {
		if recover() == nil {
			t.Error("second New on the same registry did not panic")
		}
	}()
	New(reg, Options{})
}

func TestTrack(t *testing.T) {
	t.Run("RecordsDuration", func(t *testing.T) {
		clk := newFakeClock()
		tr := New(nil, Options{Now: clk.Now})
		track(t, tr, clk, "list_qsos", ms(3), ms(5))
		s, ok := tr.Stats("list_qsos")
		if !ok || s.Count != 2 || s.Total != ms(8) || s.Min != ms(3) || s.Max != ms(5) {
			t.Errorf("Stats = %+v, %t; want Count 2, Total 8ms, Min 3ms, Max 5ms", s, ok)
		}
	})

	t.Run("ReturnsErrorAndRecords", func(t *testing.T) {
		clk := newFakeClock()
		tr := New(nil, Options{Now: clk.Now})
		errBoom := errors.New("boom")
		err := tr.Track(context.Background(), "list_qsos", func(context.Context) error {
			clk.Advance(ms(7))
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("Track = %v, want %v", err, errBoom)
		}
		if s, _ := tr.Stats("list_qsos"); s.Count != 1 || s.Total != ms(7) {
			t.Errorf("Stats = %+v; want Count 1, Total 7ms", s)
		}
	})

	t.Run("RecordsPanic", func(t *testing.T) {
		clk := newFakeClock()
		tr := New(nil, Options{Now: clk.Now})
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want boom", r)
				}
			}()
			_ = tr.Track(context.Background(), "list_qsos", func(context.Context) error {
				clk.Advance(ms(9))
				panic("boom")
			})
		}()
		if s, _ := tr.Stats("list_qsos"); s.Count != 1 || s.Total != ms(9) {
			t.Errorf("Stats = %+v; want Count 1, Total 9ms", s)
		}
	})

	t.Run("PassesContextUnnamed", func(t *testing.T) {
		tr := New(nil, Options{})
		type key struct{}
		ctx := context.WithValue(context.Background(), key{}, "v")
		_ = tr.Track(ctx, "list_qsos", func(ctx context.Context) error {
			if got := ctx.Value(key{}); got != "v" {
				t.Errorf("fn got ctx value %v, want v", got)
			}
			if name, ok := QueryFrom(ctx); ok {
				t.Errorf("QueryFrom inside Track = %q, true; want no name (it would double count)", name)
			}
			return nil
		})
	})
}

func TestObserve_NegativeIsZero(t *testing.T) {
	tr := New(nil, Options{})
	tr.Observe("list_qsos", -time.Second)
	if s, _ := tr.Stats("list_qsos"); s.Count != 1 || s.Total != 0 || s.Min != 0 || s.Max != 0 {
		t.Errorf("Stats = %+v; want Count 1 and zero durations", s)
	}
}

func TestQueryContext(t *testing.T) {
	tests := []struct {
		ctx    context.Context
		name   string
		wantOK bool
	}{
		{context.Background(), "", false},
		{WithQuery(context.Background(), ""), "", false},
		{WithQuery(context.Background(), "qso_stats"), "qso_stats", true},
		{WithQuery(WithQuery(context.Background(), "outer"), "inner"), "inner", true},
	}
	for i, tt := range tests {
		name, ok := QueryFrom(tt.ctx)
		if name != tt.name || ok != tt.wantOK {
			t.Errorf("%d: QueryFrom = %q, %t; want %q, %t", i, name, ok, tt.name, tt.wantOK)
		}
	}
}

func TestObserve_Names(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"list_qsos", "list_qsos"},
		{"a", "a"},
		{"dxcc_2025_v2", "dxcc_2025_v2"},
		{"other", "other"},
		{"", "other"},
		{"ListQSOs", "other"},
		{"1st_query", "other"},
		{"_private", "other"},
		{"list-qsos", "other"},
		{"list qsos", "other"},
		{"SELECT * FROM qsos WHERE callsign = 'DL1ABC'", "other"},
		{"select_from_qsos;drop", "other"},
		{"grüße", "other"},
		{strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{strings.Repeat("a", 65), "other"},
	}
	for _, tt := range tests {
		reg := prometheus.NewRegistry()
		tr := New(reg, Options{})
		tr.Observe(tt.name, ms(1))
		if s, ok := tr.Stats(tt.want); !ok || s.Count != 1 {
			t.Errorf("Observe(%q): Stats(%q) = %+v, %t; want Count 1", tt.name, tt.want, s, ok)
		}
		if got := tr.Summary().Queries; len(got) != 1 || got[0].Query != tt.want {
			t.Errorf("Observe(%q): Summary().Queries = %+v; want only %q", tt.name, got, tt.want)
		}
		checkAgreement(t, tr, reg)
	}
}

func TestObserve_MaxQueries(t *testing.T) {
	reg := prometheus.NewRegistry()
	tr := New(reg, Options{MaxQueries: 3})
	for i := range 10 {
		tr.Observe(fmt.Sprintf("query_%d", i), ms(1))
	}
	tr.Observe("query_0", ms(1)) // known names keep their own series
	tr.Observe("Not Valid", ms(1))

	// 3 names plus "other", however many names come.
	n, err := testutil.GatherAndCount(reg, metricName)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("series = %d, want 4", n)
	}
	want := map[string]int64{"query_0": 2, "query_1": 1, "query_2": 1, "other": 8}
	got := map[string]int64{}
	for _, qs := range tr.Summary().Queries {
		got[qs.Query] = qs.Count
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	if _, ok := tr.Stats("query_5"); ok {
		t.Error("Stats(query_5) found, want folded into other")
	}
	checkAgreement(t, tr, reg)
}

func TestMetrics_Histogram(t *testing.T) {
	reg := prometheus.NewRegistry()
	tr := New(reg, Options{})
	// On the boundaries: 100 ms is not slow and sits in le="0.1"; one
	// nanosecond more is slow. Likewise at 500 ms.
	for _, d := range []time.Duration{50 * time.Microsecond, ms(100), ms(100) + 1, ms(500), ms(500) + 1} {
		tr.Observe("list_qsos", d)
	}
	tr.Observe("Bad Name", ms(2))

	want := `
# HELP awardtracker_db_query_duration_seconds Duration of database queries by query name; unknown, invalid and surplus names are counted as other.
# TYPE awardtracker_db_query_duration_seconds histogram
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.0001"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.00025"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.0005"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.001"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.0025"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.005"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.01"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.025"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.05"} 1
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.1"} 2
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.25"} 3
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="0.5"} 4
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="1"} 5
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="2.5"} 5
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="5"} 5
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="10"} 5
awardtracker_db_query_duration_seconds_bucket{query="list_qsos",le="+Inf"} 5
awardtracker_db_query_duration_seconds_sum{query="list_qsos"} 1.200050002
awardtracker_db_query_duration_seconds_count{query="list_qsos"} 5
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.0001"} 0
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.00025"} 0
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.0005"} 0
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.001"} 0
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.0025"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.005"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.01"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.025"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.05"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.1"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.25"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="0.5"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="1"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="2.5"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="5"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="10"} 1
awardtracker_db_query_duration_seconds_bucket{query="other",le="+Inf"} 1
awardtracker_db_query_duration_seconds_sum{query="other"} 0.002
awardtracker_db_query_duration_seconds_count{query="other"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), metricName); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(tr.hist, strings.NewReader(want), metricName); err != nil {
		t.Error(err)
	}

	s, _ := tr.Stats("list_qsos")
	if s.Slow != 3 || s.Critical != 1 {
		t.Errorf("Slow, Critical = %d, %d; want 3, 1", s.Slow, s.Critical)
	}
	checkAgreement(t, tr, reg)
}

func TestMetrics_OtherExportedFromStart(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg, Options{})
	if n, err := testutil.GatherAndCount(reg, metricName); err != nil || n != 1 {
		t.Errorf("series before any query = %d, %v; want 1 (other)", n, err)
	}
}

func TestMetrics_NativeHistogram(t *testing.T) {
	reg := prometheus.NewRegistry()
	tr := New(reg, Options{})
	tr.Observe("list_qsos", ms(3))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			if h.GetSampleCount() == 0 {
				continue
			}
			// Factor 1.1 is schema 3 (2^(2^-3) ≈ 1.09).
			if h.Schema == nil || h.GetSchema() != 3 || len(h.GetPositiveSpan()) == 0 {
				t.Errorf("native part: schema %v, spans %v; want schema 3 and a span", h.Schema, h.GetPositiveSpan())
			}
			if len(h.GetBucket()) != len(buckets) {
				t.Errorf("classic buckets = %d, want %d", len(h.GetBucket()), len(buckets))
			}
		}
	}
}

func TestMetrics_Lint(t *testing.T) {
	reg := prometheus.NewRegistry()
	tr := New(reg, Options{})
	tr.Observe("list_qsos", ms(3))
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestTracker_Concurrent(t *testing.T) {
	const (
		writers = 8
		each    = 2000
	)
	reg := prometheus.NewRegistry()
	tr := New(reg, Options{Window: 50, MaxQueries: 2})
	names := []string{"list_qsos", "qso_stats", "award_progress", "Bad Name"}

	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, qs := range tr.Summary().Queries {
					if qs.Min > qs.Max || qs.P50 > qs.P99 || qs.Count <= 0 {
						t.Errorf("inconsistent stats while writing: %+v", qs)
					}
				}
				tr.Degraded()
				tr.Slow(SlowThreshold)
				tr.Stats("list_qsos")
			}
		}()
	}

	var writersWG sync.WaitGroup
	for w := range writers {
		writersWG.Add(1)
		go func() {
			defer writersWG.Done()
			for i := range each {
				tr.Observe(names[(w+i)%len(names)], time.Duration(i%700)*time.Millisecond)
			}
		}()
	}
	writersWG.Wait()
	close(done)
	readers.Wait()

	s := tr.Summary()
	if s.TotalQueries != writers*each {
		t.Errorf("TotalQueries = %d, want %d", s.TotalQueries, writers*each)
	}
	if n, _ := testutil.GatherAndCount(reg, metricName); n != 3 {
		t.Errorf("series = %d, want 3 (2 names and other)", n)
	}
	for _, qs := range s.Queries {
		if qs.Min != 0 || qs.Max != 699*time.Millisecond {
			t.Errorf("%s: Min, Max = %v, %v; want 0s, 699ms", qs.Query, qs.Min, qs.Max)
		}
	}
	checkAgreement(t, tr, reg)
}

func TestObserve_DoesNotAllocate(t *testing.T) {
	tr := New(nil, Options{MaxQueries: 1})
	tr.Observe("list_qsos", ms(2))
	tr.Observe("full_now", ms(2)) // folds: the map is full
	tr.Observe("Bad Name", ms(2))
	for _, name := range []string{"list_qsos", "full_now", "Bad Name"} {
		if n := testing.AllocsPerRun(100, func() { tr.Observe(name, ms(2)) }); n != 0 {
			t.Errorf("Observe(%q) allocates %v times, want 0", name, n)
		}
	}
}
