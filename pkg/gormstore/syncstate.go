package gormstore

import (
	"context"
	"time"

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
		return nil, s.db.formatError(err)
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
	return s.db.formatError(err)
}

// DeleteCredentials forgets the sealed credentials of src, so that the
// scheduler no longer syncs it; the cursor, the last success and the last
// error stay (storing credentials again resumes where the syncs stopped). A
// user without credentials is not an error: deleting is idempotent.
func (s *SyncStateService) DeleteCredentials(ctx context.Context, userID int64, src awardtracker.Source) error {
	err := s.db.write(ctx, "sync_state_delete_credentials", func(tx *gorm.DB) error {
		return tx.Model(&syncStateRow{}).
			Where("user_id = ? AND source = ?", userID, string(src)).
			Updates(map[string]any{
				"credentials": nil, "credentials_invalid": false, "next_attempt": nil, "updated_at": s.db.now(),
			}).Error
	})
	return s.db.formatError(err)
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
		return s.db.formatError(err)
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
		return nil, s.db.formatError(err)
	}
	out := make([]awardtracker.SyncState, len(rows))
	for i := range rows {
		out[i] = *rows[i].state()
	}
	return out, nil
}

// LastSuccess reads the newest last_success of src: one row through
// ORDER BY ... LIMIT 1 rather than MAX(), whose result SQLite returns as
// text without the column's type.
func (s *SyncStateService) LastSuccess(ctx context.Context, src awardtracker.Source) (*time.Time, error) {
	var rows []syncStateRow
	err := s.db.conn(ctx, "sync_state_last_success").Select("last_success").
		Where("source = ? AND last_success IS NOT NULL", string(src)).
		Order("last_success DESC").Limit(1).Find(&rows).Error
	if err != nil {
		return nil, s.db.formatError(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return utc(rows[0].LastSuccess), nil
}

func (r *syncStateRow) state() *awardtracker.SyncState {
	return &awardtracker.SyncState{
		UserID: r.UserID, Source: awardtracker.Source(r.Source), Credentials: r.Credentials,
		CredentialsInvalid: r.CredentialsInvalid, Cursor: r.Cursor,
		LastSuccess: utc(r.LastSuccess), LastAttempt: utc(r.LastAttempt), NextAttempt: utc(r.NextAttempt),
		LastError: r.LastError, LastFullSync: utc(r.LastFullSync),
	}
}

// scrubQuotedSyncErrorsStep names the settings row that records that
// scrubQuotedSyncErrors ran.
const scrubQuotedSyncErrorsStep = "migration_scrub_quoted_sync_errors"

// scrubQuotedSyncErrors is a migration step, run once per database: before
// it, a sync error quoted the start of an upstream answer that was not a
// report, and a page echoing the request put the LoTW password (URL- or
// HTML-encoded) into last_error. Quotes are the only upstream text those
// messages held, so everything from the first quote on is cut off; what
// remains says which upstream failed and how. A settings row marks the step
// done, so that the safe quotes written since (package redact) are kept.
func (db *DB) scrubQuotedSyncErrors(tx *gorm.DB) error {
	res := tx.Exec("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
		scrubQuotedSyncErrorsStep, []byte("done"))
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error // failed, or done before
	}
	return tx.Exec(`UPDATE sync_states
		SET last_error = rtrim(substr(last_error, 1, ` + db.dialect.StrPos + `(last_error, '"') - 1), ' :') || ` +
		`' (the quoted answer was removed when the database was upgraded)'
		WHERE ` + db.dialect.StrPos + `(last_error, '"') > 0`).Error
}
