package awardtracker

import (
	"context"
	"time"
)

// CacheCounters is a snapshot of one cache's contents and counters, for the
// health and operator endpoints.
type CacheCounters struct {
	Name    string // "stats" or "award"
	Size    int    // items, including expired ones not swept yet
	Valid   int    // items that have not expired
	Expired int    // Size - Valid
	Hits    uint64
	Misses  uint64 // every lookup that was not a hit, including those with caching disabled
	// Invalidations counts invalidations of one user or of everything,
	// whatever the reason.
	Invalidations uint64
	// Evictions counts items removed after their TTL ran out, not those
	// removed by an invalidation.
	Evictions          uint64
	Coalesced          uint64 // misses served by another caller's load
	StaleWritesDropped uint64 // loads not cached because an invalidation overtook them
	Loads              uint64 // calls of a loader, failed ones included
	LoadErrors         uint64
	TTL                time.Duration
}

// HitRatio returns Hits / (Hits + Misses), 0 before the first lookup.
func (s CacheCounters) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// CacheService is the operator's view of the statistics and award caches.
// Writes through QSOService invalidate on their own; this is for an
// operator who wants a fresh start.
type CacheService interface {
	// CacheCounters returns the counters of the statistics cache and of
	// the award cache, in that order.
	CacheCounters() []CacheCounters
	// InvalidateUserCaches drops one user's cached values.
	InvalidateUserCaches(ctx context.Context, userID int64)
	// InvalidateAllCaches drops every cached value.
	InvalidateAllCaches(ctx context.Context)
}

// CacheDropper drops cached values on another replica's word: a fleet's
// replicas tell each other when a user's QSOs changed (the storage of the
// replica that wrote sends the notification with the write).
type CacheDropper interface {
	// DropUserCaches drops one user's cached values; reason is the one
	// the sender gave.
	DropUserCaches(userID int64, reason string)
	// DropAllCaches drops every cached value: notifications may have been
	// missed (the listening connection was lost).
	DropAllCaches()
}
