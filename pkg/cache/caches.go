package cache

import (
	"context"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Caches are the statistics and award caches of one service. They give the
// operator endpoints the caches' counters and a manual invalidation
// (awardtracker.CacheService), and QSOService invalidates through them. A
// nil cache in them is skipped.
type Caches struct {
	stats  *Cache[*awardtracker.Stats]
	awards *Cache[[]awardtracker.AwardProgress]
}

var (
	_ awardtracker.CacheService = (*Caches)(nil)
	_ awardtracker.CacheDropper = (*Caches)(nil)
)

// NewCaches returns the pair.
func NewCaches(stats *Cache[*awardtracker.Stats], awards *Cache[[]awardtracker.AwardProgress]) *Caches {
	return &Caches{stats: stats, awards: awards}
}

// invalidateUser drops the user's statistics and award progress.
func (c *Caches) invalidateUser(userID int64, reason Reason) {
	key := userKey(userID)
	if c.stats != nil {
		c.stats.Invalidate(key, reason)
	}
	if c.awards != nil {
		c.awards.Invalidate(key, reason)
	}
}

// CacheCounters returns the statistics cache's counters, then the award
// cache's.
func (c *Caches) CacheCounters() []awardtracker.CacheCounters {
	var out []awardtracker.CacheCounters
	if c.stats != nil {
		out = append(out, c.stats.Counters())
	}
	if c.awards != nil {
		out = append(out, c.awards.Counters())
	}
	return out
}

// InvalidateUserCaches drops one user's entries, counted as manual.
func (c *Caches) InvalidateUserCaches(_ context.Context, userID int64) {
	c.invalidateUser(userID, ReasonManual)
}

// InvalidateAllCaches drops every entry, counted as manual.
func (c *Caches) InvalidateAllCaches(context.Context) { c.invalidateAll(ReasonManual) }

// DropUserCaches applies another replica's invalidation of one user, under
// the sender's reason. It goes through the same generation guard as a local
// write: a load in flight keeps its value for its callers but does not
// cache it.
func (c *Caches) DropUserCaches(userID int64, reason string) {
	c.invalidateUser(userID, parseReason(reason))
}

// DropAllCaches drops everything, counted as reconnect: the listener of a
// fleet's invalidations lost its connection and cannot know what it missed.
func (c *Caches) DropAllCaches() { c.invalidateAll(ReasonReconnect) }

func (c *Caches) invalidateAll(reason Reason) {
	if c.stats != nil {
		c.stats.InvalidateAll(reason)
	}
	if c.awards != nil {
		c.awards.InvalidateAll(reason)
	}
}
