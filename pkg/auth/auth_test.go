package auth_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// memUsers is an in-memory UserService: the auth rules under test do not
// depend on storage (the sqlite package has its own tests). Like SQLite, it
// gives a new user the highest id plus one, so removing the newest user
// frees its id for the next.
type memUsers struct {
	mu      sync.Mutex
	byCall  map[string]*awardtracker.User
	hashes  map[string][]byte
	lookups int   // FindUserByID calls
	down    error // when set, FindUserByID fails with it
}

func newMemUsers() *memUsers {
	return &memUsers{byCall: map[string]*awardtracker.User{}, hashes: map[string][]byte{}}
}

func (m *memUsers) CreateUser(_ context.Context, cs string, h []byte) (*awardtracker.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byCall[cs]; ok {
		return nil, awardtracker.Errorf(awardtracker.ECONFLICT, "taken")
	}
	var id int64
	for _, u := range m.byCall {
		id = max(id, u.ID)
	}
	u := &awardtracker.User{ID: id + 1, Callsign: cs}
	m.byCall[cs], m.hashes[cs] = u, h
	return u, nil
}

func (m *memUsers) remove(cs string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byCall, cs)
	delete(m.hashes, cs)
}

func (m *memUsers) FindUserByCallsign(_ context.Context, cs string) (*awardtracker.User, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byCall[cs]
	if !ok {
		return nil, nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "no user")
	}
	return u, m.hashes[cs], nil
}

func (m *memUsers) FindUserByID(_ context.Context, id int64) (*awardtracker.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups++
	if m.down != nil {
		return nil, m.down
	}
	for _, u := range m.byCall {
		if u.ID == id {
			return u, nil
		}
	}
	return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "no user")
}

var key = []byte(strings.Repeat("k", 32))

func newService(t *testing.T, now func() time.Time) *auth.Service {
	t.Helper()
	return newServiceWith(t, newMemUsers(), now)
}

