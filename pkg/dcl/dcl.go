// Package dcl downloads confirmations from the DARC Community Logbook (DCL).
//
// DARC has not published a final download API. The Client implements the
// draft contract Wavelog's in-progress code uses (spec §2.4): POST JSON
// {"key","cnf_only":"T","qsl_since","limit"} to /api/adiexport, answered by
// {"status":"ok","adif":"..."}. When DARC settles the contract, only this
// package should change: package syncer sees an awardtracker.DCLDownloader and an
// awardtracker.Report.
//
// It provides the Client, a Report of DCL-confirmed records (with DARC_DOK
// and DCL_QSLRDATE) and the cursor for the next download: the newest
// DCL_QSLRDATE seen. It does not obtain keys (DARC's SSO token exchange),
// upload QSOs, store anything or retry. Package dcltest is a fake DCL.
package dcl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/redact"
)

// DefaultURL is the draft's endpoint. Tests and the demo always override it.
const DefaultURL = "https://dings.dcl.darc.de/api/adiexport"

// FirstSince is the qsl_since of a first, full download.
const FirstSince = "1900-01-01"

// Defaults.
const (
	DefaultLimit   = 400000 // records per download, as Wavelog asks for
	DefaultTimeout = 30 * time.Minute
	DefaultMaxBody = 256 << 20
)

// The classes of failure; every error carries one of them (errors.Is), and
// each carries its awardtracker.UpstreamCode, which is all the syncer looks
// at.
var (
	// ErrAuth: DCL refused the key (HTTP 401 or 403).
	ErrAuth = awardtracker.UpstreamClass("dcl: key rejected", awardtracker.UpstreamAuth)
	// ErrRateLimited: HTTP 429.
	ErrRateLimited = awardtracker.UpstreamClass("dcl: rate limited", awardtracker.UpstreamRateLimited)
	// ErrUnexpected: an answer that does not follow the contract.
	ErrUnexpected = awardtracker.UpstreamClass("dcl: unexpected answer", awardtracker.UpstreamUnexpected)
	// ErrRedirect: DCL answered with a redirect, which is refused so that
	// the key is never sent on. It is an ErrUnexpected too.
	ErrRedirect = awardtracker.UpstreamClass("dcl: redirect refused", awardtracker.UpstreamRedirect, ErrUnexpected)
	// ErrTooLarge: the answer is larger than Options.MaxBody. It is an
	// ErrUnexpected too.
	ErrTooLarge = awardtracker.UpstreamClass("dcl: answer too large", awardtracker.UpstreamTooLarge, ErrUnexpected)
	// ErrUnavailable: transport failure, timeout or HTTP 5xx.
	ErrUnavailable = awardtracker.UpstreamClass("dcl: unavailable", awardtracker.UpstreamUnavailable)
)

// Options configure a Client. The zero value talks to DefaultURL.
type Options struct {
	URL        string
	HTTPClient *http.Client // used as is when set
	Version    string       // User-Agent "awardtracker/<version>"
	Limit      int          // "limit" sent with each request (default DefaultLimit)
	Timeout    time.Duration
	// MaxBody bounds the answer: the whole ADIF comes inside one JSON
	// string, so it has to be held in memory (default DefaultMaxBody).
	MaxBody int64
}

// Client downloads DCL confirmations. It is safe for concurrent use.
type Client struct {
	url       string
	hc        *http.Client
	userAgent string
	limit     int
	timeout   time.Duration
	maxBody   int64
}

// New returns a Client.
func New(opts Options) *Client {
	c := &Client{url: opts.URL, hc: opts.HTTPClient, limit: opts.Limit, timeout: opts.Timeout, maxBody: opts.MaxBody}
	if c.url == "" {
		c.url = DefaultURL
	}
	if c.hc == nil {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		c.hc = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, DialContext: d.DialContext,
			TLSHandshakeTimeout: 30 * time.Second, ResponseHeaderTimeout: 10 * time.Minute,
			IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true,
		}}
	} else {
		hc := *c.hc // a copy: the caller's client keeps its own redirect policy
		c.hc = &hc
	}
	c.hc.CheckRedirect = refuseRedirect
	if c.limit <= 0 {
		c.limit = DefaultLimit
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	v := opts.Version
	if v == "" {
		v = "dev"
	}
	c.userAgent = "awardtracker/" + v
	return c
}

