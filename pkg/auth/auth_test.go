package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// memUsers is an in-memory UserService: the auth rules under test do not
// depend on storage (the sqlite package has its own tests).
type memUsers struct {
	mu     sync.Mutex
	byCall map[string]*awardtracker.User
	hashes map[string][]byte
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
	u := &awardtracker.User{ID: int64(len(m.byCall) + 1), Callsign: cs}
	m.byCall[cs], m.hashes[cs] = u, h
	return u, nil
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

func (m *memUsers) FindUserByID(context.Context, int64) (*awardtracker.User, error) {
	return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "unused")
}

var key = []byte(strings.Repeat("k", 32))

func newService(t *testing.T, now func() time.Time) *auth.Service {
	t.Helper()
	s, err := auth.NewService(newMemUsers(), key, auth.Options{BcryptCost: bcrypt.MinCost, Now: now, TokenTTL: time.Hour})
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
		c, err := s.Verify(tok)
		if err != nil || c.UserID != u.ID || c.Callsign != "DL1ABC" {
			t.Errorf("Verify = %+v, %v; want user %d", c, err, u.ID)
		}
	})
	for name, tc := range map[string]struct{ call, pw, code string }{
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
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newService(t, func() time.Time { return now })
	u := &awardtracker.User{ID: 7, Callsign: "N0CALL"}
	tok, err := s.Token(u)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.NewService(newMemUsers(), []byte(strings.Repeat("x", 32)), auth.Options{BcryptCost: bcrypt.MinCost})
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
			s := newService(t, func() time.Time { return now.Add(tc.after) })
			_, err := s.Verify(tc.tok)
			if (err == nil) != tc.ok {
				t.Errorf("Verify err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if _, err := auth.NewService(newMemUsers(), []byte("short"), auth.Options{}); err == nil {
		t.Error("NewService accepted a short key")
	}
}
