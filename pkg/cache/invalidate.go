package cache

import "github.com/awardtracker/awardtracker/pkg/awardtracker"

// Invalidator drops users' entries from the statistics and award caches. The
// import handler, the syncer, the QSO delete handler and the operator
// endpoint call it after they change QSOs. A nil *Invalidator does nothing,
// and so does a nil cache in it.
type Invalidator struct {
	stats  *Cache[*awardtracker.Stats]
	awards *Cache[[]awardtracker.AwardProgress]
}

// NewInvalidator returns an Invalidator of both caches.
func NewInvalidator(stats *Cache[*awardtracker.Stats], awards *Cache[[]awardtracker.AwardProgress]) *Invalidator {
	return &Invalidator{stats: stats, awards: awards}
}

// InvalidateUser drops the user's statistics and award progress. reason is
// one of the Reason constants.
func (i *Invalidator) InvalidateUser(userID int64, reason string) {
	if i == nil {
		return
	}
	key := userKey(userID)
	if i.stats != nil {
		i.stats.Invalidate(key, reason)
	}
	if i.awards != nil {
		i.awards.Invalidate(key, reason)
	}
}

// InvalidateAll drops every user's entries.
func (i *Invalidator) InvalidateAll(reason string) {
	if i == nil {
		return
	}
	if i.stats != nil {
		i.stats.InvalidateAll(reason)
	}
	if i.awards != nil {
		i.awards.InvalidateAll(reason)
	}
}
