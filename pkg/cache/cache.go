// Package cache puts a TTL cache in front of the statistics and award
// services. go-cache holds the values, singleflight collapses concurrent misses
// for one key into a single load, and a generation counter keeps a load that
// raced with an invalidation from writing its stale value back. Every lookup,
// load, invalidation and expiry is counted; the counts are exported as
// Prometheus metrics and returned by Counters for the health endpoint.
//
// The caches are decorators of the domain services: StatsService and
// AwardService cache reads, and QSOService, wrapped around the storage's,
// invalidates a user's entries after every import, sync and delete that goes
// through it, so that no caller has to remember to. Caches gives the
// operator endpoints the counters and a manual invalidation.
//
// It keeps nothing across restarts and shares no values between processes.
// In a fleet, Caches, as an awardtracker.CacheDropper, applies the other
// replicas' invalidations (package postgres carries them over
// LISTEN/NOTIFY). It does not copy values: what Get returns is shared by every caller and must
// be treated as read-only.
package cache

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// DefaultLoadTimeout bounds a load when no WithLoadTimeout option is given.
const DefaultLoadTimeout = 30 * time.Second

// Reason says why entries were invalidated: the bounded values of the
// invalidations' reason label. It is a number rather than a string so that
// no caller can make up a reason; the label values are in reasons.
type Reason uint8

// The invalidation reasons. Writes through QSOService pick the first three
// themselves; ReasonManual is what Caches' operator methods use.
const (
	ReasonImport Reason = iota // an import wrote QSOs
	ReasonSync                 // a LoTW or DCL sync wrote QSOs
	ReasonDelete               // a QSO was deleted
	ReasonManual               // an operator asked for it
	// ReasonReconnect drops everything after the listening connection of
	// a fleet's invalidations was lost: what was missed is unknown.
	ReasonReconnect
	reasonOther // a Reason value outside the constants above
)

// reasons is indexed by Reason; expiry is not a reason here because it is
// counted as an eviction. "other" stays a label value, always zero unless a
// Reason is converted from an unknown number, so that the series set is the
// same as when reasons were strings.
var reasons = [...]string{ReasonImport: "import", ReasonSync: "sync", ReasonDelete: "delete", ReasonManual: "manual",
	ReasonReconnect: "reconnect", reasonOther: "other"}

// parseReason returns the Reason whose label value is s, reasonOther for
// any other string (a newer replica's reason, say).
func parseReason(s string) Reason {
	for i, r := range reasons {
		if r == s {
			return Reason(i)
		}
	}
	return reasonOther
}

// String returns the reason's label value.
func (r Reason) String() string { return reasons[r.index()] }

func (r Reason) index() int { return int(min(r, reasonOther)) }

// counters are the only state the go-cache eviction callback may touch: the
// janitor goroutine holds that callback, so whatever it reaches can never be
// finalised, and go-cache stops its janitor from a finalizer.
type counters struct {
	hits          atomic.Uint64
	misses        atomic.Uint64
	coalesced     atomic.Uint64
	staleWrites   atomic.Uint64
	loadsOK       atomic.Uint64
	loadsErr      atomic.Uint64
	evictions     atomic.Uint64
	invalidations [len(reasons)]atomic.Uint64
}

// entry is what go-cache stores. A pointer, so that a hit does not allocate
// whatever V is, and so that an invalidation can mark the very item it deletes.
type entry[V any] struct {
	v V
	// removed is set before the cache itself deletes a live item: go-cache
	// calls OnEvicted for Delete too (go-cache#57), and only expiries are
	// evictions.
	removed atomic.Bool
}

// generation identifies the state of one key: the global generation moves on
// InvalidateAll, the key's on Invalidate. A load may store its value only if
// the generation it started under is still current.
type generation struct{ all, key uint64 }

// Cache is a TTL cache of V by string key, safe for concurrent use.
type Cache[V any] struct {
	name        string
	ttl         time.Duration
	loadTimeout time.Duration
	items       *gocache.Cache
	group       singleflight.Group
	ctr         *counters
	loadTime    prometheus.Observer // nil without Metrics

	// mu orders stores against invalidations; the hit path never takes it.
	mu     sync.Mutex
	genAll uint64
	// genKey holds a counter for every key invalidated since the last
	// InvalidateAll; a counter is never deleted on its own (a reset to 0
	// could make an old snapshot current again).
	genKey map[string]uint64
}

// Option configures a Cache.
type Option func(*options)

type options struct {
	loadTimeout     time.Duration
	cleanupInterval time.Duration
}

