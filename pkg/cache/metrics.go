package cache

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// loadBuckets run from a fast SQLite query to the default load timeout.
var loadBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Metrics exports the numbers of every cache created with it, labelled by the
// cache's name. The counters live in the caches (one atomic add on the hit
// path, and Counters reads the same values) and are read at scrape time.
//
// The series of a cache appear, all at zero, when the cache is created:
// awardtracker_cache_{hits,misses,coalesced,stale_writes_dropped,evictions}_total{cache},
// awardtracker_cache_loads_total{cache,outcome},
// awardtracker_cache_invalidations_total{cache,reason},
// awardtracker_cache_items{cache} and awardtracker_cache_load_duration_seconds{cache}.
type Metrics struct {
	hits          *prometheus.Desc
	misses        *prometheus.Desc
	coalesced     *prometheus.Desc
	staleWrites   *prometheus.Desc
	loads         *prometheus.Desc
	evictions     *prometheus.Desc
	invalidations *prometheus.Desc
	items         *prometheus.Desc
	loadTime      *prometheus.HistogramVec

	mu     sync.RWMutex
	caches map[string]source
}

// source is a Cache of any value type.
type source interface {
	counters() *counters
	itemCount() int
}

// NewMetrics returns the cache metrics, registered on reg (if not nil). It
// panics if they are registered already, as MustRegister does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	cache := []string{"cache"}
	m := &Metrics{
		hits: prometheus.NewDesc("awardtracker_cache_hits_total",
			"Cache lookups answered from the cache.", cache, nil),
		misses: prometheus.NewDesc("awardtracker_cache_misses_total",
			"Cache lookups not answered from the cache: each waited for a load, its own or another caller's.", cache, nil),
		coalesced: prometheus.NewDesc("awardtracker_cache_coalesced_total",
			"Misses served by a load that another caller started.", cache, nil),
		staleWrites: prometheus.NewDesc("awardtracker_cache_stale_writes_dropped_total",
			"Loads whose value was not cached because an invalidation happened while they ran.", cache, nil),
		loads: prometheus.NewDesc("awardtracker_cache_loads_total",
			"Loads from the backing service, by outcome (success, error).", []string{"cache", "outcome"}, nil),
		evictions: prometheus.NewDesc("awardtracker_cache_evictions_total",
			"Items removed because their TTL ran out (invalidations are not counted).", cache, nil),
		invalidations: prometheus.NewDesc("awardtracker_cache_invalidations_total",
			"Invalidate and InvalidateAll calls, by reason (import, sync, delete, manual, other).", []string{"cache", "reason"}, nil),
		items: prometheus.NewDesc("awardtracker_cache_items",
			"Items in the cache, including expired ones not swept yet.", cache, nil),
		loadTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "awardtracker_cache_load_duration_seconds",
			Help:    "Time a load from the backing service took, failed ones included.",
			Buckets: loadBuckets,
		}, cache),
		caches: make(map[string]source),
	}
	if reg != nil {
		reg.MustRegister(m)
	}
	return m
}

// add makes c's numbers part of the metrics and returns its load-time
// observer, resolved once so that loads do not look up labels.
func (m *Metrics) add(name string, c source) prometheus.Observer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.caches[name]; ok {
		panic(fmt.Sprintf("cache: a cache named %q already uses these metrics", name))
	}
	m.caches[name] = c
	return m.loadTime.WithLabelValues(name)
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.hits, m.misses, m.coalesced, m.staleWrites, m.loads, m.evictions, m.invalidations, m.items} {
		ch <- d
	}
	m.loadTime.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for name, c := range m.caches {
		ctr := c.counters()
		counter(m.hits, ctr.hits.Load(), name)
		counter(m.misses, ctr.misses.Load(), name)
		counter(m.coalesced, ctr.coalesced.Load(), name)
		counter(m.staleWrites, ctr.staleWrites.Load(), name)
		counter(m.loads, ctr.loadsOK.Load(), name, "success")
		counter(m.loads, ctr.loadsErr.Load(), name, "error")
		counter(m.evictions, ctr.evictions.Load(), name)
		for i, reason := range reasons {
			counter(m.invalidations, ctr.invalidations[i].Load(), name, reason)
		}
		ch <- prometheus.MustNewConstMetric(m.items, prometheus.GaugeValue, float64(c.itemCount()), name)
	}
	m.loadTime.Collect(ch)
}
