package mock

import (
	"context"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.UserService = (*UserService)(nil)

// UserService is a fake awardtracker.UserService.
type UserService struct {
	CreateUserFn         func(ctx context.Context, callsign string, passwordHash []byte) (*awardtracker.User, error)
	FindUserByCallsignFn func(ctx context.Context, callsign string) (*awardtracker.User, []byte, error)
	FindUserByIDFn       func(ctx context.Context, id int64) (*awardtracker.User, error)
}

func (s *UserService) CreateUser(ctx context.Context, callsign string, passwordHash []byte) (*awardtracker.User, error) {
	if s.CreateUserFn == nil {
		unset("UserService.CreateUser")
	}
	return s.CreateUserFn(ctx, callsign, passwordHash)
}

func (s *UserService) FindUserByCallsign(ctx context.Context, callsign string) (*awardtracker.User, []byte, error) {
	if s.FindUserByCallsignFn == nil {
		unset("UserService.FindUserByCallsign")
	}
	return s.FindUserByCallsignFn(ctx, callsign)
}

func (s *UserService) FindUserByID(ctx context.Context, id int64) (*awardtracker.User, error) {
	if s.FindUserByIDFn == nil {
		unset("UserService.FindUserByID")
	}
	return s.FindUserByIDFn(ctx, id)
}
