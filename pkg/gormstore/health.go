package gormstore

import (
	"sync"
	"time"
)

// probeInterval is how often Ping may try a write of its own while the last
// write failed: often enough that health recovers within a scrape or two,
// seldom enough that probes cannot load a struggling disk.
const probeInterval = time.Second

// Reasons a write failed, the values of the reason label of
// awardtracker_db_write_failures_total: a fixed set, whatever the engine
// and the error (Dialect.StorageFailure maps driver errors onto them).
const (
	ReasonFileGone = "file_gone" // the file was deleted or replaced; the write was refused
	ReasonDiskFull = "disk_full" // no space left (or a size limit)
	ReasonIOError  = "io_error"  // the operating system refused a read or write
	ReasonReadOnly = "read_only" // the database (or file) is read-only or cannot be opened
	ReasonCorrupt  = "corrupt"   // the engine found its data corrupt
	ReasonBusy     = "busy"      // a lock stayed taken past the engine's timeout
)

// FailureReasons lists every reason, so that each series exists from the
// start (a counter that appears only on its first failure hides it from
// rate()).
var FailureReasons = []string{ReasonFileGone, ReasonDiskFull, ReasonIOError, ReasonReadOnly, ReasonCorrupt, ReasonBusy}

// writeHealth is what the last writes said about the storage.
type writeHealth struct {
	// reason classifies an error (Dialect.StorageFailure).
	reason   func(error) (string, bool)
	mu       sync.Mutex
	failed   error // why the last write failed; nil once one succeeds
	probedAt time.Time
	failures map[string]float64 // by reason
}

// record notes a write's outcome.
func (h *writeHealth) record(err error) {
	var reason string
	var unwritable bool
	if err != nil && h.reason != nil {
		reason, unwritable = h.reason(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		// Writes work: the next failure may be probed at once.
		h.failed, h.probedAt = nil, time.Time{}
	case reason != "":
		if h.failures == nil {
			h.failures = map[string]float64{}
		}
		h.failures[reason]++
		if unwritable {
			h.failed = err
		}
	}
}

// failure returns why the last write failed, nil if it did not.
func (h *writeHealth) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

// probeDue reports whether Ping may probe with a write at now, and if so
// counts the probe as made.
func (h *writeHealth) probeDue(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.probedAt.IsZero() && now.Sub(h.probedAt) < probeInterval {
		return false
	}
	h.probedAt = now
	return true
}

// snapshot returns the failure counts and whether writes work.
func (h *writeHealth) snapshot() (failures map[string]float64, writable bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	failures = make(map[string]float64, len(FailureReasons))
	for _, r := range FailureReasons {
		failures[r] = h.failures[r]
	}
	return failures, h.failed == nil
}
