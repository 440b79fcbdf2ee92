package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func (s *Server) registerQSORoutes() {
	g := s.echo.Group("/api/qsos", s.limited(s.requireUser)...)
	getAndHead(g, "", s.handleQSOIndex)
	getAndHead(g, "/stats", s.handleStatsView)
	getAndHead(g, "/export", s.handleQSOExport(maxConcurrentExports))
	g.POST("/import", s.handleQSOImport)
	g.DELETE("/:id", s.handleQSODelete)
}

type qsoIndexResponse struct {
	QSOs  []awardtracker.QSO `json:"qsos"`
	Total int                `json:"total"`
}

// maxLimit caps ?limit=; defaultLimit applies without one.
const (
	maxLimit     = 1000
	defaultLimit = 100
)

func (s *Server) handleQSOIndex(c echo.Context) error {
	f := awardtracker.QSOFilter{Limit: defaultLimit}
	var err error
	if f.Limit, err = intParam(c, "limit", defaultLimit, 1, maxLimit); err != nil {
		return err
	}
	if f.Offset, err = intParam(c, "offset", 0, 0, 1<<31-1); err != nil {
		return err
	}
	if f.Band, f.Mode, f.Call, f.Confirmed, err = qsoSelection(c); err != nil {
		return err
	}
	qsos, total, err := s.cfg.QSOs.FindQSOs(c.Request().Context(), userID(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, qsoIndexResponse{QSOs: qsos, Total: total})
}

// qsoSelection reads the filters the QSO list and the export share: band,
// mode, call and confirmed.
func qsoSelection(c echo.Context) (band, mode, call string, confirmed *bool, err error) {
	if b := c.QueryParam("band"); b != "" {
		var ok bool
		if band, ok = adif.NormalizeBand(b); !ok {
			return "", "", "", nil, awardtracker.Errorf(awardtracker.EINVALID, "unknown band %q", b)
		}
	}
	mode = strings.ToUpper(strings.TrimSpace(c.QueryParam("mode")))
	call = strings.ToUpper(strings.TrimSpace(c.QueryParam("call")))
	if v := c.QueryParam("confirmed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", "", "", nil, awardtracker.Errorf(awardtracker.EINVALID, "confirmed must be true or false")
		}
		confirmed = &b
	}
	return band, mode, call, confirmed, nil
}

func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, awardtracker.Errorf(awardtracker.EINVALID, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

func (s *Server) handleStatsView(c echo.Context) error {
	uid := userID(c)
	st, err := s.cfg.Stats.Stats(c.Request().Context(), uid)
	if err != nil {
		return err
	}
	body, err := s.statsBodies.encode(uid, st)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, body)
}

// statsBodies keeps the JSON of each user's cached statistics: encoding
// them was a sixth of a cache hit's cost. A cached *Stats is shared and
// never modified, so its encoding stays valid for as long as the cache hands
// out that same pointer; a miss brings a new pointer and a new encoding.
type statsBodies struct {
	m sync.Map // user id -> *statsBody
	n atomic.Int64
}

type statsBody struct {
	st   *awardtracker.Stats
	body []byte
}

// maxStatsBodies bounds the map; it is emptied when full.
const maxStatsBodies = 10_000

func (sb *statsBodies) encode(uid int64, st *awardtracker.Stats) ([]byte, error) {
	if v, ok := sb.m.Load(uid); ok && v.(*statsBody).st == st {
		return v.(*statsBody).body, nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n') // as c.JSON writes it
	if sb.n.Add(1) > maxStatsBodies {
		sb.m.Clear()
		sb.n.Store(0)
	}
	sb.m.Store(uid, &statsBody{st: st, body: b})
	return b, nil
}

// handleQSOImport imports an ADIF file (the body, or the multipart field
// "file") into the user's log in one transaction, through the import
// service (which spools it first, so that a slow client never holds the
// database). The handler bounds the upload and tells the client's failures
// from ours.
func (s *Server) handleQSOImport(c echo.Context) error {
	src, err := awardtracker.ParseSource(c.QueryParam("source"))
	if err != nil {
		return err
	}
	req := c.Request()
	if err := refuseDeclaredLength(req, s.cfg.MaxImportBytes); err != nil {
		return err
	}
	limited := &limitedReader{r: req.Body, n: s.cfg.MaxImportBytes, max: s.cfg.MaxImportBytes}
	var body io.Reader = limited
	if mt, params, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mt == echo.MIMEMultipartForm {
		part, err := multipartFile(limited, params["boundary"])
		if err != nil {
			return limited.check(err)
		}
		body = part
	}
	// Whatever fails while reading the upload is the client's doing (a
	// multipart body cut off before its closing boundary, a connection
	// dropped mid-body); only a failure to store it is ours. The service
	// reads the upload whole before it imports, so these checks come first.
	upload := &readErrReader{r: body}
	res, err := s.cfg.Imports.ImportADIF(req.Context(), userID(c), src, upload)
	switch {
	case err == nil:
	case limited.exceeded:
		return limited.check(err)
	case limited.readErr != nil:
		return awardtracker.WrapError(awardtracker.EINVALID, "the upload was interrupted", err)
	case upload.err != nil:
		return awardtracker.WrapError(awardtracker.EINVALID, "malformed multipart body: it ends before its closing boundary", err)
	default:
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) handleQSODelete(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return awardtracker.Errorf(awardtracker.ENOTFOUND, "QSO %q not found", c.Param("id"))
	}
	if err := s.cfg.QSOs.DeleteQSO(c.Request().Context(), userID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// limitedReader fails reads past n bytes and remembers that it did, so that
// an import cut short by the limit answers 413 whatever error the ADIF
// reader made of it.
type limitedReader struct {
	r        io.Reader
	n, max   int64
	exceeded bool
	readErr  error // the client's side failed (not EOF, not the limit)
}

var errBodyTooLarge = errors.New("body too large")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Probe one byte: a body of exactly the limit is fine.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.exceeded = true
			return 0, errBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err != nil && err != io.EOF {
		l.readErr = err
	}
	return n, err
}

func (l *limitedReader) check(err error) error {
	if l.exceeded {
		return tooLarge(l.max)
	}
	return err
}

// readErrReader remembers the error (other than EOF) its reader returned,
// so that a failed copy can tell a bad upload from a full disk.
type readErrReader struct {
	r   io.Reader
	err error
}

func (r *readErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
