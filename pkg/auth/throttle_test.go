package auth_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// fakeClock moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// tryLogin returns "ok", "wrong" or "wait Ns".
func tryLogin(t *testing.T, s *auth.Service, client, call, password string) string {
	t.Helper()
	_, _, err := s.LoginFrom(context.Background(), client, call, password)
	switch wait := awardtracker.RetryAfterOf(err); {
	case err == nil:
		return "ok"
	case wait > 0:
		if awardtracker.ErrorCode(err) != awardtracker.ETOOMANY {
			t.Errorf("throttled with code %q, want %q", awardtracker.ErrorCode(err), awardtracker.ETOOMANY)
		}
		return fmt.Sprintf("wait %v", wait)
	case awardtracker.ErrorCode(err) == awardtracker.EUNAUTHORIZED:
		return "wrong"
	}
	t.Fatalf("unexpected error %v", err)
	return ""
}

func TestLogin_BacksOff(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	reg := prometheus.NewRegistry()
	s, err := auth.NewService(newMemUsers(), key, auth.Options{BcryptCost: bcrypt.MinCost, Now: clk.Now,
		FreeLoginFailures: 3, MaxLoginBackoff: 4 * time.Second, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Register(context.Background(), "DL1OWN", "correct horse"); err != nil {
		t.Fatal(err)
	}
	const guesser = "203.0.113.66"
	step := func(client, call, password, want string) {
		t.Helper()
		if got := tryLogin(t, s, client, call, password); got != want {
			t.Errorf("%s from %s: got %s, want %s", call, client, got, want)
		}
	}
	t.Run("Account", func(t *testing.T) {
		for range 3 {
			step(guesser, "DL1OWN", "guess", "wrong") // free
		}
		step(guesser, "DL1OWN", "guess", "wrong") // the 4th is let through, and starts the back-off
		step(guesser, "DL1OWN", "guess", "wait 1s")
		step("198.51.100.7", "DL1OWN", "correct horse", "wait 1s") // another address: the account backs off
		clk.Advance(time.Second)
		step(guesser, "DL1OWN", "guess", "wrong")
		step(guesser, "DL1OWN", "guess", "wait 2s")
		clk.Advance(2 * time.Second)
		step(guesser, "DL1OWN", "guess", "wrong")
		clk.Advance(4 * time.Second)
		step(guesser, "DL1OWN", "guess", "wrong")
		step(guesser, "DL1OWN", "guess", "wait 4s") // capped at MaxLoginBackoff
		clk.Advance(4 * time.Second)
		step("198.51.100.7", "DL1OWN", "correct horse", "ok") // resets
		for range 3 {
			step(guesser, "DL1OWN", "guess", "wrong")
		}
	})
	t.Run("OwnerNotLockedOut", func(t *testing.T) {
		// 198.51.100.7 logged in before: guesses from elsewhere do not
		// keep it out, and its logins do not reset the guesser's back-off.
		step(guesser, "DL1OWN", "guess", "wrong") // the 4th since the reset
		step(guesser, "DL1OWN", "guess", "wait 1s")
		step("198.51.100.7", "DL1OWN", "correct horse", "ok")
		step(guesser, "DL1OWN", "guess", "wait 1s")
		// An address the owner has not logged in from waits like anyone.
		step("2001:db8:1:2:aaaa::1", "DL1OWN", "correct horse", "wait 1s")
		clk.Advance(time.Second)
		step("2001:db8:1:2:aaaa::1", "DL1OWN", "correct horse", "ok")
		// Its /64 is known now; a guesser elsewhere starts from zero.
		step("2001:db8:1:2:bbbb::9", "DL1OWN", "correct horse", "ok")
		for range 3 {
			step(guesser, "DL1OWN", "guess", "wrong")
		}
		// While the guesser holds the account in back-off, another
		// address in the known /64 gets in; one in the next /64 waits.
		step(guesser, "DL1OWN", "guess", "wrong")
		step(guesser, "DL1OWN", "guess", "wait 1s")
		step("2001:db8:1:2:cccc::5", "DL1OWN", "correct horse", "ok")
		step("2001:db8:1:3::5", "DL1OWN", "correct horse", "wait 1s")
	})
	t.Run("UnknownCallsignAlike", func(t *testing.T) {
		for range 4 {
			step(guesser, "K0NONE", "guess", "wrong")
		}
		step(guesser, "K0NONE", "guess", "wait 1s")
	})
	want := `
# HELP awardtracker_auth_throttled_total Logins and registrations refused with 429 by the auth service: reason backoff (the callsign's logins back off) or busy (too many passwords hashed at once).
# TYPE awardtracker_auth_throttled_total counter
awardtracker_auth_throttled_total{reason="backoff"} 10
awardtracker_auth_throttled_total{reason="busy"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestLogin_BoundedMemory(t *testing.T) {
	defer auth.SetMaxTracked(10)()
	s := newService(t, nil)
	for i := range 30 {
		tryLogin(t, s, "", fmt.Sprintf("K%dA", i), "guess")
		if got, want := s.Tracked(), min(i+1, 10); got != want {
			t.Fatalf("after %d callsigns: tracked %d, want %d", i+1, got, want)
		}
	}
}

func TestLogin_HashSlots(t *testing.T) {
	t.Run("Refused", func(t *testing.T) {
		s, err := auth.NewService(newMemUsers(), key, auth.Options{BcryptCost: bcrypt.MinCost, MaxConcurrentHashes: 2, HashWait: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Register(context.Background(), "DL1OWN", "correct horse"); err != nil {
			t.Fatal(err)
		}
		release := s.HoldHashSlots(2)
		if got := tryLogin(t, s, "", "DL1OWN", "correct horse"); got != "wait 1s" {
			t.Errorf("login with every slot taken: got %s, want wait 1s", got)
		}
		if _, _, err := s.Register(context.Background(), "DL2NEW", "correct horse"); awardtracker.ErrorCode(err) != awardtracker.ETOOMANY {
			t.Errorf("register with every slot taken: got %v, want %s", err, awardtracker.ETOOMANY)
		}
		release()
		if got := tryLogin(t, s, "", "DL1OWN", "correct horse"); got != "ok" {
			t.Errorf("login once a slot is free: got %s, want ok", got)
		}
	})
	t.Run("Waits", func(t *testing.T) {
		s, err := auth.NewService(newMemUsers(), key, auth.Options{BcryptCost: bcrypt.MinCost, MaxConcurrentHashes: 1, HashWait: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Register(context.Background(), "DL1OWN", "correct horse"); err != nil {
			t.Fatal(err)
		}
		release := s.HoldHashSlots(1)
		done := make(chan string)
		go func() {
			_, _, err := s.Login(context.Background(), "DL1OWN", "correct horse")
			done <- fmt.Sprint(err)
		}()
		release() // the waiting login gets the slot
		if got := <-done; got != "<nil>" {
			t.Errorf("waiting login: got %s, want success", got)
		}
	})
}
