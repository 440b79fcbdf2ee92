package cache

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Most tests run in a synctest bubble: time.Now is a fake clock that moves
// only when every goroutine of the bubble is blocked, and synctest.Wait
// returns once they all are, so "every caller is waiting on the load" and
// "the TTL has passed" are exact states, not timing guesses. Caches made in a
// bubble get no janitor (its ticker would keep the bubble alive); tests sweep
// with DeleteExpired, which is all the janitor does.

const testTTL = 5 * time.Minute

func newTestCache[V any](name string, ttl time.Duration, m *Metrics, opts ...Option) *Cache[V] {
	return New[V](name, ttl, m, append([]Option{withCleanupInterval(0)}, opts...)...)
}

// loader counts its calls and returns what it is told.
type loader[V any] struct {
	calls atomic.Int32
	v     V
	err   error
}

func (l *loader[V]) load(context.Context) (V, error) {
	l.calls.Add(1)
	return l.v, l.err
}

// checkCounters compares the counters of got with want, ignoring Name and TTL.
func checkCounters(t *testing.T, got, want Counters) {
	t.Helper()
	got.Name, got.TTL = "", 0
	if got != want {
		t.Errorf("Counters() = %+v, want %+v", got, want)
	}
}

func TestCache_Get(t *testing.T) {
	ctx := context.Background()

	t.Run("HitAndMiss", func(t *testing.T) {
		c := newTestCache[string]("stats", testTTL, nil)
		l := &loader[string]{v: "a"}
		for range 3 {
			got, err := c.Get(ctx, "1", l.load)
			if err != nil || got != "a" {
				t.Fatalf("Get = %q, %v, want a, nil", got, err)
			}
		}
		if _, err := c.Get(ctx, "2", l.load); err != nil {
			t.Fatal(err)
		}
		if got := l.calls.Load(); got != 2 {
			t.Errorf("loads = %d, want 2", got)
		}
		checkCounters(t, c.Counters(), Counters{Size: 2, Valid: 2, Hits: 2, Misses: 2, Loads: 2})
	})

	t.Run("ErrorNotCached", func(t *testing.T) {
		c := newTestCache[string]("stats", testTTL, nil)
		errDB := errors.New("database is locked")
		l := &loader[string]{err: errDB}
		for range 2 {
			if _, err := c.Get(ctx, "1", l.load); !errors.Is(err, errDB) {
				t.Fatalf("Get error = %v, want %v", err, errDB)
			}
		}
		l.err, l.v = nil, "a"
		if got, err := c.Get(ctx, "1", l.load); err != nil || got != "a" {
			t.Fatalf("Get = %q, %v, want a, nil", got, err)
		}
		if got := l.calls.Load(); got != 3 {
			t.Errorf("loads = %d, want 3", got)
		}
		checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Misses: 3, Loads: 3, LoadErrors: 2})
	})

	t.Run("Disabled", func(t *testing.T) {
		c := newTestCache[string]("stats", 0, nil)
		l := &loader[string]{v: "a"}
		for range 3 {
			if got, err := c.Get(ctx, "1", l.load); err != nil || got != "a" {
				t.Fatalf("Get = %q, %v, want a, nil", got, err)
			}
		}
		if got := l.calls.Load(); got != 3 {
			t.Errorf("loads = %d, want 3", got)
		}
		checkCounters(t, c.Counters(), Counters{Misses: 3, Loads: 3})
	})

	t.Run("DisabledUsesCallerContext", func(t *testing.T) {
		c := newTestCache[string]("stats", -1, nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Get(cctx, "1", func(ctx context.Context) (string, error) { return "", ctx.Err() })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Get error = %v, want %v", err, context.Canceled)
		}
	})

	t.Run("LoaderPanics", func(t *testing.T) {
		c := newTestCache[string]("stats", testTTL, nil)
		errBug := errors.New("bug")
		func() {
			defer func() {
				r := recover()
				err, ok := r.(error)
				if !ok || !errors.Is(err, errBug) {
					t.Errorf("recovered %v, want an error wrapping %v", r, errBug)
				}
			}()
			c.Get(ctx, "1", func(context.Context) (string, error) { panic(errBug) })
			t.Error("Get returned, want a panic")
		}()
		// The key is not stuck and nothing was cached.
		if got, err := c.Get(ctx, "1", (&loader[string]{v: "a"}).load); err != nil || got != "a" {
			t.Fatalf("Get after panic = %q, %v, want a, nil", got, err)
		}
		checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Misses: 2, Loads: 2, LoadErrors: 1})
	})
}

