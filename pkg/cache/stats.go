package cache

import (
	"context"
	"strconv"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// StatsService caches another StatsService per user.
type StatsService struct {
	inner awardtracker.StatsService
	cache *Cache[*awardtracker.Stats]
}

var _ awardtracker.StatsService = (*StatsService)(nil)

// NewStatsService returns inner cached in c, keyed by user id.
func NewStatsService(inner awardtracker.StatsService, c *Cache[*awardtracker.Stats]) *StatsService {
	return &StatsService{inner: inner, cache: c}
}

// Stats returns the user's statistics from the cache, or from the inner
// service on a miss; its errors are returned unchanged and not cached. The
// result is shared with other callers: do not modify it.
func (s *StatsService) Stats(ctx context.Context, userID int64) (*awardtracker.Stats, error) {
	var buf [20]byte
	// The key of a hit does not escape, so it is built on the stack.
	if v, ok := s.cache.lookup(string(strconv.AppendInt(buf[:0], userID, 10))); ok {
		return v, nil
	}
	return s.cache.miss(ctx, userKey(userID), func(ctx context.Context) (*awardtracker.Stats, error) {
		return s.inner.Stats(ctx, userID)
	})
}

// userKey is the cache key of a user in every cache.
func userKey(userID int64) string { return strconv.FormatInt(userID, 10) }