// WithLoadTimeout bounds every load (DefaultLoadTimeout otherwise; d <= 0:
// no bound). Loads run detached from their caller's context, so without a
// bound a hung backend would hold its key until an invalidation.
func WithLoadTimeout(d time.Duration) Option {
	return func(o *options) { o.loadTimeout = d }
}

// withCleanupInterval sets how often go-cache's janitor sweeps expired items
// (d <= 0: never; tests sweep by hand).
func withCleanupInterval(d time.Duration) Option {
	return func(o *options) { o.cleanupInterval = d }
}

// cleanupInterval sweeps twice per TTL, but at most once a second and at
// least once a minute: expired items are already invisible to Get, the
// sweep only frees their memory.
func cleanupInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/2, time.Second), time.Minute)
}

// New returns a cache named name ("stats" or "award": the value of the
// metrics' cache label) whose values live for ttl. ttl <= 0 disables caching:
// every Get calls its loader, and is counted as a miss. m may be nil (no
// metrics); New panics if m already has a cache of that name.
//
// go-cache sweeps expired items in a goroutine that it stops from a
// finalizer once the cache is unreachable; there is no Close.
func New[V any](name string, ttl time.Duration, m *Metrics, opts ...Option) *Cache[V] {
	o := options{loadTimeout: DefaultLoadTimeout, cleanupInterval: cleanupInterval(ttl)}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Cache[V]{
		name:        name,
		ttl:         ttl,
		loadTimeout: o.loadTimeout,
		ctr:         new(counters),
		genKey:      make(map[string]uint64),
	}
	if ttl > 0 {
		c.items = gocache.New(ttl, o.cleanupInterval)
	} else {
		c.items = gocache.New(gocache.NoExpiration, 0)
	}
	ctr := c.ctr
	c.items.OnEvicted(func(_ string, x any) {
		if e, ok := x.(*entry[V]); ok && !e.removed.Load() {
			ctr.evictions.Add(1)
		}
	})
	if m != nil {
		c.loadTime = m.add(name, c)
	}
	return c
}

// Name returns the cache's name.
func (c *Cache[V]) Name() string { return c.name }

// Get returns the value cached under key, or calls load to get it and caches
// the result for the TTL. Concurrent misses for a key share one load, which
// runs detached from the callers' contexts (bounded by the load timeout), so
// that one caller giving up does not fail the others; each caller still
// returns ctx.Err() as soon as its own ctx is done. Errors are returned as
// load returned them and are never cached. A load that was overtaken by an
// invalidation returns its value to its callers but does not cache it.
//
// If load panics, every caller waiting on it panics with an error that holds
// the panic value and the loader's stack.
func (c *Cache[V]) Get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	if v, ok := c.lookup(key); ok {
		return v, nil
	}
	return c.miss(ctx, key, load)
}

// lookup is the hit path, split from miss so that callers can build their
// key and loader closure only when they need them (a closure passed to Get
// escapes, so it would be allocated on every hit).
func (c *Cache[V]) lookup(key string) (V, bool) {
	if x, ok := c.items.Get(key); ok {
		c.ctr.hits.Add(1)
		return x.(*entry[V]).v, true
	}
	var zero V
	return zero, false
}

func (c *Cache[V]) miss(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	c.ctr.misses.Add(1)
	if c.ttl <= 0 {
		start := time.Now()
		v, err := load(ctx)
		c.observeLoad(start, err)
		return v, err
	}

	gen, flightKey := c.snapshot(key)
	loaded := false // written only by this caller's func, read after DoChan delivered
	ch := c.group.DoChan(flightKey, func() (any, error) {
		// A caller that missed just before the previous load stored its
		// value can start a flight after that one left the group: the
		// stored value is current (an invalidation would have deleted it).
		if x, ok := c.items.Get(key); ok {
			return x, nil
		}
		loaded = true
		return c.loadAndStore(ctx, key, gen, load)
	})
	var zero V
	select {
	case r := <-ch:
		if !loaded {
			c.ctr.coalesced.Add(1)
		}
		if r.Err != nil {
			if pe, ok := r.Err.(*panicError); ok {
				panic(pe)
			}
			return zero, r.Err
		}
		return r.Val.(*entry[V]).v, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// snapshot returns the key's generation and the singleflight key for it. The
// generation is part of the singleflight key so that a Get that starts after
// an invalidation never joins a load that started before it: Forget would do
// that for one key, but singleflight has no Forget for InvalidateAll.
func (c *Cache[V]) snapshot(key string) (generation, string) {
	c.mu.Lock()
	g := generation{all: c.genAll, key: c.genKey[key]}
	c.mu.Unlock()
	return g, key + "\x00" + strconv.FormatUint(g.all, 36) + "\x00" + strconv.FormatUint(g.key, 36)
}

func (c *Cache[V]) loadAndStore(ctx context.Context, key string, gen generation, load func(context.Context) (V, error)) (any, error) {
	// The leader's context is whichever caller came first; its
	// cancellation must not fail everybody waiting (authzed/spicedb#925).
	ctx = context.WithoutCancel(ctx)
	if c.loadTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.loadTimeout)
		defer cancel()
	}
	start := time.Now()
	v, err := callLoad(ctx, load)
	c.observeLoad(start, err)
	if err != nil {
		return nil, err
	}

	e := &entry[V]{v: v}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.genAll != gen.all || c.genKey[key] != gen.key {
		c.ctr.staleWrites.Add(1)
		return e, nil
	}
	// Delete before Set: go-cache skips OnEvicted when Set overwrites an
	// expired item that was not swept yet (go-cache#48), and that expiry
	// should be counted like any other.
	c.removeLocked(key)
	c.items.SetDefault(key, e)
	return e, nil
}

