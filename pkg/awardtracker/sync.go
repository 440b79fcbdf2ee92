package awardtracker

import (
	"context"
	"time"
)

// SyncState is what the service keeps per user and sync source.
type SyncState struct {
	UserID int64
	Source Source
	// Credentials are sealed (encrypted) by the caller; storage never sees
	// them in clear.
	Credentials        []byte
	CredentialsInvalid bool       // upstream rejected them; never retried until changed
	Cursor             string     // upstream's "since" value for the next download
	LastSuccess        *time.Time // last complete sync
	LastAttempt        *time.Time
	NextAttempt        *time.Time // back-off: no automatic sync before this
	LastError          string
	LastFullSync       *time.Time // when a full re-download (ignoring Cursor) last ran
}

// JobStatus is where a sync job is in its life: queued, running, then
// succeeded or failed.
type JobStatus string

// Job statuses.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
)

// SyncJob is one sync run of a user and source.
type SyncJob struct {
	ID         string     `json:"id"`
	UserID     int64      `json:"-"`
	Source     Source     `json:"source"`
	Status     JobStatus  `json:"status"`
	Full       bool       `json:"full"` // a full re-download that ignored the cursor
	Fetched    int        `json:"fetched"`
	Imported   int        `json:"imported"`
	Updated    int        `json:"updated"`
	Duplicates int        `json:"duplicates"` // fetched records that matched and changed nothing
	Rejected   int        `json:"rejected"`   // fetched records that could not be read
	Error      string     `json:"error"`
	StartedAt  *time.Time `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
}

// SyncStateService stores sync state.
type SyncStateService interface {
	// SyncState returns the state of one user and source; ENOTFOUND if the
	// user never stored credentials for it.
	SyncState(ctx context.Context, userID int64, src Source) (*SyncState, error)
	// PutCredentials stores sealed credentials and clears the invalid flag
	// and any back-off; the cursor is kept.
	PutCredentials(ctx context.Context, userID int64, src Source, sealed []byte) error
	// DeleteCredentials forgets the stored credentials of src (the cursor
	// and history stay), so that src is no longer synced. Deleting absent
	// credentials is not an error.
	DeleteCredentials(ctx context.Context, userID int64, src Source) error
	// UpdateSyncState saves the bookkeeping fields (invalid flag, attempts,
	// back-off, error, last full re-download). The cursor and LastSuccess only move through
	// QSOService.ImportQSOs, in the same transaction as the records.
	UpdateSyncState(ctx context.Context, st *SyncState) error
	// SyncStates lists every state of src with credentials that are not
	// marked invalid.
	SyncStates(ctx context.Context, src Source) ([]SyncState, error)
	// LastSuccess returns the newest LastSuccess of src over every user
	// (with or without credentials), nil when no sync of src has ever
	// succeeded. Every replica of a fleet reads the same value.
	LastSuccess(ctx context.Context, src Source) (*time.Time, error)
}

// SyncService stores users' upstream credentials and runs their syncs.
type SyncService interface {
	// SetLoTWCredentials stores the user's LoTW login sealed. Returns
	// EINVALID for an empty username or password, EFORBIDDEN when
	// credentials cannot be stored (no secrets key).
	SetLoTWCredentials(ctx context.Context, userID int64, username, password string) error
	// SetDCLCredentials stores the user's DCL key sealed; errors as above.
	SetDCLCredentials(ctx context.Context, userID int64, key string) error
	// DeleteLoTWCredentials forgets the user's LoTW login; absent ones are
	// not an error.
	DeleteLoTWCredentials(ctx context.Context, userID int64) error
	// DeleteDCLCredentials forgets the user's DCL key; see above.
	DeleteDCLCredentials(ctx context.Context, userID int64) error
	// Start starts a sync in the background and returns its job, or the
	// job already queued or running. Returns ENOTFOUND without stored
	// credentials, EINVALID when they were rejected, EUNAVAILABLE when src
	// is not configured or the service is closing.
	Start(ctx context.Context, userID int64, src Source) (*SyncJob, error)
	// StartFull starts a full LoTW re-download; ECONFLICT (with
	// RetryAfter) within a day of the last one or while a LoTW sync runs.
	StartFull(ctx context.Context, userID int64) (*SyncJob, error)
	// Job returns one of the user's jobs; ENOTFOUND for another user's.
	Job(userID int64, id string) (*SyncJob, error)
}
