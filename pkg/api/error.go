package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// statuses maps domain error codes to HTTP statuses; the one place that does.
var statuses = map[awardtracker.Code]int{
	awardtracker.EINVALID:      http.StatusBadRequest,
	awardtracker.ENOTFOUND:     http.StatusNotFound,
	awardtracker.ECONFLICT:     http.StatusConflict,
	awardtracker.EUNAUTHORIZED: http.StatusUnauthorized,
	awardtracker.EFORBIDDEN:    http.StatusForbidden,
	awardtracker.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	awardtracker.ETOOMANY:      http.StatusTooManyRequests,
	awardtracker.EUNAVAILABLE:  http.StatusServiceUnavailable,
	awardtracker.EINTERNAL:     http.StatusInternalServerError,
}

// errorResponse is the body of every error answer.
type errorResponse struct {
	Error string            `json:"error"`
	Code  awardtracker.Code `json:"code"`
}

// statusOf returns the HTTP status and caller-safe body for err.
func statusOf(err error) (int, errorResponse) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		return he.Code, errorResponse{Error: msg, Code: codeOfStatus(he.Code)}
	}
	switch {
	case errors.Is(err, context.Canceled):
		// The client went away; nginx's 499 says so without blaming the server.
		return 499, errorResponse{Error: "request canceled", Code: "canceled"}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, errorResponse{Error: "timed out, try again", Code: awardtracker.EUNAVAILABLE}
	}
	code := awardtracker.ErrorCode(err)
	st, ok := statuses[code]
	if !ok {
		st, code = http.StatusInternalServerError, awardtracker.EINTERNAL
	}
	return st, errorResponse{Error: awardtracker.ErrorMessage(err), Code: code}
}

func codeOfStatus(st int) awardtracker.Code {
	for code, s := range statuses {
		if s == st {
			return code
		}
	}
	if st == http.StatusMethodNotAllowed {
		return "method_not_allowed"
	}
	return awardtracker.EINTERNAL
}

// handleError is Echo's one error handler: handlers just return err.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	// logRequests logs a failure, once, with the error.
	st, body := statusOf(err)
	if wait := awardtracker.RetryAfterOf(err); wait > 0 {
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.FormatInt(awardtracker.RetryAfterSeconds(wait), 10))
	}
	if st == http.StatusRequestEntityTooLarge {
		// The rest of the body is not wanted: no further request can be
		// read from this connection.
		c.Response().Header().Set(echo.HeaderConnection, "close")
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(st)
	} else {
		err = c.JSON(st, body)
	}
	if err != nil {
		s.log.Error("Writing error response", "err", err)
	}
	if st == http.StatusRequestEntityTooLarge {
		drainRefusedBody(c)
	}
}
