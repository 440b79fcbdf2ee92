package mock

import (
	"context"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

var _ awardtracker.AuthService = (*AuthService)(nil)

// AuthService is a fake awardtracker.AuthService.
type AuthService struct {
	RegisterFn  func(ctx context.Context, callsign, password string) (*awardtracker.User, string, error)
	LoginFromFn func(ctx context.Context, client, callsign, password string) (*awardtracker.User, string, error)
	VerifyFn    func(ctx context.Context, token string) (awardtracker.Claims, error)
}

func (s *AuthService) Register(ctx context.Context, callsign, password string) (*awardtracker.User, string, error) {
	if s.RegisterFn == nil {
		unset("AuthService.Register")
	}
	return s.RegisterFn(ctx, callsign, password)
}

func (s *AuthService) LoginFrom(ctx context.Context, client, callsign, password string) (*awardtracker.User, string, error) {
	if s.LoginFromFn == nil {
		unset("AuthService.LoginFrom")
	}
	return s.LoginFromFn(ctx, client, callsign, password)
}

func (s *AuthService) Verify(ctx context.Context, token string) (awardtracker.Claims, error) {
	if s.VerifyFn == nil {
		unset("AuthService.Verify")
	}
	return s.VerifyFn(ctx, token)
}
