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
// In a fleet the other replicas hear of the write from the storage, which
// sends the notification inside the write's transaction; Caches applies
// theirs.
type QSOService struct {
	inner  awardtracker.QSOService
	caches *Caches
}

var _ awardtracker.QSOService = (*QSOService)(nil)

// NewQSOService returns inner, invalidating c on writes.
func NewQSOService(inner awardtracker.QSOService, c *Caches) *QSOService {
	return &QSOService{inner: inner, caches: c}
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
		s.caches.invalidateUser(userID, reason)
	}
	return res, nil
}

// DeleteQSO deletes through the inner service and invalidates the user
// (ReasonDelete) when a QSO was deleted.
func (s *QSOService) DeleteQSO(ctx context.Context, userID, qsoID int64) error {
	if err := s.inner.DeleteQSO(ctx, userID, qsoID); err != nil {
		return err
	}
	s.caches.invalidateUser(userID, ReasonDelete)
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
