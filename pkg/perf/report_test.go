package perf

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestRating(t *testing.T) {
	tests := []struct {
		avg  time.Duration
		want string
	}{
		{0, "EXCELLENT"},
		{ms(3.28), "EXCELLENT"},
		{ms(10) - 1, "EXCELLENT"},
		{ms(10), "GOOD"},
		{ms(100) - 1, "GOOD"},
		{ms(100), "SLOW"},
		{ms(500) - 1, "SLOW"},
		{ms(500), "CRITICAL"},
		{time.Hour, "CRITICAL"},
	}
	for _, tt := range tests {
		if got := Rating(tt.avg); got != tt.want {
			t.Errorf("Rating(%v) = %s, want %s", tt.avg, got, tt.want)
		}
	}
}

// seq returns 1..n as nanoseconds.
func seq(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i + 1)
	}
	return s
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		sorted        []int64
		p50, p95, p99 time.Duration
	}{
		{nil, 0, 0, 0},
		{[]int64{5}, 5, 5, 5},
		{[]int64{1, 2}, 1, 2, 2},
		{seq(10), 5, 10, 10},
		{seq(20), 10, 19, 20}, // the 20th sample, a lone blip, is not the P95
		{seq(100), 50, 95, 99},
		{seq(1000), 500, 950, 990},
		{seq(101), 51, 96, 100},
	}
	for _, tt := range tests {
		p50, p95, p99 := percentile(tt.sorted, 50), percentile(tt.sorted, 95), percentile(tt.sorted, 99)
		if p50 != tt.p50 || p95 != tt.p95 || p99 != tt.p99 {
			t.Errorf("percentiles of %d samples = %d, %d, %d; want %d, %d, %d",
				len(tt.sorted), p50, p95, p99, tt.p50, tt.p95, tt.p99)
		}
	}
}

func TestTracker_Stats(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		clk := newFakeClock()
		tr := New(nil, Options{Window: 20, Now: clk.Now})
		// 1..25 ms in a shuffled order; the window keeps the last 20 taken.
		order := []int{13, 2, 25, 7, 19, 1, 22, 10, 16, 4, 24, 8, 11, 20, 3, 17, 6, 23, 14, 9, 21, 5, 18, 12, 15}
		var ds []time.Duration
		for _, n := range order {
			ds = append(ds, ms(float64(n)))
		}
		track(t, tr, clk, "list_qsos", ds...)

		var window []int64
		for _, d := range ds[5:] {
			window = append(window, int64(d))
		}
		slices.Sort(window)
		got, ok := tr.Stats("list_qsos")
		want := QueryStats{
			Query: "list_qsos", Count: 25, Total: ms(325), Avg: ms(13), Min: ms(1), Max: ms(25),
			P50: time.Duration(window[9]), P95: time.Duration(window[18]), P99: time.Duration(window[19]),
			Rating: "GOOD",
		}
		if !ok || got != want {
			t.Errorf("Stats =\n%+v, %t\nwant\n%+v, true", got, ok, want)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		tr := New(nil, Options{})
		tr.Observe("list_qsos", ms(1))
		for _, name := range []string{"qso_stats", "other", "Bad Name"} {
			if got, ok := tr.Stats(name); ok {
				t.Errorf("Stats(%q) = %+v, true; want false", name, got)
			}
		}
	})
}

func TestTracker_Summary(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		s := New(nil, Options{}).Summary()
		if s.TotalQueries != 0 || s.Avg != 0 || s.Rating != "EXCELLENT" ||
			s.TopSlowest == nil || len(s.TopSlowest) != 0 || s.Queries == nil || len(s.Queries) != 0 {
			t.Errorf("Summary = %+v; want zeros, EXCELLENT and empty (not nil) lists", s)
		}
	})

	t.Run("OK", func(t *testing.T) {
		clk := newFakeClock()
		tr := New(nil, Options{Now: clk.Now})
		avgs := map[string]time.Duration{
			"a_q": ms(1), "b_q": ms(600), "c_q": ms(20), "d_q": ms(150), "e_q": ms(5), "f_q": ms(2),
		}
		for name, d := range avgs {
			track(t, tr, clk, name, d, d)
		}
		s := tr.Summary()

		var names []string
		for _, qs := range s.Queries {
			names = append(names, qs.Query)
		}
		if got, want := fmt.Sprint(names), "[a_q b_q c_q d_q e_q f_q]"; got != want {
			t.Errorf("Queries = %s, want %s", got, want)
		}
		var top []string
		for _, qs := range s.TopSlowest {
			top = append(top, qs.Query)
		}
		if got, want := fmt.Sprint(top), "[b_q d_q c_q e_q f_q]"; got != want {
			t.Errorf("TopSlowest = %s, want %s", got, want)
		}
		total := 2 * (ms(1) + ms(600) + ms(20) + ms(150) + ms(5) + ms(2))
		if s.TotalQueries != 12 || s.TotalTime != total || s.Avg != total/12 ||
			s.SlowQueries != 4 || s.CriticalQueries != 2 || s.Rating != "SLOW" {
			t.Errorf("Summary = {Total %d, Time %v, Avg %v, Slow %d, Critical %d, Rating %s}; "+
				"want {12, %v, %v, 4, 2, SLOW}",
				s.TotalQueries, s.TotalTime, s.Avg, s.SlowQueries, s.CriticalQueries, s.Rating, total, total/12)
		}
		if got := s.TopSlowest[0]; got.Rating != "CRITICAL" || got.P95 != ms(600) {
			t.Errorf("TopSlowest[0] = %+v; want Rating CRITICAL, P95 600ms", got)
		}
	})
}

