package auth

import "context"

// HoldHashSlots takes every bcrypt slot until release is called, as a
// flood of logins would.
func (s *Service) HoldHashSlots(n int) (release func()) {
	if err := s.hashes.sem.Acquire(context.Background(), int64(n)); err != nil {
		panic(err)
	}
	return func() { s.hashes.sem.Release(int64(n)) }
}

// Tracked is the number of callsigns the login throttle holds.
func (s *Service) Tracked() int {
	m := s.logins.store.(*memoryAttempts)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.accounts.Len()
}

// SetMaxTracked bounds the login throttle of services created afterwards.
func SetMaxTracked(n int) (restore func()) {
	old := maxTrackedAccounts
	maxTrackedAccounts = n
	return func() { maxTrackedAccounts = old }
}
