package awardtracker

import (
	"context"
	"time"
)

// User is an account. Callsigns are stored upper-case.
type User struct {
	ID        int64     `json:"id"`
	Callsign  string    `json:"callsign"`
	CreatedAt time.Time `json:"createdAt"`
}

// UserService manages accounts.
type UserService interface {
	// CreateUser stores a new user with an already hashed password.
	// Returns ECONFLICT if the callsign is taken.
	CreateUser(ctx context.Context, callsign string, passwordHash []byte) (*User, error)
	// FindUserByCallsign returns the user and its password hash.
	// Returns ENOTFOUND if there is none.
	FindUserByCallsign(ctx context.Context, callsign string) (*User, []byte, error)
	// FindUserByID returns ENOTFOUND if there is no such user.
	FindUserByID(ctx context.Context, id int64) (*User, error)
}
