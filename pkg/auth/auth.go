// Package auth registers and logs in users: it hashes passwords with bcrypt
// and issues and verifies the bearer tokens (HS256 JWTs) that the API
// accepts, and slows password guessing down (a per-account login back-off
// and a bound on concurrent bcrypt work, see throttle.go). It does not store
// anything itself; users live behind awardtracker.UserService.
//
// A token names its user by id and callsign, and Verify checks both against
// the stored user, so that a token can only ever open the account it was
// issued for (a ghost account's id given to someone else, say). That check
// and the signature's are cached per token, so that a request with a token
// seen before costs a map lookup, not a database query.
package auth

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/semaphore"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// DefaultTokenTTL is how long a token is valid.
const DefaultTokenTTL = 30 * 24 * time.Hour

// MinPasswordLength is the shortest password accepted at registration.
const MinPasswordLength = 8

// Service registers and authenticates users.
type Service struct {
	users awardtracker.UserService
	key   []byte
	ttl   time.Duration
	cost  int
	now   func() time.Time
	// dummyHash is compared against when a callsign is unknown, so that
	// login takes as long for unknown callsigns as for wrong passwords.
	dummyHash []byte

	logins  *loginThrottle // see throttle.go
	hashes  hashSlots
	metrics throttleMetrics

	verified  sync.Map // token string -> verifiedToken
	nVerified atomic.Int64
	// epoch counts ForgetUser calls; see Verify for why.
	epoch atomic.Uint64
}

// Options configure a Service.
type Options struct {
	TokenTTL   time.Duration    // default DefaultTokenTTL
	BcryptCost int              // default bcrypt.DefaultCost; tests lower it
	Now        func() time.Time // default time.Now

	// FreeLoginFailures is the number of login attempts per callsign
	// before logins back off (default DefaultFreeLoginFailures);
	// MaxLoginBackoff caps the wait (default DefaultMaxLoginBackoff).
	FreeLoginFailures int
	MaxLoginBackoff   time.Duration
	// MaxConcurrentHashes bounds bcrypt work running at once (default half
	// of GOMAXPROCS, at least 1); HashWait is how long a request waits for
	// a turn before it is refused (default DefaultHashWait; negative: it
	// does not wait).
	MaxConcurrentHashes int
	HashWait            time.Duration
	// Registerer takes the service's metrics (nil: none).
	Registerer prometheus.Registerer
	// Attempts keeps the per-account login back-off where every replica
	// of a fleet sees it (PostgreSQL); nil keeps it in this process.
	Attempts awardtracker.LoginAttemptService
}

