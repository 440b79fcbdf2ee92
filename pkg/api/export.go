package api

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// maxConcurrentExports bounds the exports being written at once: each
// reads the database flat out and writes a spool file (about 200 bytes a
// QSO). More wait their turn; sending the finished files is not limited.
const maxConcurrentExports = 4

// handleQSOExport answers the user's QSOs as an ADIF 3.1.6 file, oldest
// first, with the list's filters and ?since=YYYY-MM-DD (or YYYYMMDD).
//
// The file is written to an unlinked temporary file first and then sent:
// the database read is one short consistent snapshot that a slow client
// cannot stretch (it would hold a pooled connection and keep the WAL from
// being checkpointed), and a read that fails half way answers an error
// instead of a 200 whose body is silently cut short. Memory stays bounded
// however large the log; the disk holds one copy while it is sent. At most
// slots exports are written at a time.
func (s *Server) handleQSOExport(slots int) echo.HandlerFunc {
	sem := make(chan struct{}, slots)
	return func(c echo.Context) error {
		f, err := exportFilter(c)
		if err != nil {
			return err
		}
		select {
		case sem <- struct{}{}:
		case <-c.Request().Context().Done():
			return c.Request().Context().Err()
		}
		e, err := s.writeExport(c, f)
		<-sem
		if err != nil {
			return err
		}
		defer e.file.Close()
		return sendExport(c, e)
	}
}

// exportFilter reads the export's query parameters.
func exportFilter(c echo.Context) (awardtracker.ExportFilter, error) {
	var f awardtracker.ExportFilter
	var err error
	if f.Band, f.Mode, f.Call, f.Confirmed, err = qsoSelection(c); err != nil {
		return f, err
	}
	if v := c.QueryParam("since"); v != "" {
		if f.Since, err = parseDay(v); err != nil {
			return f, err
		}
	}
	return f, nil
}

// export is a finished export in its spool file, rewound.
type export struct {
	file     *os.File
	size     int64
	records  int
	filename string
}

// writeExport writes the user's QSOs matching f to a new unlinked spool
// file.
func (s *Server) writeExport(c echo.Context, f awardtracker.ExportFilter) (_ *export, err error) {
	ctx := c.Request().Context()
	uid := userID(c)
	user, err := s.cfg.Users.FindUserByID(ctx, uid)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp("", "awardtracker-export-*.adi")
	if err != nil {
		return nil, awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot write the export", err)
	}
	os.Remove(tmp.Name()) // unlinked: nothing is left behind, whatever happens
	defer func() {
		if err != nil {
			tmp.Close()
		}
	}()

	now := s.cfg.Now().UTC()
	w := adif.NewWriter(tmp)
	w.WriteHeader(adif.Header{
		Preamble:       fmt.Sprintf("ADIF export of %s's log from awardtracker", user.Callsign),
		ProgramID:      "awardtracker",
		ProgramVersion: cmp.Or(s.cfg.Version, "devel"),
		Created:        now,
	})
	n := 0
	for q, err := range s.cfg.QSOs.ExportQSOs(ctx, uid, f) {
		if err != nil {
			return nil, err
		}
		if err := w.WriteQSO(&q); err != nil {
			return nil, awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot write the export", err)
		}
		n++
	}
	if err := w.Flush(); err != nil {
		return nil, awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot write the export", err)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot read the export back", err)
	}
	name := fmt.Sprintf("%s-%s.adi", unsafeFileChars.ReplaceAllString(user.Callsign, "_"), now.Format("20060102"))
	return &export{file: tmp, size: size, records: n, filename: name}, nil
}

// sendExport answers the spool file as an attachment.
func sendExport(c echo.Context, e *export) error {
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+e.filename+`"`)
	h.Set(echo.HeaderContentLength, strconv.FormatInt(e.size, 10))
	h.Set("X-Record-Count", strconv.Itoa(e.records))
	return c.Stream(http.StatusOK, "text/plain; charset=us-ascii", e.file)
}

// unsafeFileChars are the characters a callsign may hold that have no place
// in a file name (portable calls like DL/N0CALL/P).
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// parseDay reads a date as YYYY-MM-DD or ADIF's YYYYMMDD, at UTC midnight.
func parseDay(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	layout := "2006-01-02"
	if !strings.Contains(v, "-") {
		layout = "20060102"
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}, awardtracker.Errorf(awardtracker.EINVALID, "since must be a date, YYYY-MM-DD or YYYYMMDD, not %q", v)
	}
	return t, nil
}
