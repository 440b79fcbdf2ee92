package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// decodeJSON reads a JSON object into v: bounded in size, unknown fields
// rejected, and every failure a 400 (or 413) that says what was wrong.
func (s *Server) decodeJSON(c echo.Context, v any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationJSON {
			return awardtracker.Errorf(awardtracker.EINVALID, "Content-Type must be application/json")
		}
	}
	body := http.MaxBytesReader(c.Response(), req.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: body must hold a single object")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		tooB *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooB):
		return awardtracker.Errorf(awardtracker.ETOOLARGE, "request body over %d bytes", tooB.Limit)
	case errors.Is(err, io.EOF):
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: body ends early")
	case errors.As(err, &syn):
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: field %q must be %s", typ.Field, typ.Type)
	}
	// DisallowUnknownFields reports `json: unknown field "x"`, which quotes
	// the name safely with %q.
	var name string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &name); scanErr == nil {
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: unknown field %q", name)
	}
	return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON")
}