// NewService returns a Service that signs tokens with key (at least 32 bytes).
func NewService(users awardtracker.UserService, key []byte, opts Options) (*Service, error) {
	if len(key) < 32 {
		return nil, errors.New("auth: signing key must be at least 32 bytes")
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = bcrypt.DefaultCost
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FreeLoginFailures == 0 {
		opts.FreeLoginFailures = DefaultFreeLoginFailures
	}
	if opts.MaxLoginBackoff == 0 {
		opts.MaxLoginBackoff = DefaultMaxLoginBackoff
	}
	if opts.MaxConcurrentHashes == 0 {
		opts.MaxConcurrentHashes = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if opts.HashWait == 0 {
		opts.HashWait = DefaultHashWait
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a real password"), opts.BcryptCost)
	if err != nil {
		return nil, err
	}
	m := newThrottleMetrics(opts.Registerer)
	store := opts.Attempts
	if store == nil {
		store = newMemoryAttempts()
	}
	return &Service{users: users, key: key, ttl: opts.TokenTTL, cost: opts.BcryptCost, now: opts.Now, dummyHash: dummy,
		logins:  &loginThrottle{free: opts.FreeLoginFailures, maxBackoff: opts.MaxLoginBackoff, store: store},
		hashes:  hashSlots{sem: semaphore.NewWeighted(int64(opts.MaxConcurrentHashes)), wait: opts.HashWait, refused: m.busy},
		metrics: m,
	}, nil
}

// NormalizeCallsign upper-cases and validates a callsign; the rule is the
// domain's (awardtracker.NormalizeCallsign).
func NormalizeCallsign(s string) (string, error) { return awardtracker.NormalizeCallsign(s) }

var _ awardtracker.AuthService = (*Service)(nil)

// Register creates a user and returns it with a token.
// Returns EINVALID for a bad callsign or short password, ECONFLICT if taken,
// ETOOMANY (with a RetryAfter) when too many passwords are being hashed.
func (s *Service) Register(ctx context.Context, callsign, password string) (*awardtracker.User, string, error) {
	c, err := NormalizeCallsign(callsign)
	if err != nil {
		return nil, "", err
	}
	if len(password) < MinPasswordLength {
		return nil, "", awardtracker.Errorf(awardtracker.EINVALID, "password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 { // bcrypt's limit; longer would be silently truncated
		return nil, "", awardtracker.Errorf(awardtracker.EINVALID, "password must be at most 72 bytes")
	}
	release, err := s.hashes.acquire(ctx)
	if err != nil {
		return nil, "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	release()
	if err != nil {
		return nil, "", err
	}
	u, err := s.users.CreateUser(ctx, c, hash)
	if err != nil {
		return nil, "", err
	}
	// Tokens bound to an earlier holder of this id must not stay cached.
	s.ForgetUser(u.ID)
	tok, err := s.Token(u)
	return u, tok, err
}

// Login checks a callsign and password and returns a token.
// Returns EUNAUTHORIZED for an unknown callsign or a wrong password alike,
// ETOOMANY (with the time to wait as its RetryAfter) while the callsign's
// logins back off or too many passwords are being hashed.
func (s *Service) Login(ctx context.Context, callsign, password string) (*awardtracker.User, string, error) {
	return s.LoginFrom(ctx, "", callsign, password)
}

// LoginFrom is Login for a client at the address client (as the rate limits
// see it): addresses the account logged in from before are exempt from its
// back-off (see throttle.go).
func (s *Service) LoginFrom(ctx context.Context, client, callsign, password string) (*awardtracker.User, string, error) {
	bad := awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "wrong callsign or password")
	c, err := NormalizeCallsign(callsign)
	if err != nil {
		return nil, "", bad
	}
	addr := clientPrefix(client)
	wait, ok, err := s.logins.admit(ctx, c, addr, s.now())
	if err != nil {
		return nil, "", err
	}
	if !ok {
		s.metrics.backoff.Inc()
		return nil, "", throttled(wait, "%s", retryAfterMessage(wait))
	}
	u, hash, err := s.users.FindUserByCallsign(ctx, c)
	if awardtracker.ErrorCode(err) == awardtracker.ENOTFOUND {
		hash = s.dummyHash
	} else if err != nil {
		return nil, "", err
	}
	release, err := s.hashes.acquire(ctx)
	if err != nil {
		return nil, "", err
	}
	wrong := bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil
	release()
	if wrong || u == nil {
		return nil, "", bad
	}
	// A success that cannot be recorded fails the login: the database
	// is unreachable, and the token would fail at its first use anyway.
	if err := s.logins.succeeded(ctx, c, addr); err != nil {
		return nil, "", err
	}
	tok, err := s.Token(u)
	return u, tok, err
}

// Claims are what a token says about its holder.
type Claims = awardtracker.Claims

type tokenClaims struct {
	Callsign string `json:"cs"`
	jwt.RegisteredClaims
}

// Token issues a token for u.
func (s *Service) Token(u *awardtracker.User) (string, error) {
	now := s.now()
	c := tokenClaims{
		Callsign: u.Callsign,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(u.ID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
			Issuer:    "awardtracker",
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

// Verify checks a token and returns its claims: EUNAUTHORIZED if it is not
// valid or if its user no longer exists under the callsign it names;
// the storage's error (EUNAVAILABLE) if the user cannot be looked up.
func (s *Service) Verify(ctx context.Context, token string) (Claims, error) {
	now := s.now()
	if v, ok := s.verified.Load(token); ok {
		if e := v.(verifiedToken); now.Before(e.exp) {
			return e.claims, nil
		}
		s.verified.Delete(token)
	}
	invalid := awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "invalid or expired token")
	var c tokenClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer("awardtracker"),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return Claims{}, invalid
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id <= 0 {
		return Claims{}, invalid
	}
	// The epoch is read before the lookup: if ForgetUser runs between the
	// lookup and the Store below, its Range may have missed this entry,
	// so the entry is dropped again (see the check after Store).
	epoch := s.epoch.Load()
	u, err := s.users.FindUserByID(ctx, id)
	switch {
	case awardtracker.ErrorCode(err) == awardtracker.ENOTFOUND:
		return Claims{}, invalid
	case err != nil:
		return Claims{}, err
	case u.Callsign != c.Callsign:
		return Claims{}, invalid
	}
	claims := Claims{UserID: id, Callsign: c.Callsign}
	if s.nVerified.Add(1) > maxVerified {
		s.verified.Clear()
		s.nVerified.Store(0)
	}
	exp := c.ExpiresAt.Time
	if recheck := now.Add(bindingTTL); recheck.Before(exp) {
		exp = recheck
	}
	s.verified.Store(token, verifiedToken{claims: claims, exp: exp})
	if s.epoch.Load() != epoch {
		s.verified.Delete(token)
	}
	return claims, nil
}

// ForgetUser drops the cached verifications of id's tokens: call it when
// the user with that id is created or removed, so that the next request
// checks the token against the stored user again.
func (s *Service) ForgetUser(id int64) {
	s.epoch.Add(1)
	s.verified.Range(func(k, v any) bool {
		if v.(verifiedToken).claims.UserID == id {
			s.verified.Delete(k)
		}
		return true
	})
}

// bindingTTL bounds how long a cached verification is trusted before the
// user is looked up again: a user removed behind the service's back (by SQL,
// a restored backup) loses access within it even without ForgetUser.
const bindingTTL = 5 * time.Minute

// maxVerified bounds the cache of verified tokens, which is emptied when
// it is full: parsing and checking a token (JSON, base64, HMAC) costs more
// than the rest of a cached request.
const maxVerified = 10_000

// verifiedToken is a token whose signature and claims were checked: the
// same string verifies the same way until it expires.
type verifiedToken struct {
	claims Claims
	exp    time.Time
}
