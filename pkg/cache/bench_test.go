package cache

import (
	"context"
	"strconv"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/prometheus/client_golang/prometheus"
)

// The benchmarks run with metrics registered, as in production.

func BenchmarkGetHit(b *testing.B) {
	c := New[*awardtracker.Stats]("stats", testTTL, NewMetrics(prometheus.NewRegistry()))
	load := func(context.Context) (*awardtracker.Stats, error) { return &awardtracker.Stats{}, nil }
	ctx := context.Background()
	c.Get(ctx, "12345", load)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, "12345", load); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	c := New[*awardtracker.Stats]("stats", testTTL, NewMetrics(prometheus.NewRegistry()))
	load := func(context.Context) (*awardtracker.Stats, error) { return &awardtracker.Stats{}, nil }
	ctx := context.Background()
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = strconv.Itoa(1000 + i)
		c.Get(ctx, keys[i], load)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.Get(ctx, keys[i%len(keys)], load); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkStatsServiceHit(b *testing.B) {
	c := New[*awardtracker.Stats]("stats", testTTL, NewMetrics(prometheus.NewRegistry()))
	s := NewStatsService(&fakeStats{}, c)
	ctx := context.Background()
	const user = 1234567 // long enough that strconv.FormatInt would allocate
	s.Stats(ctx, user)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Stats(ctx, user); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAwardServiceHit(b *testing.B) {
	c := New[[]awardtracker.AwardProgress]("award", testTTL, NewMetrics(prometheus.NewRegistry()))
	s := NewAwardService(&fakeAwards{}, c)
	ctx := context.Background()
	const user = 1234567
	s.Awards(ctx, user)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Awards(ctx, user); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetMiss is the cache's own cost around a load that does nothing:
// an invalidation and a miss per iteration.
func BenchmarkGetMiss(b *testing.B) {
	c := New[*awardtracker.Stats]("stats", testTTL, NewMetrics(prometheus.NewRegistry()))
	v := &awardtracker.Stats{}
	load := func(context.Context) (*awardtracker.Stats, error) { return v, nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.Invalidate("12345", ReasonSync)
		if _, err := c.Get(ctx, "12345", load); err != nil {
			b.Fatal(err)
		}
	}
}