// refuseRedirect makes the client hand back a redirect instead of following
// it: on a 307 or 308 Go would POST the body, with the key, again to
// whatever host the Location names. The export endpoint answers directly, so
// every redirect is refused and reported as ErrUnexpected.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// URL returns the endpoint the client downloads from.
func (c *Client) URL() string { return c.url }

// ExportRequest is the body of an adiexport call.
type ExportRequest struct {
	Key      string `json:"key"`
	CnfOnly  string `json:"cnf_only"`  // "T": confirmed QSOs only
	QSLSince string `json:"qsl_since"` // YYYY-MM-DD
	Limit    int    `json:"limit"`
}

// ExportResponse is the answer of an adiexport call.
type ExportResponse struct {
	Status  string `json:"status"`
	ADIF    string `json:"adif"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Download is Fetch for the syncer: it implements
// awardtracker.DCLDownloader.
func (c *Client) Download(ctx context.Context, key, since string) (awardtracker.Report, error) {
	rep, err := c.Fetch(ctx, key, since)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return rep, nil
}

var _ awardtracker.DCLDownloader = (*Client)(nil)

// Fetch fetches the QSOs DCL confirmed on or after since (YYYY-MM-DD;
// empty means FirstSince). Errors carry ErrAuth, ErrRateLimited,
// ErrUnexpected or ErrUnavailable, or the context's error; none contains
// the key.
func (c *Client) Fetch(ctx context.Context, key, since string) (*Report, error) {
	if key == "" {
		return nil, awardtracker.Errorf(awardtracker.EINVALID, "a DCL key is required")
	}
	if since == "" {
		since = FirstSince
	}
	body, err := json.Marshal(ExportRequest{Key: key, CnfOnly: "T", QSLSince: since, Limit: c.limit})
	if err != nil {
		return nil, awardtracker.WrapError(awardtracker.EINTERNAL, "encode DCL request", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, awardtracker.WrapError(awardtracker.EINTERNAL, "bad DCL URL", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return nil, ctxErr
		}
		return nil, unavailable("cannot reach DCL", redact.Error(err, key))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return nil, ctxErr
		}
		return nil, unavailable("the connection to DCL failed", redact.Error(err, key))
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &awardtracker.Error{Code: awardtracker.EINVALID,
			Message: fmt.Sprintf("DCL rejected the key (HTTP %d)", resp.StatusCode), Err: ErrAuth}
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: "DCL is throttling requests (HTTP 429)", Err: ErrRateLimited}
	case resp.StatusCode >= 500:
		return nil, unavailable(fmt.Sprintf("DCL answered HTTP %d", resp.StatusCode), nil)
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		return nil, &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Err: ErrRedirect,
			Message: fmt.Sprintf("DCL answered something unexpected: HTTP %d redirect, refused (the key is never sent on)", resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return nil, unexpected(fmt.Sprintf("HTTP %d: %s", resp.StatusCode, quote(raw, key)), nil)
	case int64(len(raw)) > c.maxBody:
		return nil, &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Err: ErrTooLarge,
			Message: fmt.Sprintf("DCL answered something unexpected: the answer is larger than %d bytes", c.maxBody)}
	}
	var er ExportResponse
	if err := json.Unmarshal(raw, &er); err != nil {
		return nil, unexpected("not the JSON the contract describes: "+quote(raw, key), redact.Error(err, key))
	}
	if er.Status != "ok" {
		detail := strings.TrimSpace(er.Message + " " + er.Error)
		return nil, unexpected("status "+quote([]byte(er.Status), key)+" "+quote([]byte(detail), key), nil)
	}
	return NewReport(er.ADIF)
}

// Report is a DCL answer. Unlike a LoTW report it is in memory already (it
// came inside one JSON string), so NewReport checks it whole up front.
type Report struct {
	adif    string
	cursor  string
	records int // records in the ADIF, confirmed or not
	n       int
	skipped int
}

// NewReport reads the ADIF text of a DCL answer (or of DCL's manual export).
// It returns ErrUnexpected if the text is not well-formed ADIF.
func NewReport(text string) (*Report, error) {
	r := &Report{adif: text}
	if strings.TrimSpace(text) == "" {
		return r, nil
	}
	ar := adif.NewReader(strings.NewReader(text))
	for {
		rec, err := ar.Next()
		if err == io.EOF {
			return r, nil
		}
		if err != nil {
			return nil, unexpected("malformed ADIF", err)
		}
		r.records++
		if d := qslDate(rec); d > r.cursor && confirmed(rec) {
			r.cursor = d
		}
	}
}

// Cursor is the qsl_since for the next download: the newest DCL_QSLRDATE of
// a confirmed record, as YYYY-MM-DD; "" when there is none.
func (r *Report) Cursor() string { return r.cursor }

// Fetched is how many records Records has read so far, confirmed or not.
func (r *Report) Fetched() int { return r.n }

// Skipped is how many records Records left out as not DCL-confirmed.
func (r *Report) Skipped() int { return r.skipped }

// CursorProblem is always "": a DCL cursor is computed, not sent.
func (r *Report) CursorProblem() string { return "" }

// Close releases nothing; it is there so that a Report can be used as a
// LoTW one is.
func (r *Report) Close() error { return nil }

// Records yields the DCL-confirmed records as QSOs (with their DOK); a
// record that does not normalise is yielded with its Err set. Records DCL
// sent without a confirmation are skipped: only confirmed records carry
// DCL_QSL_RCVD, and an unconfirmed one would otherwise be added to the log
// as a new QSO.
func (r *Report) Records() iter.Seq2[awardtracker.ImportRecord, error] {
	return func(yield func(awardtracker.ImportRecord, error) bool) {
		r.n, r.skipped = 0, 0
		if strings.TrimSpace(r.adif) == "" {
			return
		}
		ar := adif.NewReader(strings.NewReader(r.adif))
		for {
			rec, err := ar.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(awardtracker.ImportRecord{}, unexpected("malformed ADIF", err))
				return
			}
			r.n++
			q, err := adif.ToQSO(rec, awardtracker.SourceDCL)
			if err == nil && !q.DCLConfirmed {
				r.skipped++
				continue
			}
			if !yield(awardtracker.ImportRecord{Index: r.n, QSO: q, Err: err}, nil) {
				return
			}
		}
	}
}

func confirmed(rec adif.Record) bool {
	return strings.EqualFold(strings.TrimSpace(rec.Get("DCL_QSL_RCVD")), "Y")
}

// qslDate returns DCL_QSLRDATE as YYYY-MM-DD, or "".
func qslDate(rec adif.Record) string {
	d := strings.TrimSpace(rec.Get("DCL_QSLRDATE"))
	t, err := time.Parse("20060102", d)
	if err != nil {
		return ""
	}
	return t.Format("2006-01-02")
}

func unavailable(msg string, cause error) error {
	err := ErrUnavailable
	if cause != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, cause)
	}
	return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: "DCL unavailable: " + msg, Err: err}
}

func unexpected(msg string, cause error) error {
	err := ErrUnexpected
	if cause != nil {
		err = fmt.Errorf("%w: %w", ErrUnexpected, cause)
	}
	return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: "DCL answered something unexpected: " + msg, Err: err}
}

// quote returns a short printable prefix of b, quoted, for an error
// message; nothing of b when it holds the key in any spelling (an answer
// echoing the request, see package redact).
func quote(b []byte, key string) string {
	s, ok := redact.Snippet(b[:min(len(b), 64<<10)], 80, key)
	if !ok {
		return "(not quoted: it echoes the request)"
	}
	return strconv.Quote(s)
}
