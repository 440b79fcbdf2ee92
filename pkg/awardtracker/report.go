package awardtracker

import (
	"context"
	"errors"
	"iter"
	"time"
)

// Report is one download from an upstream (LoTW, DCL), ready to apply. The
// syncer applies its records in one transaction and moves the source's
// cursor only when the whole report was read.
type Report interface {
	// Records yields every record as a confirmed QSO (a record that does
	// not normalise carries its Err). If the download turns out incomplete
	// the last pair carries an error with an UpstreamCode, so that the
	// transaction consuming the stream rolls back. It can be ranged over
	// once.
	Records() iter.Seq2[ImportRecord, error]
	// Cursor is the "since" value of the next download once every record
	// was applied; "" when the report has none (the caller keeps its own).
	Cursor() string
	// CursorProblem says why a report with records has no Cursor, for a
	// warning; "" when there is none.
	CursorProblem() string
	// Fetched is how many records Records has read so far.
	Fetched() int
	// Close releases the connection or spool file; safe to call twice.
	Close() error
}

// LoTWDownloader downloads a user's LoTW confirmations.
type LoTWDownloader interface {
	// Download asks for the confirmations LoTW matched or updated on or
	// after since (a LoTW cursor; "" means everything). The caller closes
	// the report. Errors carry an UpstreamCode, or are the context's.
	Download(ctx context.Context, login, password, since string) (Report, error)
}

// DCLDownloader downloads a user's DCL confirmations; see LoTWDownloader.
type DCLDownloader interface {
	Download(ctx context.Context, key, since string) (Report, error)
}

// UpstreamCode is the class of a failed download. Every error an upstream
// client returns (other than the context's) holds exactly one in its chain,
// under an *Error whose Code says what the HTTP layer makes of it; the
// syncer decides back-off and retries by the class alone, without knowing
// which client failed.
type UpstreamCode string

// The classes of upstream failure.
const (
	// UpstreamAuth: the login or key was rejected; retrying with the same
	// credentials will not help.
	UpstreamAuth UpstreamCode = "auth_rejected"
	// UpstreamRateLimited: the upstream asks us to slow down (LoTW's "Page
	// Request Limit!", HTTP 429). Back off for hours.
	UpstreamRateLimited UpstreamCode = "rate_limited"
	// UpstreamTruncated: the report is incomplete. Retry later.
	UpstreamTruncated UpstreamCode = "truncated"
	// UpstreamTooLarge: the report is over the configured bound; nothing of
	// it was applied.
	UpstreamTooLarge UpstreamCode = "too_large"
	// UpstreamRedirect: the upstream answered with a redirect, which is
	// refused so that credentials are never sent on to another host.
	UpstreamRedirect UpstreamCode = "redirect_refused"
	// UpstreamUnexpected: an answer that is not what the protocol promises.
	UpstreamUnexpected UpstreamCode = "unexpected"
	// UpstreamUnavailable: transport failure, timeout or HTTP 5xx.
	UpstreamUnavailable UpstreamCode = "unavailable"
)

func (c UpstreamCode) Error() string { return "upstream: " + string(c) }

// UpstreamCodeOf returns the first UpstreamCode in err's chain, "" if there
// is none.
func UpstreamCodeOf(err error) UpstreamCode {
	var c UpstreamCode
	if errors.As(err, &c) {
		return c
	}
	return ""
}

// LoTWCursorLayout is the layout of LoTW's APP_LoTW_LASTQSL and of stored
// LoTW cursors.
const LoTWCursorLayout = "2006-01-02 15:04:05"

// ValidLoTWCursor reports whether s can be sent to LoTW as qso_qslsince: a
// "YYYY-MM-DD HH:MM:SS" (or a bare "YYYY-MM-DD") in UTC that is not after
// now. LoTW's clock and ours may differ by a little; a LASTQSL refused for
// that costs one repeated download of the newest records, nothing more.
func ValidLoTWCursor(s string, now time.Time) bool {
	t, err := time.Parse(LoTWCursorLayout, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return false
		}
	}
	return !t.After(now)
}

// UpstreamClass returns a sentinel error for one of an upstream client's
// failure classes (lotw.ErrAuth, dcl.ErrRateLimited...): its text is text,
// and it carries code (UpstreamCodeOf) and is each of parents (errors.Is),
// so that the client's own tests keep their sentinels and the syncer needs
// only the code.
func UpstreamClass(text string, code UpstreamCode, parents ...error) error {
	return &upstreamClass{text: text, wrapped: append([]error{code}, parents...)}
}

type upstreamClass struct {
	text    string
	wrapped []error // the code first, so that errors.As finds it before a parent's
}

func (c *upstreamClass) Error() string   { return c.text }
func (c *upstreamClass) Unwrap() []error { return c.wrapped }
