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

// handleQSOExport answers the user's QSOs as an ADIF 3.1.6 file, oldest
// first, with the list's filters and ?since=YYYY-MM-DD (or YYYYMMDD).
//
// The file is written to an unlinked temporary file first and then sent:
// the database read is one short consistent snapshot that a slow client
// cannot stretch (it would hold a pooled connection and keep the WAL from
// being checkpointed), and a read that fails half way answers an error
// instead of a 200 whose body is silently cut short. Memory stays bounded
// however large the log; the disk holds one copy while it is sent.
func (s *Server) handleQSOExport(c echo.Context) error {
	var f awardtracker.ExportFilter
	var err error
	if f.Band, f.Mode, f.Call, f.Confirmed, err = qsoSelection(c); err != nil {
		return err
	}
	if v := c.QueryParam("since"); v != "" {
		if f.Since, err = parseDay(v); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	uid := userID(c)
	user, err := s.cfg.Users.FindUserByID(ctx, uid)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "awardtracker-export-*.adi")
	if err != nil {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot write the export", err)
	}
	os.Remove(tmp.Name()) // unlinked: nothing is left behind, whatever happens
	defer tmp.Close()

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
			return err
		}
		if err := w.WriteQSO(&q); err != nil {
			return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot write the export", err)
		}
		n++
	}
	if err := w.Flush(); err != nil {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot write the export", err)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		return awardtracker.WrapError(awardtracker.EUNAVAILABLE, "cannot read the export back", err)
	}
	h := c.Response().Header()
	name := fmt.Sprintf("%s-%s.adi", unsafeFileChars.ReplaceAllString(user.Callsign, "_"), now.Format("20060102"))
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	h.Set("X-Record-Count", strconv.Itoa(n))
	return c.Stream(http.StatusOK, "text/plain; charset=us-ascii", tmp)
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
