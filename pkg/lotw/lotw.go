// Package lotw downloads confirmations from ARRL Logbook of the World
// (lotwreport.adi) and classifies every answer the service gives.
//
// It provides a Client that speaks the real protocol (spec §1: GET with the
// login in the query, HTTP/1.1, an explicit User-Agent, a short connect and a
// long idle timeout) and a Report that streams the body record by record, so
// that a 100,000-record download is never held in memory whole. A Report
// tells a complete answer from a truncated one, so that the caller applies
// it, and advances its cursor, only when it is complete.
//
// It does not store anything, retry, or schedule downloads: package syncer
// does that. Uploads, the DXCC-credit endpoint and the user-activity CSV are
// not implemented. Package lotwtest is a fake LoTW for tests.
package lotw

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/redact"
	"github.com/awardtracker/awardtracker/pkg/spool"
)

// DefaultURL is the production endpoint. Tests and the demo always override it.
const DefaultURL = "https://lotw.arrl.org/lotwuser/lotwreport.adi"

// FirstSince is the qso_qslsince of a first, full download: LoTW applies a
// short default window when the parameter is missing, so it is always sent.
const FirstSince = "1900-01-01"

// Timeouts. Reports are built on demand and a full one can take many
// minutes, so there is no whole-request timeout: a download fails only when
// the server keeps the client waiting for IdleTimeout.
const (
	DefaultConnectTimeout        = 30 * time.Second
	DefaultResponseHeaderTimeout = 10 * time.Minute
	DefaultIdleTimeout           = 5 * time.Minute
)

// Preamble is how every LoTW report starts (the 39 bytes Cloudlog and Wavelog check).
const Preamble = "ARRL Logbook of the World Status Report"

// sniffLen is how much of the body is inspected to classify the answer.
const sniffLen = 4096

// The classes of failure. Every error the package returns is an
// *awardtracker.Error whose chain contains exactly one of these, so callers
// test them with errors.Is; each carries its awardtracker.UpstreamCode, which
// is all the syncer looks at.
var (
	// ErrAuth: LoTW answered its login page ("Username/password incorrect").
	// Retrying with the same credentials will not help.
	ErrAuth = awardtracker.UpstreamClass("lotw: username/password incorrect", awardtracker.UpstreamAuth)
	// ErrRateLimited: LoTW answered "Page Request Limit!". Back off for hours.
	ErrRateLimited = awardtracker.UpstreamClass("lotw: page request limit", awardtracker.UpstreamRateLimited)
	// ErrTruncated: the report is incomplete (no <APP_LoTW_EOF>, or a record
	// count different from APP_LoTW_NUMREC). Retry later; do not advance the cursor.
	ErrTruncated = awardtracker.UpstreamClass("lotw: truncated report", awardtracker.UpstreamTruncated)
	// ErrUnexpected: the answer is not a LoTW report.
	ErrUnexpected = awardtracker.UpstreamClass("lotw: unexpected answer", awardtracker.UpstreamUnexpected)
	// ErrRedirect: LoTW answered with a redirect, which is refused so that
	// the password is never sent on. It is an ErrUnexpected too.
	ErrRedirect = awardtracker.UpstreamClass("lotw: redirect refused", awardtracker.UpstreamRedirect, ErrUnexpected)
	// ErrUnavailable: transport failure, reset, timeout or HTTP 5xx. Retry with back-off.
	ErrUnavailable = awardtracker.UpstreamClass("lotw: unavailable", awardtracker.UpstreamUnavailable)
	// ErrTooLarge: the report is larger than Options.MaxReportBytes; nothing
	// of it was read. Raise the limit, or retry later.
	ErrTooLarge = awardtracker.UpstreamClass("lotw: report too large", awardtracker.UpstreamTooLarge)
)

