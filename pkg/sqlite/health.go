package sqlite

import (
	"errors"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// probeInterval is how often Ping may try a write of its own while the last
// write failed: often enough that health recovers within a scrape or two,
// seldom enough that probes cannot load a struggling disk.
const probeInterval = time.Second

// Reasons a write failed, the values of the reason label of
// awardtracker_db_write_failures_total: a fixed set, whatever the error.
const (
	reasonFileGone = "file_gone" // the file was deleted or replaced; the write was refused
	reasonDiskFull = "disk_full" // SQLITE_FULL: no space left (or a size limit)
	reasonIOError  = "io_error"  // SQLITE_IOERR: the operating system refused a read or write
	reasonReadOnly = "read_only" // SQLITE_READONLY or SQLITE_CANTOPEN
	reasonCorrupt  = "corrupt"   // SQLITE_CORRUPT or SQLITE_NOTADB
	reasonBusy     = "busy"      // the write lock stayed taken (another process) past the busy timeout
)

// failureReasons lists every reason, so that each series exists from the
// start (a counter that appears only on its first failure hides it from
// rate()).
var failureReasons = []string{reasonFileGone, reasonDiskFull, reasonIOError, reasonReadOnly, reasonCorrupt, reasonBusy}

// storageFailure returns the reason a write failed when the storage, not
// the request, is to blame, and whether the failure means the database
// cannot take writes now (busy does not: the next write may well pass).
// Constraint violations, cancelled contexts and bad input return "".
func storageFailure(err error) (reason string, unwritable bool) {
	if errors.Is(err, errFileGone) {
		return reasonFileGone, true
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Code {
	case sqlite3.ErrFull:
		return reasonDiskFull, true
	case sqlite3.ErrIoErr:
		return reasonIOError, true
	case sqlite3.ErrReadonly, sqlite3.ErrCantOpen:
		return reasonReadOnly, true
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return reasonCorrupt, true
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return reasonBusy, false
	}
	return "", false
}

// writeHealth is what the last writes said about the storage.
type writeHealth struct {
	mu       sync.Mutex
	failed   error // why the last write failed; nil once one succeeds
	probedAt time.Time
	failures map[string]float64 // by reason
}

// record notes a write's outcome.
func (h *writeHealth) record(err error) {
	reason, unwritable := storageFailure(err)
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
	failures = make(map[string]float64, len(failureReasons))
	for _, r := range failureReasons {
		failures[r] = h.failures[r]
	}
	return failures, h.failed == nil
}
