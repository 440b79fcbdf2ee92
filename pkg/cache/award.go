package cache

import (
	"context"
	"strconv"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// AwardService caches another AwardService per user.
type AwardService struct {
	inner awardtracker.AwardService
	cache *Cache[[]awardtracker.AwardProgress]
}

var _ awardtracker.AwardService = (*AwardService)(nil)

// NewAwardService returns inner cached in c, keyed by user id.
func NewAwardService(inner awardtracker.AwardService, c *Cache[[]awardtracker.AwardProgress]) *AwardService {
	return &AwardService{inner: inner, cache: c}
}

// Awards returns the user's award progress from the cache, or from the inner
// service on a miss; its errors are returned unchanged and not cached. The
// result is shared with other callers: do not modify it.
func (s *AwardService) Awards(ctx context.Context, userID int64) ([]awardtracker.AwardProgress, error) {
	var buf [20]byte
	// The key of a hit does not escape, so it is built on the stack.
	if v, ok := s.cache.lookup(string(strconv.AppendInt(buf[:0], userID, 10))); ok {
		return v, nil
	}
	return s.cache.miss(ctx, userKey(userID), func(ctx context.Context) ([]awardtracker.AwardProgress, error) {
		return s.inner.Awards(ctx, userID)
	})
}