// Options configure a Client. The zero value talks to DefaultURL.
type Options struct {
	// URL of lotwreport.adi; empty means DefaultURL.
	URL string
	// HTTPClient, if set, is used as is (its transport decides the HTTP
	// version and dial timeouts). Its Timeout should be zero: a whole-request
	// timeout would kill a long report mid-stream.
	HTTPClient *http.Client
	// Version goes into the User-Agent "awardtracker/<version>".
	Version string
	// IdleTimeout fails a download when a read of the body waits this long
	// for the server (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// SpoolDir holds reports while they download ("" means os.TempDir()).
	SpoolDir string
	// MaxReportBytes bounds a spooled report (default
	// DefaultMaxReportBytes), so that an answer that never ends cannot fill
	// the disk.
	MaxReportBytes int64
	// Now is the clock a report's APP_LoTW_LASTQSL is checked against (a
	// cursor in the future is junk); nil means time.Now.
	Now func() time.Time
}

// DefaultMaxReportBytes is sized for a big station's first, full download:
// a record with the details asked for is about 670 bytes, so 1 GiB holds
// about 1.6 million confirmations, more than the largest stations have.
const DefaultMaxReportBytes = 1 << 30

// Client downloads LoTW reports. It is safe for concurrent use.
type Client struct {
	url       string
	hc        *http.Client
	userAgent string
	idle      time.Duration
	spoolDir  string
	maxReport int64
	now       func() time.Time
}

// New returns a Client.
func New(opts Options) *Client {
	c := &Client{url: opts.URL, hc: opts.HTTPClient, idle: opts.IdleTimeout, spoolDir: opts.SpoolDir,
		maxReport: opts.MaxReportBytes, now: opts.Now}
	if c.maxReport <= 0 {
		c.maxReport = DefaultMaxReportBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.url == "" {
		c.url = DefaultURL
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: NewTransport()}
	} else {
		hc := *c.hc // a copy: the caller's client keeps its own redirect policy
		c.hc = &hc
	}
	c.hc.CheckRedirect = refuseRedirect
	if c.idle <= 0 {
		c.idle = DefaultIdleTimeout
	}
	v := opts.Version
	if v == "" {
		v = "dev"
	}
	c.userAgent = "awardtracker/" + v
	return c
}

// NewTransport returns the transport New uses by default: a short connect
// timeout, a generous wait for the response headers, and HTTP/1.1 only (one
// Go client reports that LoTW served its login page over HTTP/2).
func NewTransport() *http.Transport {
	d := &net.Dialer{Timeout: DefaultConnectTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   DefaultConnectTimeout,
		ResponseHeaderTimeout: DefaultResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
	}
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	return t
}

// refuseRedirect makes the client hand back a redirect instead of following
// it. The password travels in the query: following a redirect would send it
// on (in the Referer, and to whatever host the Location names), and apply
// another host's answer as the user's report. LoTW's report endpoint answers
// directly, so every redirect, even to the same host, is refused; Download
// reports it as ErrUnexpected. Without a followed redirect Go never sets
// Referer.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// URL returns the endpoint the client downloads from.
func (c *Client) URL() string { return c.url }

// Download is Fetch for the syncer: it implements
// awardtracker.LoTWDownloader.
func (c *Client) Download(ctx context.Context, login, password, since string) (awardtracker.Report, error) {
	rep, err := c.Fetch(ctx, login, password, since)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return rep, nil
}

var _ awardtracker.LoTWDownloader = (*Client)(nil)

