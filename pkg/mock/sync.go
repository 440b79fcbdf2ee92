package mock

import (
	"context"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.SyncStateService = (*SyncStateService)(nil)

// SyncStateService is a fake awardtracker.SyncStateService.
type SyncStateService struct {
	SyncStateFn         func(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncState, error)
	PutCredentialsFn    func(ctx context.Context, userID int64, src awardtracker.Source, sealed []byte) error
	DeleteCredentialsFn func(ctx context.Context, userID int64, src awardtracker.Source) error
	UpdateSyncStateFn   func(ctx context.Context, st *awardtracker.SyncState) error
	SyncStatesFn        func(ctx context.Context, src awardtracker.Source) ([]awardtracker.SyncState, error)
	LastSuccessFn       func(ctx context.Context, src awardtracker.Source) (*time.Time, error)
}

func (s *SyncStateService) SyncState(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncState, error) {
	if s.SyncStateFn == nil {
		unset("SyncStateService.SyncState")
	}
	return s.SyncStateFn(ctx, userID, src)
}

func (s *SyncStateService) PutCredentials(ctx context.Context, userID int64, src awardtracker.Source, sealed []byte) error {
	if s.PutCredentialsFn == nil {
		unset("SyncStateService.PutCredentials")
	}
	return s.PutCredentialsFn(ctx, userID, src, sealed)
}

func (s *SyncStateService) DeleteCredentials(ctx context.Context, userID int64, src awardtracker.Source) error {
	if s.DeleteCredentialsFn == nil {
		unset("SyncStateService.DeleteCredentials")
	}
	return s.DeleteCredentialsFn(ctx, userID, src)
}

func (s *SyncStateService) UpdateSyncState(ctx context.Context, st *awardtracker.SyncState) error {
	if s.UpdateSyncStateFn == nil {
		unset("SyncStateService.UpdateSyncState")
	}
	return s.UpdateSyncStateFn(ctx, st)
}

func (s *SyncStateService) SyncStates(ctx context.Context, src awardtracker.Source) ([]awardtracker.SyncState, error) {
	if s.SyncStatesFn == nil {
		unset("SyncStateService.SyncStates")
	}
	return s.SyncStatesFn(ctx, src)
}

func (s *SyncStateService) LastSuccess(ctx context.Context, src awardtracker.Source) (*time.Time, error) {
	if s.LastSuccessFn == nil {
		unset("SyncStateService.LastSuccess")
	}
	return s.LastSuccessFn(ctx, src)
}

var _ awardtracker.SyncService = (*SyncService)(nil)

// SyncService is a fake awardtracker.SyncService.
type SyncService struct {
	SetLoTWCredentialsFn    func(ctx context.Context, userID int64, username, password string) error
	SetDCLCredentialsFn     func(ctx context.Context, userID int64, key string) error
	DeleteLoTWCredentialsFn func(ctx context.Context, userID int64) error
	DeleteDCLCredentialsFn  func(ctx context.Context, userID int64) error
	StartFn                 func(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error)
	StartFullFn             func(ctx context.Context, userID int64) (*awardtracker.SyncJob, error)
	JobFn                   func(userID int64, id string) (*awardtracker.SyncJob, error)
}

func (s *SyncService) SetLoTWCredentials(ctx context.Context, userID int64, username, password string) error {
	if s.SetLoTWCredentialsFn == nil {
		unset("SyncService.SetLoTWCredentials")
	}
	return s.SetLoTWCredentialsFn(ctx, userID, username, password)
}

func (s *SyncService) SetDCLCredentials(ctx context.Context, userID int64, key string) error {
	if s.SetDCLCredentialsFn == nil {
		unset("SyncService.SetDCLCredentials")
	}
	return s.SetDCLCredentialsFn(ctx, userID, key)
}

func (s *SyncService) DeleteLoTWCredentials(ctx context.Context, userID int64) error {
	if s.DeleteLoTWCredentialsFn == nil {
		unset("SyncService.DeleteLoTWCredentials")
	}
	return s.DeleteLoTWCredentialsFn(ctx, userID)
}

func (s *SyncService) DeleteDCLCredentials(ctx context.Context, userID int64) error {
	if s.DeleteDCLCredentialsFn == nil {
		unset("SyncService.DeleteDCLCredentials")
	}
	return s.DeleteDCLCredentialsFn(ctx, userID)
}

func (s *SyncService) Start(ctx context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error) {
	if s.StartFn == nil {
		unset("SyncService.Start")
	}
	return s.StartFn(ctx, userID, src)
}

func (s *SyncService) StartFull(ctx context.Context, userID int64) (*awardtracker.SyncJob, error) {
	if s.StartFullFn == nil {
		unset("SyncService.StartFull")
	}
	return s.StartFullFn(ctx, userID)
}

func (s *SyncService) Job(userID int64, id string) (*awardtracker.SyncJob, error) {
	if s.JobFn == nil {
		unset("SyncService.Job")
	}
	return s.JobFn(userID, id)
}