func newServiceWith(t *testing.T, users *memUsers, now func() time.Time) *auth.Service {
	t.Helper()
	s, err := auth.NewService(users, key, auth.Options{BcryptCost: bcrypt.MinCost, Now: now, TokenTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestService_Register(t *testing.T) {
	ctx := context.Background()
	s := newService(t, nil)
	t.Run("OK", func(t *testing.T) {
		u, tok, err := s.Register(ctx, " dl1abc ", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if u.Callsign != "DL1ABC" {
			t.Errorf("callsign = %q, want DL1ABC", u.Callsign)
		}
		c, err := s.Verify(ctx, tok)
		if err != nil || c.UserID != u.ID || c.Callsign != "DL1ABC" {
			t.Errorf("Verify = %+v, %v; want user %d", c, err, u.ID)
		}
	})
	for name, tc := range map[string]struct {
		call, pw string
		code     awardtracker.Code
	}{
		"ErrConflict":      {"DL1ABC", "correct horse", awardtracker.ECONFLICT},
		"ErrBadCallsign":   {"not a call", "correct horse", awardtracker.EINVALID},
		"ErrEmptyCallsign": {"", "correct horse", awardtracker.EINVALID},
		"ErrShortPassword": {"DL2XYZ", "short", awardtracker.EINVALID},
		"ErrLongPassword":  {"DL2XYZ", strings.Repeat("p", 73), awardtracker.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.Register(ctx, tc.call, tc.pw)
			if got := awardtracker.ErrorCode(err); got != tc.code {
				t.Errorf("code = %q, want %q (err %v)", got, tc.code, err)
			}
		})
	}
}

func TestService_Login(t *testing.T) {
	ctx := context.Background()
	s := newService(t, nil)
	if _, _, err := s.Register(ctx, "N0CALL", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if _, tok, err := s.Login(ctx, "n0call", "correct horse"); err != nil || tok == "" {
		t.Fatalf("Login = %q, %v; want a token", tok, err)
	}
	for name, tc := range map[string]struct{ call, pw string }{
		"ErrWrongPassword": {"N0CALL", "wrong horse!"},
		"ErrUnknownUser":   {"K1ABC", "correct horse"},
		"ErrBadCallsign":   {"<script>", "correct horse"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.Login(ctx, tc.call, tc.pw)
			if got := awardtracker.ErrorCode(err); got != awardtracker.EUNAUTHORIZED {
				t.Errorf("code = %q, want %q", got, awardtracker.EUNAUTHORIZED)
			}
		})
	}
}

func TestService_Verify(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	users := newMemUsers()
	u, err := users.CreateUser(ctx, "N0CALL", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := newServiceWith(t, users, func() time.Time { return now }).Token(u)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.NewService(users, []byte(strings.Repeat("x", 32)), auth.Options{BcryptCost: bcrypt.MinCost})
	otherTok, _ := other.Token(u)
	for name, tc := range map[string]struct {
		tok   string
		after time.Duration
		ok    bool
	}{
		"OK":              {tok, 0, true},
		"ErrExpired":      {tok, 2 * time.Hour, false},
		"ErrOtherKey":     {otherTok, 0, false},
		"ErrGarbage":      {"abc.def.ghi", 0, false},
		"ErrEmpty":        {"", 0, false},
		"ErrTamperedBody": {tok[:len(tok)-2] + "xx", 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServiceWith(t, users, func() time.Time { return now.Add(tc.after) })
			_, err := s.Verify(ctx, tc.tok)
			if (err == nil) != tc.ok {
				t.Errorf("Verify err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if _, err := auth.NewService(newMemUsers(), []byte("short"), auth.Options{}); err == nil {
		t.Error("NewService accepted a short key")
	}
}

// TestService_Verify_BoundToAccount: a token opens only the account it was
// issued for, even when its user id now belongs to someone else.
func TestService_Verify_BoundToAccount(t *testing.T) {
	ctx := context.Background()
	unauthorized := func(t *testing.T, s *auth.Service, tok, what string) {
		t.Helper()
		if c, err := s.Verify(ctx, tok); awardtracker.ErrorCode(err) != awardtracker.EUNAUTHORIZED {
			t.Errorf("%s: Verify = %+v, %v; want unauthorized", what, c, err)
		}
	}
	t.Run("ErrGhostAccount", func(t *testing.T) {
		// A token issued for a user that was never stored (the sign-up's
		// write was lost); the next sign-up gets its id.
		users := newMemUsers()
		s := newServiceWith(t, users, nil)
		ghost, err := s.Token(&awardtracker.User{ID: 1, Callsign: "N0GHST"})
		if err != nil {
			t.Fatal(err)
		}
		unauthorized(t, s, ghost, "the ghost's token before anyone has its id")
		u, tok, err := s.Register(ctx, "N0REAL", "correct horse")
		if err != nil || u.ID != 1 {
			t.Fatalf("Register = %+v, %v; want id 1", u, err)
		}
		unauthorized(t, s, ghost, "the ghost's token for the next user's id")
		if c, err := s.Verify(ctx, tok); err != nil || c.UserID != 1 || c.Callsign != "N0REAL" {
			t.Errorf("the real user's token: %+v, %v; want user 1 N0REAL", c, err)
		}
	})
	t.Run("ErrIDReusedAfterCaching", func(t *testing.T) {
		users := newMemUsers()
		s := newServiceWith(t, users, nil)
		_, old, err := s.Register(ctx, "N0OLD", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(ctx, old); err != nil { // now cached
			t.Fatal(err)
		}
		users.remove("N0OLD")
		if u, _, err := s.Register(ctx, "N0NEW", "correct horse"); err != nil || u.ID != 1 {
			t.Fatalf("Register = %+v, %v; want the freed id 1", u, err)
		}
		unauthorized(t, s, old, "a cached token whose id was given to another user")
	})
	t.Run("ErrUserRemovedBehindTheService", func(t *testing.T) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		users := newMemUsers()
		s := newServiceWith(t, users, func() time.Time { return now })
		_, tok, err := s.Register(ctx, "N0CALL", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		users.remove("N0CALL") // no ForgetUser: the cache trusts it a while
		now = now.Add(5 * time.Minute)
		unauthorized(t, s, tok, "five minutes after the user was removed")
	})
	t.Run("Cached", func(t *testing.T) {
		users := newMemUsers()
		s := newServiceWith(t, users, nil)
		_, tok, err := s.Register(ctx, "N0CALL", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := s.Verify(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if users.lookups != 1 {
			t.Errorf("3 verifications looked the user up %d times, want 1", users.lookups)
		}
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		users := newMemUsers()
		s := newServiceWith(t, users, nil)
		_, tok, err := s.Register(ctx, "N0CALL", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		users.down = awardtracker.Errorf(awardtracker.EUNAVAILABLE, "database unavailable")
		if _, err := s.Verify(ctx, tok); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
			t.Errorf("Verify with the storage down: %v, want unavailable", err)
		}
		users.down = nil
		if _, err := s.Verify(ctx, tok); err != nil {
			t.Errorf("Verify with the storage back: %v", err)
		}
	})
}

// TestService_ForgetUser_Concurrent runs verifications against ForgetUser
// and re-registrations under the race detector: once a user's id belongs
// to someone else, no earlier token of that id verifies.
func TestService_ForgetUser_Concurrent(t *testing.T) {
	ctx := context.Background()
	users := newMemUsers()
	s := newServiceWith(t, users, nil)
	for i := range 20 {
		call := fmt.Sprintf("N%dOLD", i)
		_, tok, err := s.Register(ctx, call, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
					_, _ = s.Verify(ctx, tok)
				}
			}
		}()
		users.remove(call)
		if _, _, err := s.Register(ctx, fmt.Sprintf("N%dNEW", i), "correct horse"); err != nil {
			t.Fatal(err)
		}
		close(stop)
		<-done
		if c, err := s.Verify(ctx, tok); err == nil {
			t.Fatalf("round %d: %s's token verified as %+v after its id was reused", i, call, c)
		}
		users.remove(fmt.Sprintf("N%dNEW", i))
	}
}

// BenchmarkVerify_Cached is the per-request cost of a bearer token already
// seen: what every authenticated request pays (make bench row 3).
func BenchmarkVerify_Cached(b *testing.B) {
	ctx := context.Background()
	s, err := auth.NewService(newMemUsers(), key, auth.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	_, tok, err := s.Register(ctx, "N0CALL", "correct horse")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