func TestCache_Expiry(t *testing.T) {
	t.Run("GetAfterTTL", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCache[string]("stats", testTTL, nil)
			l := &loader[string]{v: "a"}
			c.Get(t.Context(), "1", l.load)

			time.Sleep(testTTL) // exactly at the TTL the item is still valid
			c.Get(t.Context(), "1", l.load)
			checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Hits: 1, Misses: 1, Loads: 1})

			time.Sleep(time.Nanosecond)
			checkCounters(t, c.Counters(), Counters{Size: 1, Expired: 1, Hits: 1, Misses: 1, Loads: 1})

			// The reload replaces the expired item, which counts as evicted.
			l.v = "b"
			if got, _ := c.Get(t.Context(), "1", l.load); got != "b" {
				t.Errorf("Get after TTL = %q, want b", got)
			}
			checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Hits: 1, Misses: 2, Loads: 2, Evictions: 1})
		})
	})

	t.Run("Sweep", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCache[string]("stats", testTTL, nil)
			l := &loader[string]{v: "a"}
			c.Get(t.Context(), "1", l.load)
			time.Sleep(testTTL / 2)
			c.Get(t.Context(), "2", l.load)
			time.Sleep(testTTL/2 + time.Nanosecond)

			c.items.DeleteExpired() // what the janitor does
			checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Misses: 2, Loads: 2, Evictions: 1})
		})
	})

	t.Run("InvalidationIsNotEviction", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCache[string]("stats", testTTL, nil)
			l := &loader[string]{v: "a"}
			c.Get(t.Context(), "1", l.load)
			c.Get(t.Context(), "2", l.load)
			c.Invalidate("1", ReasonImport)
			checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Misses: 2, Loads: 2, Invalidations: 1})

			// An item that had expired before the invalidation did expire.
			time.Sleep(testTTL + time.Nanosecond)
			c.Invalidate("2", ReasonImport)
			checkCounters(t, c.Counters(), Counters{Misses: 2, Loads: 2, Invalidations: 2, Evictions: 1})
		})
	})

	// The one test with the real janitor and the real clock: it waits for
	// the sweep with a generous deadline and asserts no duration.
	t.Run("Janitor", func(t *testing.T) {
		c := New[string]("stats", time.Millisecond, nil, withCleanupInterval(time.Millisecond))
		c.Get(t.Context(), "1", (&loader[string]{v: "a"}).load)
		waitFor(t, func() bool { s := c.Counters(); return s.Evictions == 1 && s.Size == 0 })
	})
}

// waitFor polls cond until it holds; for the real janitor and the garbage
// collector only, which no test can drive.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("condition not met after a minute")
		}
	}
}

// blockingLoader returns v once release is closed, and records the context
// it was called with.
type blockingLoader struct {
	calls   atomic.Int32
	release chan struct{}
	v       string
	ctxErr  error // the loader's ctx.Err() after release
}

func newBlockingLoader(v string) *blockingLoader {
	return &blockingLoader{release: make(chan struct{}), v: v}
}

func (l *blockingLoader) load(ctx context.Context) (string, error) {
	l.calls.Add(1)
	<-l.release
	l.ctxErr = ctx.Err()
	return l.v, nil
}

type result struct {
	v   string
	err error
}

// goGet runs Get in a goroutine and returns where its result will arrive.
func goGet(ctx context.Context, c *Cache[string], key string, load func(context.Context) (string, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		v, err := c.Get(ctx, key, load)
		ch <- result{v, err}
	}()
	return ch
}

func TestCache_Stampede(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 50
		c := newTestCache[string]("stats", testTTL, nil)
		l := newBlockingLoader("a")
		var results []<-chan result
		for range n {
			results = append(results, goGet(t.Context(), c, "1", l.load))
		}
		synctest.Wait() // every caller has missed and is waiting
		checkCounters(t, c.Counters(), Counters{Misses: n})

		close(l.release)
		for _, ch := range results {
			if r := <-ch; r.err != nil || r.v != "a" {
				t.Errorf("Get = %q, %v, want a, nil", r.v, r.err)
			}
		}
		if got := l.calls.Load(); got != 1 {
			t.Errorf("loads = %d, want 1", got)
		}
		checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Misses: n, Loads: 1, Coalesced: n - 1})
	})
}

