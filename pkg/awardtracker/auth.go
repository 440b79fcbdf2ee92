package awardtracker

import (
	"context"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// callsignRE accepts amateur callsigns including portable forms (DL/N0CALL/P).
var callsignRE = regexp.MustCompile(`^[A-Z0-9]{1,8}(/[A-Z0-9]{1,8}){0,2}$`)

// NormalizeCallsign upper-cases and validates a callsign. Returns EINVALID
// for anything that is not a callsign.
func NormalizeCallsign(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if !callsignRE.MatchString(c) {
		return "", Errorf(EINVALID, "invalid callsign %q", s)
	}
	return c, nil
}

// Claims are what a bearer token says about its holder.
type Claims struct {
	UserID   int64
	Callsign string
}

// AuthService registers users and issues and checks bearer tokens.
type AuthService interface {
	// Register creates a user and returns it with a token. Returns
	// EINVALID for a bad callsign or password, ECONFLICT if the callsign
	// is taken, ETOOMANY (with RetryAfter) when it must wait.
	Register(ctx context.Context, callsign, password string) (*User, string, error)
	// LoginFrom checks a password for a login from client (an address, for
	// the per-client back-off) and returns the user with a token. Returns
	// EUNAUTHORIZED for wrong credentials, ETOOMANY (with RetryAfter) after
	// too many failures.
	LoginFrom(ctx context.Context, client, callsign, password string) (*User, string, error)
	// Verify checks a token and returns its claims: EUNAUTHORIZED if it is
	// not valid or its user is gone; EUNAVAILABLE if the user cannot be
	// looked up.
	Verify(ctx context.Context, token string) (Claims, error)
}

// ClientPrefix is the network a client is known by, to the rate limits and
// to the login back-off alike: an IPv4 address by itself, an IPv6 address by
// its /64 (one host may use any address in it). An IPv4 peer on a
// dual-stack socket arrives as ::ffff:a.b.c.d and counts as IPv4: its /64
// would put every IPv4 client in one. The zero Addr gives the zero Prefix.
func ClientPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := a.BitLen()
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits) // bits is never beyond a's length
	return p
}

// LoginAttempts is the login back-off of one callsign (package auth keeps
// its rules).
type LoginAttempts struct {
	Attempts int       // attempts let through since the last success
	Next     time.Time // no attempt before this; zero: none pending
	Good     []string  // client prefixes that logged in successfully, oldest first
}

// LoginAttemptService keeps every callsign's login back-off where all the
// replicas of a fleet see it, so that N replicas do not give a guesser N
// times the attempts.
type LoginAttemptService interface {
	// UpdateLoginAttempts calls fn with callsign's back-off (zero when
	// none is kept) and keeps what fn leaves in it. Concurrent updates of
	// one callsign, from any replica, run one after the other. An error of
	// fn keeps nothing and is returned; EUNAVAILABLE when the storage
	// cannot be reached. fn must not block: it runs inside a transaction.
	UpdateLoginAttempts(ctx context.Context, callsign string, fn func(*LoginAttempts) error) error
}
