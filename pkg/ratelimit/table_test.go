package ratelimit

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/time/rate"
)

// testShard is one shard of limit entries, buckets of 1 token a second and
// a burst of 2.
func testShard(limit int, ttl time.Duration) (*shard, *tableMetrics) {
	m := &tableMetrics{
		clients:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "c"}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{Name: "e"}),
	}
	return &shard{entries: map[key]*entry{}, limit: limit, idleTTL: ttl, metrics: m}, m
}

func bucket() *rate.Limiter { return rate.NewLimiter(1, 2) }

func k(b byte) key { return key{15: b} }

// order lists the shard's keys most recently used first, checking that the
// list and the map agree.
func order(t *testing.T, s *shard) []byte {
	t.Helper()
	var got []byte
	var prev *entry
	for e := s.head; e != nil; e = e.next {
		if e.prev != prev {
			t.Fatalf("entry %d: prev link broken", e.key[15])
		}
		if s.entries[e.key] != e {
			t.Fatalf("entry %d: not in the map", e.key[15])
		}
		got = append(got, e.key[15])
		prev = e
	}
	if s.tail != prev || len(got) != len(s.entries) {
		t.Fatalf("list of %d ending at %p, map of %d with tail %p", len(got), prev, len(s.entries), s.tail)
	}
	return got
}

func TestShard_Get(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	t.Run("LRUOrder", func(t *testing.T) {
		s, _ := testShard(10, time.Hour)
		for _, b := range []byte{1, 2, 3, 2, 1, 4} {
			s.get(k(b), t0, bucket)
		}
		if got, want := string(order(t, s)), string([]byte{4, 1, 2, 3}); got != want {
			t.Fatalf("order %v, want %v", []byte(got), []byte(want))
		}
	})

	t.Run("IdleRefilledForgotten", func(t *testing.T) {
		s, m := testShard(10, time.Minute)
		for b := range byte(5) {
			s.get(k(b), t0, bucket).AllowN(t0, 1)
		}
		// Past the TTL and refilled: each miss drops up to two from the tail.
		t1 := t0.Add(2 * time.Minute)
		s.get(k(100), t1, bucket)
		if got, want := string(order(t, s)), string([]byte{100, 4, 3, 2}); got != want {
			t.Fatalf("order %v, want %v", []byte(got), []byte(want))
		}
		if got := testutil.ToFloat64(m.clients); got != 4 {
			t.Errorf("clients gauge %v, want 4", got)
		}
		// A hit does no expiring.
		s.get(k(100), t1, bucket)
		if got := len(s.entries); got != 4 {
			t.Errorf("%d entries after a hit, want 4", got)
		}
		if got := testutil.ToFloat64(m.evictions); got != 0 {
			t.Errorf("evictions %v, want 0", got)
		}
	})

	t.Run("IdleNotRefilledKept", func(t *testing.T) {
		s, _ := testShard(10, time.Minute)
		slow := func() *rate.Limiter { return rate.NewLimiter(rate.Every(time.Hour), 1) }
		s.get(k(1), t0, slow).AllowN(t0, 1)
		s.get(k(2), t0.Add(30*time.Minute), slow)
		if got, want := string(order(t, s)), string([]byte{2, 1}); got != want {
			t.Fatalf("order %v, want %v: an empty bucket was forgotten after the TTL", []byte(got), []byte(want))
		}
	})

	t.Run("FullReusesRefilled", func(t *testing.T) {
		s, m := testShard(2, time.Hour)
		s.get(k(1), t0, bucket).AllowN(t0, 2)
		s.get(k(2), t0, bucket).AllowN(t0, 2)
		t1 := t0.Add(2 * time.Second) // both refilled, neither idle
		lim := s.get(k(3), t1, bucket)
		if got, want := string(order(t, s)), string([]byte{3, 2}); got != want {
			t.Fatalf("order %v, want %v", []byte(got), []byte(want))
		}
		if !lim.AllowN(t1, 2) {
			t.Errorf("the reused bucket did not give the whole burst")
		}
		if got := testutil.ToFloat64(m.evictions); got != 0 {
			t.Errorf("evictions %v, want 0", got)
		}
		if got := testutil.ToFloat64(m.clients); got != 2 {
			t.Errorf("clients gauge %v, want 2", got)
		}
	})

	t.Run("FullEvictsLeastRecent", func(t *testing.T) {
		s, m := testShard(2, time.Hour)
		s.get(k(1), t0, bucket).AllowN(t0, 2)
		s.get(k(2), t0, bucket).AllowN(t0, 2)
		s.get(k(1), t0, bucket)
		lim := s.get(k(3), t0, bucket)
		if got, want := string(order(t, s)), string([]byte{3, 1}); got != want {
			t.Fatalf("order %v, want %v", []byte(got), []byte(want))
		}
		if !lim.AllowN(t0, 2) {
			t.Errorf("a new client did not get the whole burst")
		}
		if got := testutil.ToFloat64(m.evictions); got != 1 {
			t.Errorf("evictions %v, want 1", got)
		}
	})
}

func TestNewTable(t *testing.T) {
	for _, tc := range []struct{ max, shards, perShard int }{
		{1, 1, 1},
		{3, 2, 1},
		{100, 64, 1},
		{100_000, 64, 1562},
	} {
		tb := newTable(tc.max, time.Minute, tableMetrics{})
		if len(tb.shards) != tc.shards || tb.perShard != tc.perShard || len(tb.shards)*tb.perShard > tc.max {
			t.Errorf("max %d: %d shards of %d, want %d of %d", tc.max, len(tb.shards), tb.perShard, tc.shards, tc.perShard)
		}
	}
}
