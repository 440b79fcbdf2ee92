package cache

import (
	"context"
	"iter"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// QSOService is the write side of the caches: it passes every call to the
// storage's QSOService and, after a write that changed a user's QSOs,
// invalidates that user's cached statistics and award progress, so that the
// import route, the syncer, the delete route and the demo cannot forget to.
// The invalidation happens before the call returns: a caller that waits for
// an import and then asks for statistics sees the new numbers.
//
// Every method is written out rather than the inner service embedded, so
// that a write method added to the interface fails to compile here instead
// of bypassing the invalidation.
//
// In a fleet it also tells the other replicas, after the write committed
// (the inner service has returned), through its notifier. A failed
// notification does not fail the write, which is stored: it is logged by
// the notifier, and the other replicas drop the values at their TTL.
type QSOService struct {
	inner    awardtracker.QSOService
	caches   *Caches
	notifier awardtracker.CacheNotifier // nil: one process
}

var _ awardtracker.QSOService = (*QSOService)(nil)

// NewQSOService returns inner, invalidating c on writes.
func NewQSOService(inner awardtracker.QSOService, c *Caches) *QSOService {
	return &QSOService{inner: inner, caches: c}
}

// WithNotifier returns s telling n about every invalidation its writes
// cause, for the other replicas of a fleet.
func (s *QSOService) WithNotifier(n awardtracker.CacheNotifier) *QSOService {
	s.notifier = n
	return s
}

// invalidate drops the user's entries here and tells the other replicas.
func (s *QSOService) invalidate(ctx context.Context, userID int64, reason Reason) {
	s.caches.invalidateUser(userID, reason)
	if s.notifier != nil {
		// The write is stored whatever happens here; the notifier counts
		// and logs a failure. The caller's cancellation must not lose the
		// notification of a write that committed.
		_ = s.notifier.NotifyCacheInvalidation(context.WithoutCancel(ctx), userID, reason.String())
	}
}

// ImportQSOs imports through the inner service and, if the import changed
// something, invalidates the user: ReasonSync for a sync (an import that
// moves a cursor), ReasonImport otherwise. A failed import wrote nothing and
// invalidates nothing.
func (s *QSOService) ImportQSOs(ctx context.Context, userID int64, src awardtracker.Source,
	records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions) (*awardtracker.ImportResult, error) {
	res, err := s.inner.ImportQSOs(ctx, userID, src, records, opts)
	if err != nil {
		return res, err
	}
	if res.Changed() {
		reason := ReasonImport
		if opts.Cursor != nil {
			reason = ReasonSync
		}
		s.invalidate(ctx, userID, reason)
	}
	return res, nil
}

// DeleteQSO deletes through the inner service and invalidates the user
// (ReasonDelete) when a QSO was deleted.
func (s *QSOService) DeleteQSO(ctx context.Context, userID, qsoID int64) error {
	if err := s.inner.DeleteQSO(ctx, userID, qsoID); err != nil {
		return err
	}
	s.invalidate(ctx, userID, ReasonDelete)
	return nil
}

// FindQSOs reads through; it is not cached.
func (s *QSOService) FindQSOs(ctx context.Context, userID int64, filter awardtracker.QSOFilter) ([]awardtracker.QSO, int, error) {
	return s.inner.FindQSOs(ctx, userID, filter)
}

// AwardFacts reads through; the award cache sits above the award rules.
func (s *QSOService) AwardFacts(ctx context.Context, userID int64) ([]awardtracker.AwardFact, error) {
	return s.inner.AwardFacts(ctx, userID)
}

// ExportQSOs reads through.
func (s *QSOService) ExportQSOs(ctx context.Context, userID int64, f awardtracker.ExportFilter) iter.Seq2[awardtracker.QSO, error] {
	return s.inner.ExportQSOs(ctx, userID, f)
}
