package gormstore

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// UserService implements awardtracker.UserService.
type UserService struct{ db *DB }

var _ awardtracker.UserService = (*UserService)(nil)

// NewUserService returns a UserService over db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

// CreateUser stores a new user; the callsign is upper-cased.
func (s *UserService) CreateUser(ctx context.Context, callsign string, passwordHash []byte) (*awardtracker.User, error) {
	row := userRow{Callsign: strings.ToUpper(callsign), PasswordHash: passwordHash, CreatedAt: s.db.now()}
	if err := s.db.write(ctx, "user_create", func(tx *gorm.DB) error { return tx.Create(&row).Error }); err != nil {
		if awardtracker.ErrorCode(s.db.formatError(err)) == awardtracker.ECONFLICT {
			return nil, awardtracker.Errorf(awardtracker.ECONFLICT, "callsign %s is already registered", row.Callsign)
		}
		return nil, s.db.formatError(err)
	}
	return row.user(), nil
}

// FindUserByCallsign returns the user and its password hash.
func (s *UserService) FindUserByCallsign(ctx context.Context, callsign string) (*awardtracker.User, []byte, error) {
	var row userRow
	if err := s.db.conn(ctx, "user_find").Where("callsign = ?", strings.ToUpper(callsign)).Take(&row).Error; err != nil {
		return nil, nil, s.db.formatError(err)
	}
	return row.user(), row.PasswordHash, nil
}

// FindUserByID returns the user with that id.
func (s *UserService) FindUserByID(ctx context.Context, id int64) (*awardtracker.User, error) {
	var row userRow
	if err := s.db.conn(ctx, "user_find").Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, s.db.formatError(err)
	}
	return row.user(), nil
}

func (r *userRow) user() *awardtracker.User {
	return &awardtracker.User{ID: r.ID, Callsign: r.Callsign, CreatedAt: r.CreatedAt.UTC()}
}
