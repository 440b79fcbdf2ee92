package sqlite

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// SyncStateService implements awardtracker.SyncStateService.
type SyncStateService struct{ db *DB }

var _ awardtracker.SyncStateService = (*SyncStateService)(nil)

// NewSyncStateService returns a SyncStateService over db.
func NewSyncStateService(db *DB) *SyncStateService { return &SyncStateService{db: db} }

// SyncState returns ENOTFOUND when the user has no state for src.
func (s *SyncStateService) SyncState(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncState, error) {
	var row syncStateRow
	err := s.db.conn(ctx, "sync_state_get").Where("user_id = ? AND source = ?", userID, string(src)).Take(&row).Error
	if err != nil {
		return nil, formatError(err)
	}
	return row.state(), nil
}

// PutCredentials stores sealed credentials, clearing the invalid flag and any
// back-off; the cursor is kept.
func (s *SyncStateService) PutCredentials(ctx context.Context, userID int64, src awardtracker.Source, sealed []byte) error {
	row := syncStateRow{UserID: userID, Source: string(src), Credentials: sealed, UpdatedAt: s.db.now()}
	err := s.db.write(ctx, "sync_state_put", func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "user_id"}, {Name: "source"}},
			DoUpdates: clause.Assignments(map[string]any{
				"credentials": sealed, "credentials_invalid": false, "next_attempt": nil,
				"last_error": "", "updated_at": row.UpdatedAt,
			}),
		}).Create(&row).Error
	})
	return formatError(err)
}

// UpdateSyncState saves the bookkeeping fields; the cursor and LastSuccess
// move only with the records they describe (QSOService.ImportQSOs).
func (s *SyncStateService) UpdateSyncState(ctx context.Context, st *awardtracker.SyncState) error {
	var updated int64
	err := s.db.write(ctx, "sync_state_update", func(tx *gorm.DB) error {
		res := tx.Model(&syncStateRow{}).
			Where("user_id = ? AND source = ?", st.UserID, string(st.Source)).
			Updates(map[string]any{
				"credentials_invalid": st.CredentialsInvalid,
				"last_attempt":        st.LastAttempt,
				"next_attempt":        st.NextAttempt,
				"last_error":          st.LastError,
				"last_full_sync":      st.LastFullSync,
				"updated_at":          s.db.now(),
			})
		updated = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return formatError(err)
	}
	if updated == 0 {
		return awardtracker.Errorf(awardtracker.ENOTFOUND, "no %s credentials stored", st.Source)
	}
	return nil
}

// SyncStates lists the states of src whose credentials are not marked invalid.
func (s *SyncStateService) SyncStates(ctx context.Context, src awardtracker.Source) ([]awardtracker.SyncState, error) {
	var rows []syncStateRow
	err := s.db.conn(ctx, "sync_state_list").
		Where("source = ? AND credentials_invalid = ? AND credentials IS NOT NULL", string(src), false).
		Order("user_id").Find(&rows).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]awardtracker.SyncState, len(rows))
	for i := range rows {
		out[i] = *rows[i].state()
	}
	return out, nil
}

func (r *syncStateRow) state() *awardtracker.SyncState {
	return &awardtracker.SyncState{
		UserID: r.UserID, Source: awardtracker.Source(r.Source), Credentials: r.Credentials,
		CredentialsInvalid: r.CredentialsInvalid, Cursor: r.Cursor,
		LastSuccess: utc(r.LastSuccess), LastAttempt: utc(r.LastAttempt), NextAttempt: utc(r.NextAttempt),
		LastError: r.LastError, LastFullSync: utc(r.LastFullSync),
	}
}