func TestCache_InvalidateDuringLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTestCache[string]("stats", testTTL, nil)
		old := newBlockingLoader("old")
		first := goGet(t.Context(), c, "1", old.load)
		synctest.Wait()

		c.Invalidate("1", ReasonSync)
		// A Get after the invalidation must not join the load that started
		// before it.
		fresh := newBlockingLoader("new")
		second := goGet(t.Context(), c, "1", fresh.load)
		synctest.Wait()
		if got := fresh.calls.Load(); got != 1 {
			t.Fatalf("loads after invalidation = %d, want 1", got)
		}

		close(old.release)
		if r := <-first; r.v != "old" || r.err != nil {
			t.Errorf("first Get = %q, %v, want old, nil", r.v, r.err)
		}
		checkCounters(t, c.Counters(), Counters{Misses: 2, Loads: 1, Invalidations: 1, StaleWritesDropped: 1})

		close(fresh.release)
		if r := <-second; r.v != "new" || r.err != nil {
			t.Errorf("second Get = %q, %v, want new, nil", r.v, r.err)
		}
		l := &loader[string]{v: "unused"}
		if got, _ := c.Get(t.Context(), "1", l.load); got != "new" {
			t.Errorf("Get after both loads = %q, want new", got)
		}
		checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Hits: 1, Misses: 2, Loads: 2, Invalidations: 1, StaleWritesDropped: 1})
	})
}

func TestCache_InvalidateAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTestCache[string]("award", testTTL, nil)
		l := &loader[string]{v: "a"}
		c.Get(t.Context(), "1", l.load)
		c.Get(t.Context(), "2", l.load)
		c.Invalidate("3", ReasonDelete) // a per-key generation that InvalidateAll resets
		inflight := newBlockingLoader("old")
		res := goGet(t.Context(), c, "3", inflight.load)
		synctest.Wait()

		c.InvalidateAll(ReasonManual)
		close(inflight.release)
		if r := <-res; r.v != "old" {
			t.Errorf("in-flight Get = %q, want old", r.v)
		}
		checkCounters(t, c.Counters(), Counters{Misses: 3, Loads: 3, Invalidations: 2, StaleWritesDropped: 1})

		l.v = "b"
		for _, key := range []string{"1", "2", "3"} {
			if got, _ := c.Get(t.Context(), key, l.load); got != "b" {
				t.Errorf("Get(%s) after InvalidateAll = %q, want b", key, got)
			}
		}
		checkCounters(t, c.Counters(), Counters{Size: 3, Valid: 3, Misses: 6, Loads: 6, Invalidations: 2, StaleWritesDropped: 1})
	})
}

