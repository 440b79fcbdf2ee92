package ratelimit

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// maxShards spreads clients over enough mutexes that concurrent requests
// rarely wait for each other, without making small bounds coarse.
const maxShards = 64

// table maps client keys to token buckets in shards, each bounded and
// ordered by last use.
type table struct {
	shards   []shard
	mask     uint64
	seed0    uint64
	seed1    uint64
	perShard int
	metrics  tableMetrics
}

type tableMetrics struct {
	clients   prometheus.Gauge   // nil without metrics
	evictions prometheus.Counter // nil without metrics
}

type shard struct {
	mu      sync.Mutex
	entries map[key]*entry
	// head is the most recently used entry, tail the least; both nil when
	// empty. An intrusive list keeps a hit at a few pointer moves with no
	// allocation.
	head, tail *entry
	limit      int
	idleTTL    time.Duration
	metrics    *tableMetrics
}

type entry struct {
	key        key
	lim        *rate.Limiter
	seen       time.Time // last request, for the idle TTL
	prev, next *entry
}

func newTable(maxClients int, idleTTL time.Duration, m tableMetrics) *table {
	n := 1
	for n*2 <= min(maxClients, maxShards) {
		n *= 2
	}
	t := &table{
		shards:   make([]shard, n),
		mask:     uint64(n - 1),
		seed0:    rand.Uint64(),
		seed1:    rand.Uint64(),
		perShard: maxClients / n,
		metrics:  m,
	}
	for i := range t.shards {
		t.shards[i].entries = make(map[key]*entry)
		t.shards[i].limit = t.perShard
		t.shards[i].idleTTL = idleTTL
		t.shards[i].metrics = &t.metrics
	}
	return t
}

// shard picks k's shard. The hash is seeded per process so that nobody can
// choose addresses that all land in one shard and evict its other clients
// cheaply.
func (t *table) shard(k key) *shard {
	h := mix(binary.LittleEndian.Uint64(k[:8]) ^ t.seed0)
	h = mix(h ^ binary.LittleEndian.Uint64(k[8:]) ^ t.seed1)
	return &t.shards[h&t.mask]
}

// mix is MurmurHash3's 64-bit finalizer: every input bit reaches the low bits
// the shard is picked by (a plain multiply would leave them depending only on
// the low input bits, where an IPv6 /64's distinguishing bits are not).
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// get returns k's bucket, making it the most recently used, or creates one.
// The caller holds s.mu.
func (s *shard) get(k key, now time.Time, newBucket func() *rate.Limiter) *rate.Limiter {
	if e, ok := s.entries[k]; ok {
		e.seen = now
		s.moveToFront(e)
		return e.lim
	}
	// Expiring only on a miss, and at most two entries, keeps the hit path
	// free of the work and a miss O(1), while still shrinking the table
	// faster than misses can grow it.
	for range 2 {
		if s.tail == nil || now.Sub(s.tail.seen) < s.idleTTL || !refilled(s.tail, now) {
			break
		}
		s.remove(s.tail)
	}
	if len(s.entries) >= s.limit {
		e := s.tail
		if !refilled(e, now) {
			s.remove(e)
			if s.metrics.evictions != nil {
				s.metrics.evictions.Inc()
			}
		} else {
			// A refilled bucket is as good as a new one: hand it to k,
			// sparing the allocations under a flood of addresses.
			delete(s.entries, e.key)
			e.key, e.seen = k, now
			s.entries[k] = e
			s.moveToFront(e)
			return e.lim
		}
	}
	e := &entry{key: k, lim: newBucket(), seen: now}
	s.entries[k] = e
	s.pushFront(e)
	if s.metrics.clients != nil {
		s.metrics.clients.Inc()
	}
	return e.lim
}

// refilled reports whether e's bucket holds its whole burst, which makes it
// indistinguishable from a new one: forgetting it loses nothing.
func refilled(e *entry, now time.Time) bool {
	return e.lim.TokensAt(now) >= float64(e.lim.Burst())
}

func (s *shard) remove(e *entry) {
	s.unlink(e)
	delete(s.entries, e.key)
	if s.metrics.clients != nil {
		s.metrics.clients.Dec()
	}
}

func (s *shard) moveToFront(e *entry) {
	if s.head == e {
		return
	}
	s.unlink(e)
	s.pushFront(e)
}

func (s *shard) pushFront(e *entry) {
	e.prev, e.next = nil, s.head
	if s.head != nil {
		s.head.prev = e
	}
	s.head = e
	if s.tail == nil {
		s.tail = e
	}
}

func (s *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}
