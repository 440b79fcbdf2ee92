package auth

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Password guessing is slowed down in two ways on top of the API's
// per-address rate limits, which a guesser with many addresses escapes:
//
// Per account, logins back off. The first FreeLoginFailures attempts after
// the last success are free; each later one must wait twice as long as the
// one before (1 s, 2 s, 4 s … at most MaxLoginBackoff) and is answered 429
// with Retry-After until then, without a password comparison. An attempt is
// counted when it is let through, not when it has failed, so that a burst of
// concurrent guesses cannot all pass the same open slot; a success resets
// the count (see succeeded). Unknown callsigns are throttled alike, so that the answers do
// not tell which accounts exist.
//
// The back-off must not become a lock-out a guesser can impose on the owner:
// an address the account logged in from successfully (the last few are
// remembered) is exempt, so the owner at home is not kept out by guesses
// from elsewhere, and the wait is capped. An owner on a new address while
// someone guesses waits at most MaxLoginBackoff.
//
// The state is per process by default (one SQLite process has no one to
// share it with), its memory bounded: at most maxTrackedAccounts callsigns
// are tracked, the least recently seen forgotten first. With
// Options.Attempts (PostgreSQL) it lives in the database, so that a fleet
// of N replicas gives a guesser the attempts of one, not N times as many.
//
// Separately, bcrypt runs for at most MaxConcurrentHashes requests at once
// (a semaphore); others wait up to HashWait and are then refused with 429,
// so that a flood of logins, right or wrong, cannot take every core from
// the rest of the API.
const (
	DefaultFreeLoginFailures = 5
	DefaultMaxLoginBackoff   = 5 * time.Minute
	DefaultHashWait          = 2 * time.Second

	firstBackoff     = time.Second
	goodAddrsPerUser = 4
)

// maxTrackedAccounts bounds the throttle's memory (about 200 bytes a
// callsign). A variable so that tests can make it small.
var maxTrackedAccounts = 100_000

// throttleMetrics counts refusals:
//
//	awardtracker_auth_throttled_total{reason="backoff"}  logins refused while their callsign backs off
//	awardtracker_auth_throttled_total{reason="busy"}     logins and registrations refused for want of a bcrypt slot
type throttleMetrics struct {
	backoff, busy prometheus.Counter
}

func newThrottleMetrics(reg prometheus.Registerer) throttleMetrics {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "awardtracker_auth_throttled_total",
		Help: "Logins and registrations refused with 429 by the auth service: reason backoff (the callsign's logins back off) or busy (too many passwords hashed at once).",
	}, []string{"reason"})
	if reg != nil {
		reg.MustRegister(v)
	}
	return throttleMetrics{backoff: v.WithLabelValues("backoff"), busy: v.WithLabelValues("busy")}
}

// throttled is the error for a login or registration that must wait: code
// ETOOMANY, with the wait as its RetryAfter (see awardtracker.RetryAfterOf).
func throttled(wait time.Duration, format string, args ...any) *awardtracker.Error {
	e := awardtracker.Errorf(awardtracker.ETOOMANY, format, args...)
	e.RetryAfter = wait
	return e
}

// loginThrottle is the per-account back-off. Its rules are here; the
// state lives in store: this process's memory (memoryAttempts), or the
// database that a fleet's replicas share.
type loginThrottle struct {
	free       int
	maxBackoff time.Duration
	store      awardtracker.LoginAttemptService
}

// memoryAttempts keeps the back-off in this process, the least recently
// seen callsign forgotten first beyond maxTrackedAccounts.
type memoryAttempts struct {
	mu       sync.Mutex
	accounts *simplelru.LRU[string, *awardtracker.LoginAttempts]
}

var _ awardtracker.LoginAttemptService = (*memoryAttempts)(nil)

func newMemoryAttempts() *memoryAttempts {
	lru, err := simplelru.NewLRU[string, *awardtracker.LoginAttempts](maxTrackedAccounts, nil)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &memoryAttempts{accounts: lru}
}