// callLoad turns a panic into an error: singleflight's DoChan would re-panic
// it in a goroutine of its own, where nothing can recover it, and a buggy
// loader would take the process down instead of failing its requests.
func callLoad[V any](ctx context.Context, load func(context.Context) (V, error)) (v V, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return load(ctx)
}

// panicError carries a loader's panic to every caller waiting on the load.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string {
	return fmt.Sprintf("cache: loader panicked: %v\n\n%s", p.value, p.stack)
}

// Unwrap returns the panic value if it is an error.
func (p *panicError) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

func (c *Cache[V]) observeLoad(start time.Time, err error) {
	if c.loadTime != nil {
		c.loadTime.Observe(time.Since(start).Seconds())
	}
	if err != nil {
		c.ctr.loadsErr.Add(1)
	} else {
		c.ctr.loadsOK.Add(1)
	}
}

// removeLocked deletes key's item. A live item is marked first so that the
// eviction callback does not count it; an item that had expired but was not
// swept yet is counted, as the janitor would have counted it.
func (c *Cache[V]) removeLocked(key string) {
	if x, ok := c.items.Get(key); ok {
		x.(*entry[V]).removed.Store(true)
	}
	c.items.Delete(key)
}

// Invalidate drops key's value. A load of key that is in flight keeps its
// value for its own callers but does not cache it, and the next Get starts a
// new load.
func (c *Cache[V]) Invalidate(key string, reason Reason) {
	c.mu.Lock()
	c.genKey[key]++
	c.removeLocked(key)
	c.mu.Unlock()
	c.ctr.invalidations[reason.index()].Add(1)
}

// InvalidateAll drops every value, as Invalidate does for one key. It counts
// as one invalidation.
func (c *Cache[V]) InvalidateAll(reason Reason) {
	c.mu.Lock()
	c.genAll++
	// No snapshot of the old global generation can match again, so the
	// per-key counters can start over.
	c.genKey = make(map[string]uint64)
	// Flush calls no OnEvicted; sweeping first counts the expired items as
	// the janitor would have.
	c.items.DeleteExpired()
	c.items.Flush()
	c.mu.Unlock()
	c.ctr.invalidations[reason.index()].Add(1)
}

// Counters is a snapshot of a cache's contents and counters, the domain's
// CacheCounters. The counters are the values of the cache's metrics. (Not
// "Stats": that is the domain's word for a user's QSO statistics, which one
// of these caches holds.)
type Counters = awardtracker.CacheCounters

// Counters returns the cache's current numbers. It copies the item map to
// count valid items: meant for the health endpoint, not for hot paths.
func (c *Cache[V]) Counters() Counters {
	size := c.items.ItemCount()
	valid := min(len(c.items.Items()), size)
	s := Counters{
		Name:               c.name,
		Size:               size,
		Valid:              valid,
		Expired:            size - valid,
		Hits:               c.ctr.hits.Load(),
		Misses:             c.ctr.misses.Load(),
		Evictions:          c.ctr.evictions.Load(),
		Coalesced:          c.ctr.coalesced.Load(),
		StaleWritesDropped: c.ctr.staleWrites.Load(),
		TTL:                max(c.ttl, 0),
	}
	loadsErr := c.ctr.loadsErr.Load()
	s.Loads = c.ctr.loadsOK.Load() + loadsErr
	s.LoadErrors = loadsErr
	for i := range c.ctr.invalidations {
		s.Invalidations += c.ctr.invalidations[i].Load()
	}
	return s
}

// counters and itemCount make a Cache of any V a metrics source.
func (c *Cache[V]) counters() *counters { return c.ctr }
func (c *Cache[V]) itemCount() int      { return c.items.ItemCount() }