func TestTracker_Slow(t *testing.T) {
	clk := newFakeClock()
	tr := New(nil, Options{Now: clk.Now})
	track(t, tr, clk, "fast", repeat(ms(1), 30)...)
	track(t, tr, clk, "blip", append(repeat(ms(1), 29), ms(900))...) // one blip in 30 is not the P95
	track(t, tr, clk, "at_threshold", repeat(ms(100), 30)...)        // strictly above only
	track(t, tr, clk, "slow", repeat(ms(150), 30)...)
	track(t, tr, clk, "slower", repeat(ms(300), 30)...)
	track(t, tr, clk, "mostly_slow", append(repeat(ms(1), 25), repeat(ms(200), 5)...)...) // 5 of 30 reach the P95
	track(t, tr, clk, "new_query", ms(200))                                               // P95 of one sample is that sample

	var got []string
	for _, qs := range tr.Slow(SlowThreshold) {
		got = append(got, fmt.Sprintf("%s=%v", qs.Query, qs.P95))
	}
	if g, w := fmt.Sprint(got), "[slower=300ms mostly_slow=200ms new_query=200ms slow=150ms]"; g != w {
		t.Errorf("Slow(100ms) = %s, want %s", g, w)
	}
	if got := tr.Slow(time.Second); len(got) != 0 {
		t.Errorf("Slow(1s) = %+v, want none", got)
	}
	if got := New(nil, Options{}).Slow(0); len(got) != 0 {
		t.Errorf("Slow on an empty Tracker = %+v, want none", got)
	}
}

func TestTracker_Degraded(t *testing.T) {
	// Window 20, baseline 20: a query is judged from its 40th sample on.
	type series struct {
		name string
		ds   []time.Duration
	}
	concat := func(parts ...[]time.Duration) []time.Duration { return slices.Concat(parts...) }
	tests := []struct {
		name   string
		opts   Options
		series []series
		want   string
	}{
		{"NoSamples", Options{}, nil, "[]"},
		{"TooFewSamples", Options{}, []series{
			{"list_qsos", concat(repeat(ms(1), 20), repeat(ms(50), 19))}, // 39 samples
			{"three", []time.Duration{ms(1), ms(10), ms(100)}},
		}, "[]"},
		{"BaselineIncomplete", Options{}, []series{
			{"list_qsos", concat(repeat(ms(1), 10), repeat(ms(50), 29))},
		}, "[]"},
		{"Steady", Options{}, []series{
			{"list_qsos", repeat(ms(4), 200)},
		}, "[]"},
		{"SingleBlip", Options{}, []series{
			{"list_qsos", concat(repeat(ms(1), 30), []time.Duration{ms(800)}, repeat(ms(1), 19))},
		}, "[]"},
		{"JustUnderTwice", Options{}, []series{
			{"list_qsos", concat(repeat(ms(10), 20), repeat(ms(19.999), 20))},
		}, "[]"},
		{"ExactlyTwice", Options{}, []series{
			{"list_qsos", concat(repeat(ms(10), 20), repeat(ms(20), 20))},
		}, "[{list_qsos 10ms 20ms 2}]"},
		{"Recovered", Options{}, []series{
			{"list_qsos", concat(repeat(ms(1), 20), repeat(ms(5), 20), repeat(ms(1), 20))},
		}, "[]"},
		{"ZeroBaselineNotJudged", Options{}, []series{
			{"list_qsos", concat(repeat(0, 20), repeat(ms(5), 20))},
		}, "[]"},
		{"BaselineIsFrozen", Options{}, []series{
			// A creep to 1.5 ms and then 3 ms is judged against the first 1 ms.
			{"list_qsos", concat(repeat(ms(1), 20), repeat(ms(1.5), 100), repeat(ms(3), 20))},
		}, "[{list_qsos 1ms 3ms 3}]"},
		{"HighestFactorFirst", Options{}, []series{
			{"a_q", concat(repeat(ms(2), 20), repeat(ms(5), 20))},
			{"b_q", concat(repeat(ms(1), 20), repeat(ms(8), 20))},
			{"c_q", concat(repeat(ms(1), 20), repeat(ms(1), 20))},
		}, "[{b_q 1ms 8ms 8} {a_q 2ms 5ms 2.5}]"},
		{"BaselineAfterRaisedTo20", Options{BaselineAfter: 3}, []series{
			{"list_qsos", concat(repeat(ms(1), 20), repeat(ms(5), 19))},
		}, "[]"},
		{"SmallerBaseline", Options{BaselineAfter: 25, Window: 40}, []series{
			// Judged from 65 samples: 25 baseline + a window of 40.
			{"list_qsos", concat(repeat(ms(1), 25), repeat(ms(4), 40))},
			{"not_yet", concat(repeat(ms(1), 25), repeat(ms(4), 39))},
		}, "[{list_qsos 1ms 4ms 4}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			opts := tt.opts
			opts.Now = clk.Now
			if opts.Window == 0 {
				opts.Window = 20
			}
			tr := New(nil, opts)
			for _, s := range tt.series {
				track(t, tr, clk, s.name, s.ds...)
			}
			got := fmt.Sprint(tr.Degraded())
			if got != tt.want {
				t.Errorf("Degraded() = %s, want %s", got, tt.want)
			}
			// Recent is the P95 that Stats reports.
			for _, d := range tr.Degraded() {
				if s, _ := tr.Stats(d.Query); s.P95 != d.Recent {
					t.Errorf("%s: Recent %v, Stats P95 %v; want equal", d.Query, d.Recent, s.P95)
				}
			}
		})
	}
}