// UpdateLoginAttempts implements awardtracker.LoginAttemptService: fn
// works on a copy, kept only when fn returns nil.
func (m *memoryAttempts) UpdateLoginAttempts(_ context.Context, callsign string, fn func(*awardtracker.LoginAttempts) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, found := m.accounts.Get(callsign)
	if !found {
		a = &awardtracker.LoginAttempts{}
		m.accounts.Add(callsign, a)
	}
	next := *a
	next.Good = slices.Clone(a.Good)
	if err := fn(&next); err != nil {
		return err
	}
	*a = next
	return nil
}

// admit lets an attempt for callsign from client through and counts it, or
// says how long to wait.
func (t *loginThrottle) admit(ctx context.Context, callsign string, client netip.Prefix, now time.Time) (wait time.Duration, ok bool, err error) {
	err = t.store.UpdateLoginAttempts(ctx, callsign, func(a *awardtracker.LoginAttempts) error {
		if client.IsValid() && slices.Contains(a.Good, client.String()) {
			ok = true
			return nil
		}
		if now.Before(a.Next) {
			wait = a.Next.Sub(now)
			return nil
		}
		a.Attempts++
		if over := a.Attempts - t.free; over > 0 {
			a.Next = now.Add(t.backoff(over))
		}
		ok = true
		return nil
	})
	return wait, ok, err
}

// backoff is the wait after the n-th attempt beyond the free ones.
func (t *loginThrottle) backoff(n int) time.Duration {
	d := firstBackoff
	for i := 1; i < n && d < t.maxBackoff; i++ {
		d *= 2
	}
	return min(d, t.maxBackoff)
}

// succeeded remembers client as one of callsign's owner's addresses and
// resets the count, unless client was known already: then the login did not
// pass through the back-off, and an owner who logs in often from home must
// not hand a guesser elsewhere fresh free attempts each time.
func (t *loginThrottle) succeeded(ctx context.Context, callsign string, client netip.Prefix) error {
	return t.store.UpdateLoginAttempts(ctx, callsign, func(a *awardtracker.LoginAttempts) error {
		if client.IsValid() && slices.Contains(a.Good, client.String()) {
			return nil
		}
		a.Attempts, a.Next = 0, time.Time{}
		if !client.IsValid() {
			return nil
		}
		if len(a.Good) >= goodAddrsPerUser {
			a.Good = a.Good[len(a.Good)-goodAddrsPerUser+1:]
		}
		a.Good = append(a.Good, client.String())
		return nil
	})
}

// clientPrefix is the address a login comes from, as the rate limits see
// it (awardtracker.ClientPrefix). Anything unparsable is no address at all
// (never exempt).
func clientPrefix(client string) netip.Prefix {
	a, err := netip.ParseAddr(client)
	if err != nil {
		return netip.Prefix{}
	}
	return awardtracker.ClientPrefix(a)
}

// hashSlots bounds concurrent bcrypt work.
type hashSlots struct {
	sem     *semaphore.Weighted
	wait    time.Duration
	refused prometheus.Counter
}

// acquire takes a slot, waiting up to the configured time; release it with
// the returned func.
func (h *hashSlots) acquire(ctx context.Context) (release func(), err error) {
	if h.wait <= 0 {
		if !h.sem.TryAcquire(1) {
			return nil, h.busy()
		}
		return func() { h.sem.Release(1) }, nil
	}
	wctx, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	if err := h.sem.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // the client went away
		}
		return nil, h.busy()
	}
	return func() { h.sem.Release(1) }, nil
}

func (h *hashSlots) busy() error {
	h.refused.Inc()
	return throttled(time.Second, "too many logins at once, try again in a second")
}

// retryAfterMessage words a wait for the client.
func retryAfterMessage(wait time.Duration) string {
	return fmt.Sprintf("too many failed logins for this callsign, try again in %ds", awardtracker.RetryAfterSeconds(wait))
}
