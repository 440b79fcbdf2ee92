package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"

	// encoding/json/v2 as a module until Go 1.27 makes it standard: unlike
	// encoding/json it matches field names exactly ({"USERNAME":…} is not
	// "username"), refuses duplicate names (which one would win?), invalid
	// UTF-8 and trailing data, and reports errors as structured values from
	// which a message can be built without naming Go types.
	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// decodeJSON reads a JSON object into v: bounded in size, unknown or
// duplicate fields rejected, and every failure a 400 (or 413) that says
// what was wrong.
func (s *Server) decodeJSON(c echo.Context, v any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationJSON {
			return awardtracker.Errorf(awardtracker.EINVALID, "Content-Type must be application/json")
		}
	}
	if err := refuseDeclaredLength(req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	body := http.MaxBytesReader(c.Response(), req.Body, s.cfg.MaxBodyBytes)
	if err := json.UnmarshalRead(body, v, json.RejectUnknownMembers(true)); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError turns a decoding error into a message for the client. It names
// fields by their JSON names and values by JSON kinds, never Go types.
func jsonError(err error) error {
	var (
		tooB *http.MaxBytesError
		syn  *jsontext.SyntacticError
		sem  *json.SemanticError
	)
	switch {
	case errors.As(err, &tooB):
		return tooLarge(tooB.Limit)
	case errors.As(err, &syn):
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: field %q appears more than once", syn.JSONPointer.LastToken())
		case errors.Is(syn.Err, io.ErrUnexpectedEOF) && syn.ByteOffset == 0:
			return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: empty body")
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: body ends early")
		}
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON at byte %d", syn.ByteOffset)
	case errors.As(err, &sem):
		name := sem.JSONPointer.LastToken()
		switch {
		case errors.Is(sem.Err, json.ErrUnknownName):
			return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: unknown field %q (names are case-sensitive)", name)
		case sem.JSONPointer == "":
			return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: body must be an object")
		case sem.GoType != nil:
			return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: field %q must be %s", name, jsonKindOf(sem.GoType))
		}
		return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: field %q has an invalid value", name)
	}
	// The client's side of the connection failed (or timed out) mid-body.
	return awardtracker.Errorf(awardtracker.EINVALID, "invalid JSON: the body could not be read")
}

// jsonKindOf says in JSON's words what a Go type accepts.
func jsonKindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKindOf(t.Elem())
	}
	return "of another kind"
}