func TestCache_Cancellation(t *testing.T) {
	t.Run("LeaderCancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCache[string]("stats", testTTL, nil)
			l := newBlockingLoader("a")
			lctx, cancel := context.WithCancel(t.Context())
			leader := goGet(lctx, c, "1", l.load)
			synctest.Wait()
			waiter := goGet(t.Context(), c, "1", l.load)
			synctest.Wait()

			cancel()
			if r := <-leader; !errors.Is(r.err, context.Canceled) {
				t.Errorf("cancelled Get error = %v, want %v", r.err, context.Canceled)
			}
			close(l.release)
			if r := <-waiter; r.v != "a" || r.err != nil {
				t.Errorf("waiting Get = %q, %v, want a, nil", r.v, r.err)
			}
			if l.ctxErr != nil {
				t.Errorf("loader ctx.Err() = %v, want nil", l.ctxErr)
			}
			// The load finished for nobody in particular, and was cached.
			if got, _ := c.Get(t.Context(), "1", (&loader[string]{v: "unused"}).load); got != "a" {
				t.Errorf("Get after load = %q, want a", got)
			}
			checkCounters(t, c.Counters(), Counters{Size: 1, Valid: 1, Hits: 1, Misses: 2, Loads: 1, Coalesced: 1})
		})
	})

	t.Run("WaiterDeadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCache[string]("stats", testTTL, nil)
			l := newBlockingLoader("a")
			leader := goGet(t.Context(), c, "1", l.load)
			synctest.Wait()
			wctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			waiter := goGet(wctx, c, "1", l.load)

			if r := <-waiter; !errors.Is(r.err, context.DeadlineExceeded) {
				t.Errorf("waiter error = %v, want %v", r.err, context.DeadlineExceeded)
			}
			close(l.release)
			if r := <-leader; r.v != "a" || r.err != nil {
				t.Errorf("leader Get = %q, %v, want a, nil", r.v, r.err)
			}
		})
	})

	t.Run("LoadTimeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCache[string]("stats", testTTL, nil, WithLoadTimeout(time.Second))
			hang := func(ctx context.Context) (string, error) {
				<-ctx.Done()
				return "", fmt.Errorf("query: %w", ctx.Err())
			}
			start := time.Now()
			if _, err := c.Get(t.Context(), "1", hang); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Get error = %v, want %v", err, context.DeadlineExceeded)
			}
			if got := time.Since(start); got != time.Second {
				t.Errorf("load ran for %v (fake clock), want 1s", got)
			}
			checkCounters(t, c.Counters(), Counters{Misses: 1, Loads: 1, LoadErrors: 1})
		})
	})
}

func TestCache_Stats(t *testing.T) {
	c := newTestCache[int]("award", testTTL, nil)
	s := c.Counters()
	if s.Name != "award" || s.TTL != testTTL || c.Name() != "award" {
		t.Errorf("Counters() Name, TTL = %q, %v, Name() = %q, want award, %v, award", s.Name, s.TTL, c.Name(), testTTL)
	}
	if got := s.HitRatio(); got != 0 {
		t.Errorf("HitRatio() before any lookup = %v, want 0", got)
	}
	if got := (Counters{Hits: 3, Misses: 1}).HitRatio(); got != 0.75 {
		t.Errorf("HitRatio() = %v, want 0.75", got)
	}
	if got := newTestCache[int]("stats", -time.Second, nil).Counters().TTL; got != 0 {
		t.Errorf("TTL of a disabled cache = %v, want 0", got)
	}
}

func TestCache_ConcurrentUse(t *testing.T) {
	// For the race detector: lookups, loads and invalidations of a few keys
	// at once, checked only for consistency.
	m := NewMetrics(nil)
	c := New[int]("stats", testTTL, m)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				key := fmt.Sprint(i % 5)
				switch {
				case g == 0 && i%50 == 0:
					c.InvalidateAll(ReasonManual)
				case g < 3 && i%7 == 0:
					c.Invalidate(key, ReasonSync)
				default:
					v, err := c.Get(context.Background(), key, func(context.Context) (int, error) { return i % 5, nil })
					if err != nil || fmt.Sprint(v) != key {
						t.Errorf("Get(%s) = %d, %v", key, v, err)
					}
				}
			}
		})
	}
	wg.Wait()
	s := c.Counters()
	if s.Hits+s.Misses == 0 || s.Loads+s.Coalesced != s.Misses || s.Size > 5 {
		t.Errorf("inconsistent Counters() = %+v", s)
	}
}

func TestNew_DuplicateName(t *testing.T) {
	m := NewMetrics(nil)
	New[int]("stats", testTTL, m, withCleanupInterval(0))
	defer func() {
		if recover() == nil {
			t.Error("second New with the same name did not panic")
		}
	}()
	New[string]("stats", testTTL, m, withCleanupInterval(0))
}

// go-cache stops its janitor from a finalizer of the *gocache.Cache; if the
// eviction callback (held by the janitor goroutine) reached it, the janitor
// would run forever.
func TestCache_JanitorDoesNotPinCache(t *testing.T) {
	collected := make(chan struct{})
	func() {
		c := New[string]("stats", time.Hour, nil, withCleanupInterval(time.Hour))
		runtime.AddCleanup(c.items, func(ch chan struct{}) { close(ch) }, collected)
	}()
	waitFor(t, func() bool {
		runtime.GC()
		select {
		case <-collected:
			return true
		default:
			return false
		}
	})
}
