package gormstore

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// loginAttemptRow is one callsign's login back-off (the rules are package
// auth's). The service keeps it here on PostgreSQL only, so that the
// replicas of a fleet share it; a single SQLite process keeps it in memory.
type loginAttemptRow struct {
	Callsign string `gorm:"primaryKey;size:32"`
	Attempts int    `gorm:"not null;default:0"`
	NextNs   int64  `gorm:"column:next_ns;not null;default:0"` // Unix nanoseconds; 0: none
	Good     string `gorm:"not null;default:''"`               // client prefixes, space-separated, oldest first
	// Unix seconds of the last update, for pruning; set by the statements
	// below, not by GORM.
	Touched int64 `gorm:"column:touched;not null;default:0;index"`
}

func (loginAttemptRow) TableName() string { return "login_attempts" }

// How long a callsign's back-off is kept after its last login attempt.
// Rows without a good address (unknown callsigns, accounts never logged
// into) go after a day: their waits (at most minutes) are long over, and a
// guesser cycling through made-up callsigns must not grow the table
// without bound. Rows with the owner's addresses stay as long as a token
// lasts, so that the owner's exemption outlives the usual gap between
// logins.
const (
	loginAttemptsKeep     = 24 * time.Hour
	loginAttemptsKeepGood = 30 * 24 * time.Hour
	loginAttemptsPrune    = time.Minute // at most one prune per process this often
)

// LoginAttemptService implements awardtracker.LoginAttemptService.
type LoginAttemptService struct {
	db         *DB
	lastPruned atomic.Int64 // Unix seconds
}

var _ awardtracker.LoginAttemptService = (*LoginAttemptService)(nil)

// NewLoginAttemptService returns a LoginAttemptService over db.
func NewLoginAttemptService(db *DB) *LoginAttemptService { return &LoginAttemptService{db: db} }

// UpdateLoginAttempts reads the row with an upsert that takes its lock
// (PostgreSQL holds it to the end of the transaction; SQLite has a single
// writer anyway), so that two replicas' attempts on one callsign never both
// read the same count. An error of fn writes nothing of what fn changed; it
// is returned after the transaction, which committed, so that the database
// does not count as failed (see DB.writeLocked).
func (s *LoginAttemptService) UpdateLoginAttempts(ctx context.Context, callsign string, fn func(*awardtracker.LoginAttempts) error) error {
	now := s.db.now()
	var fnErr error
	err := s.db.write(ctx, "login_attempts_update", func(tx *gorm.DB) error {
		var row loginAttemptRow
		err := tx.Raw(`INSERT INTO login_attempts (callsign, attempts, next_ns, good, touched) VALUES (?, 0, 0, '', ?)
			ON CONFLICT (callsign) DO UPDATE SET touched = excluded.touched
			RETURNING callsign, attempts, next_ns, good, touched`, callsign, now.Unix()).Scan(&row).Error
		if err != nil {
			return err
		}
		la := awardtracker.LoginAttempts{Attempts: row.Attempts, Good: strings.Fields(row.Good)}
		if row.NextNs != 0 {
			la.Next = time.Unix(0, row.NextNs).UTC()
		}
		if fnErr = fn(&la); fnErr != nil {
			return nil
		}
		var next int64
		if !la.Next.IsZero() {
			next = la.Next.UnixNano()
		}
		return tx.Model(&loginAttemptRow{}).Where("callsign = ?", callsign).
			Updates(map[string]any{"attempts": la.Attempts, "next_ns": next, "good": strings.Join(la.Good, " ")}).Error
	})
	if err != nil {
		return s.db.formatError(err)
	}
	s.prune(ctx, now)
	return fnErr
}

// prune deletes the rows past their keep (see loginAttemptsKeep), at most
// once a minute per process. A failure is left for the next one: the rows
// only take room.
func (s *LoginAttemptService) prune(ctx context.Context, now time.Time) {
	last := s.lastPruned.Load()
	if now.Unix()-last < int64(loginAttemptsPrune/time.Second) || !s.lastPruned.CompareAndSwap(last, now.Unix()) {
		return
	}
	_ = s.db.write(ctx, "login_attempts_prune", func(tx *gorm.DB) error {
		return tx.Where("touched < ? AND (good = '' OR touched < ?)",
			now.Add(-loginAttemptsKeep).Unix(), now.Add(-loginAttemptsKeepGood).Unix()).
			Delete(&loginAttemptRow{}).Error
	})
}