// Fetch requests the QSL records that LoTW matched or updated on or after
// since ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"; empty means FirstSince) and
// returns the report once its header has been read and classified. The
// caller must Close the report. Errors carry ErrAuth, ErrRateLimited,
// ErrTruncated, ErrUnexpected or ErrUnavailable, or the context's error;
// none contains the password.
func (c *Client) Fetch(ctx context.Context, login, password, since string) (*Report, error) {
	if login == "" || password == "" {
		return nil, awardtracker.Errorf(awardtracker.EINVALID, "LoTW username and password are required")
	}
	if since == "" {
		since = FirstSince
	}
	u, err := url.Parse(c.url)
	if err != nil {
		return nil, awardtracker.WrapError(awardtracker.EINTERNAL, "bad LoTW URL", err)
	}
	q := u.Query()
	// The login is case-sensitive at this endpoint: send it as stored.
	q.Set("login", login)
	q.Set("password", password)
	q.Set("qso_query", "1")
	q.Set("qso_qsl", "yes")
	q.Set("qso_qslsince", since)
	q.Set("qso_qsldetail", "yes")
	q.Set("qso_mydetail", "yes")
	q.Set("qso_withown", "yes")
	u.RawQuery = q.Encode()
	safeURL := u.Scheme + "://" + u.Host + u.Path

	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel(nil)
		return nil, awardtracker.WrapError(awardtracker.EINTERNAL, "bad LoTW request", redact.Error(err, password))
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/x-arrl-adif, text/plain, */*")

	resp, err := c.hc.Do(req)
	if err != nil {
		cancel(nil)
		if e := ctx.Err(); e != nil && errors.Is(err, e) {
			return nil, context.Cause(ctx)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("GET %s: %w", safeURL, ue.Err)
		}
		return nil, unavailable("cannot reach LoTW", redact.Error(err, password))
	}
	body := &idleBody{rc: resp.Body, cancel: cancel, d: c.idle}
	body.timer = time.AfterFunc(c.idle, body.expire)
	body.timer.Stop()
	rep := &Report{body: body, ctx: ctx, password: password, maxReport: c.maxReport}
	fail := func(err error) (*Report, error) {
		rep.Close()
		return nil, err
	}

	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return fail(rateLimited(fmt.Sprintf("HTTP %d", resp.StatusCode)))
	case resp.StatusCode >= 500:
		return fail(unavailable(fmt.Sprintf("LoTW answered HTTP %d", resp.StatusCode), nil))
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		return fail(redirected(resp.StatusCode))
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fail(unexpected(fmt.Sprintf("HTTP %d", resp.StatusCode), nil, password))
	}

	// The whole answer goes to a temporary file before anything parses it:
	// memory stays bounded however large the report, and the database
	// transaction that applies it is not held open while LoTW (which can
	// take minutes for a large report) trickles it out.
	f, err := spool.FileMax(body, c.spoolDir, "awardtracker-lotw-*.adi", c.maxReport)
	if err != nil {
		return fail(rep.spoolError(err))
	}
	rep.spoolFile = f

	// A report is recognised by its first bytes.
	br := bufio.NewReaderSize(f, 64<<10)
	head, err := br.Peek(len(Preamble))
	rep.sawPreamble = bytes.Equal(head, []byte(Preamble))
	if !rep.sawPreamble {
		head, err = br.Peek(sniffLen)
	}
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return fail(rep.readError(err))
	}
	if !rep.sawPreamble {
		lower := bytes.ToLower(head)
		switch {
		case bytes.Contains(lower, []byte("username/password incorrect")):
			return fail(&awardtracker.Error{Code: awardtracker.EINVALID,
				Message: "LoTW rejected the username or password", Err: ErrAuth})
		case bytes.Contains(lower, []byte("page request limit")):
			return fail(rateLimited("Page Request Limit!"))
		case !bytes.Contains(lower, []byte("<eoh>")):
			return fail(unexpected("", head, password))
		}
	}

	rep.ar = adif.NewReader(br)
	hdr, err := rep.ar.Header()
	if err != nil {
		return fail(rep.readError(err))
	}
	rep.Preamble = rep.ar.Preamble()
	numrec, ok := hdr.Lookup("APP_LoTW_NUMREC")
	n, err := strconv.Atoi(strings.TrimSpace(numrec))
	switch {
	case !ok && rep.ar.SawEOFMarker():
		// LoTW's other way of saying "nothing new" (seen with QSL ONLY:
		// YES): the preamble, PROGRAMID and <APP_LoTW_EOF>, no <eoh> and
		// no APP_LoTW_NUMREC. The marker says the answer is complete.
		n = 0
	case err != nil || n < 0:
		return fail(unexpected("no valid APP_LoTW_NUMREC in the header", nil, password))
	}
	rep.NumRec = n
	rep.LastQSL = strings.TrimSpace(hdr.Get("APP_LoTW_LASTQSL"))
	// The domain's rule (awardtracker.ValidLoTWCursor), which the syncer
	// also applies to stored cursors.
	rep.cursorOK = awardtracker.ValidLoTWCursor(rep.LastQSL, c.now())
	return rep, nil
}

// Report is a LoTW answer being streamed. Its header fields are set when
// Download returns; Records reads the rest.
type Report struct {
	Preamble string // the free text before the ADIF header
	NumRec   int    // APP_LoTW_NUMREC: the records LoTW says it sent
	LastQSL  string // APP_LoTW_LASTQSL: the newest QSL in the report; "" when empty

	ctx       context.Context
	body      *idleBody
	spoolFile *os.File
	ar        *adif.Reader
	password  string
	maxReport int64
	cursorOK  bool // LastQSL is a valid cursor
	// sawPreamble: the body started like a report, so a body without ADIF
	// is a cut-off report rather than some other page.
	sawPreamble bool
	n           int
	used        bool
	closed      sync.Once
}

// Cursor is the qso_qslsince for the next download once this report has been
// applied completely: APP_LoTW_LASTQSL. It is "" for an empty report, whose
// caller keeps the cursor it had, and for a LASTQSL that is not a past
// "YYYY-MM-DD HH:MM:SS" (see CursorProblem): stored, such junk would be
// sent back on every later download.
func (r *Report) Cursor() string {
	if r.NumRec == 0 || !r.cursorOK {
		return ""
	}
	return r.LastQSL
}

// CursorProblem says why a report with records has no Cursor, for a warning;
// "" when there is none. Such a report is still applied; the caller keeps
// its old cursor, so the next download asks for these records again.
func (r *Report) CursorProblem() string {
	if r.NumRec == 0 || r.cursorOK {
		return ""
	}
	s, _ := redact.Snippet([]byte(r.LastQSL), 40, r.password)
	return fmt.Sprintf("APP_LoTW_LASTQSL %q is not a past YYYY-MM-DD HH:MM:SS; the cursor is kept", s)
}

// Fetched is how many records Records has read so far.
func (r *Report) Fetched() int { return r.n }

// Records yields every record normalised to a LoTW-confirmed QSO (a record
// that does not normalise is yielded with its Err set). If the report turns
// out incomplete or the connection fails, the last pair carries a non-nil
// error (ErrTruncated, ErrUnavailable, ErrUnexpected, or the context's
// error), so that a storage transaction consuming the stream rolls back.
// It can be ranged over once.
func (r *Report) Records() iter.Seq2[awardtracker.ImportRecord, error] {
	return func(yield func(awardtracker.ImportRecord, error) bool) {
		if r.used {
			yield(awardtracker.ImportRecord{}, errors.New("lotw: report records read twice"))
			return
		}
		r.used = true
		for {
			rec, err := r.ar.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				yield(awardtracker.ImportRecord{}, r.readError(err))
				return
			}
			r.n++
			q, qerr := adif.ToQSO(rec, awardtracker.SourceLoTW)
			if !yield(awardtracker.ImportRecord{Index: r.n, QSO: q, Err: qerr}, nil) {
				return
			}
		}
		if err := r.complete(); err != nil {
			yield(awardtracker.ImportRecord{}, err)
		}
	}
}

// complete checks the end of a report that was read to EOF.
func (r *Report) complete() error {
	switch {
	case !r.ar.SawEOFMarker():
		return truncated(fmt.Sprintf("the report ends after %d of %d records without <APP_LoTW_EOF>", r.n, r.NumRec))
	case r.n != r.NumRec:
		return truncated(fmt.Sprintf("the report has %d records but APP_LoTW_NUMREC says %d", r.n, r.NumRec))
	}
	return nil
}

// Close releases the connection. It is safe to call more than once.
func (r *Report) Close() error {
	r.closed.Do(func() {
		r.body.timer.Stop()
		r.body.cancel(context.Canceled)
		r.body.rc.Close()
		if r.spoolFile != nil {
			r.spoolFile.Close()
		}
	})
	return nil
}

// spoolError classifies a failed spool: the transport's errors as for a
// read, anything else (a full disk) as our own failure.
func (r *Report) spoolError(err error) error {
	if errors.Is(err, spool.ErrTooLarge) {
		return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Err: ErrTooLarge,
			Message: fmt.Sprintf("the LoTW report is larger than %d bytes (--lotw.max-report-bytes): nothing was applied", r.maxReport)}
	}
	if context.Cause(r.ctx) != nil || r.body.err() != nil {
		return r.readError(err)
	}
	return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot store the LoTW report on disk", err)
}

// readError classifies an error met while reading the body: the transport's
// own errors (reset, idle timeout, cancellation) win over what the ADIF
// reader made of the short read.
func (r *Report) readError(err error) error {
	if cause := context.Cause(r.ctx); cause != nil {
		if errors.Is(cause, errIdle) {
			return unavailable(fmt.Sprintf("LoTW sent nothing for %v", r.body.d), nil)
		}
		return cause
	}
	if terr := r.body.err(); terr != nil {
		return unavailable("the connection to LoTW failed mid-report", redact.Error(terr, r.password))
	}
	var se *adif.SyntaxError
	switch {
	case errors.As(err, &se) && errors.Is(err, adif.ErrTruncated) && !r.used:
		return truncated(se.Msg) // in the header: no count to give yet
	case errors.As(err, &se) && errors.Is(err, adif.ErrTruncated):
		// The reader says where: inside a record, or between records
		// without <APP_LoTW_EOF>.
		return truncated(fmt.Sprintf("%s, after %d records (APP_LoTW_NUMREC %d)", se.Msg, r.n, r.NumRec))
	case errors.Is(err, adif.ErrTruncated), errors.Is(err, io.ErrUnexpectedEOF):
		return truncated(fmt.Sprintf("the report ends inside a record or its header after %d records (APP_LoTW_NUMREC %d)", r.n, r.NumRec))
	case errors.Is(err, adif.ErrNotADIF) && r.sawPreamble:
		return truncated("the report ends after its preamble")
	}
	return unexpected("malformed report", nil, r.password, err)
}

var errIdle = errors.New("lotw: idle timeout")

// idleBody cancels the request when a read waits longer than d for the
// server, and remembers the first transport error so that it is not mistaken
// for a truncated report. Only time spent inside Read counts: a consumer
// that is busy writing to its database is not a silent server.
type idleBody struct {
	rc     io.ReadCloser
	cancel context.CancelCauseFunc
	d      time.Duration
	timer  *time.Timer

	mu      sync.Mutex
	readErr error
}

func (b *idleBody) expire() { b.cancel(errIdle) }

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.d)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.readErr == nil {
			b.readErr = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *idleBody) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.readErr
}

func unavailable(msg string, cause error) error {
	err := ErrUnavailable
	if cause != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, cause)
	}
	return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: "LoTW unavailable: " + msg, Err: err}
}

func rateLimited(detail string) error {
	return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE,
		Message: "LoTW is throttling requests (" + detail + ")", Err: ErrRateLimited}
}

func truncated(msg string) error {
	return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: "LoTW report truncated: " + msg, Err: ErrTruncated}
}

// redirected describes a refused redirect (see refuseRedirect): an
// ErrRedirect, which is an ErrUnexpected too.
func redirected(status int) error {
	return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Err: ErrRedirect,
		Message: fmt.Sprintf("LoTW answered something that is not a report: HTTP %d redirect, refused (the password is never sent on)", status)}
}

// unexpected describes an answer that is not a report, quoting a short,
// printable snippet of it, unless the answer holds the password in any
// spelling (a page echoing the request): then nothing of it is quoted.
func unexpected(msg string, head []byte, password string, cause ...error) error {
	m := "LoTW answered something that is not a report"
	if msg != "" {
		m += ": " + msg
	}
	if len(head) > 0 {
		if s, ok := redact.Snippet(head, 80, password); ok {
			m += fmt.Sprintf(": %q", s)
		} else {
			m += " (not quoted: it echoes the request)"
		}
	}
	err := ErrUnexpected
	if len(cause) > 0 && cause[0] != nil {
		err = fmt.Errorf("%w: %w", ErrUnexpected, redact.Error(cause[0], password))
	}
	return &awardtracker.Error{Code: awardtracker.EUNAVAILABLE, Message: m, Err: err}
}
