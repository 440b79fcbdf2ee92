package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// router is what *echo.Echo and *echo.Group have in common.
type router interface {
	Match(methods []string, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) []*echo.Route
}

// getAndHead registers h for GET and for HEAD: net/http throws away the body
// of an answer to HEAD, so the same handler answers both, headers included.
func getAndHead(r router, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.Match([]string{http.MethodGet, http.MethodHead}, path, h, m...)
}

// allowMethods are the methods a 405's Allow header may list, in its order.
var allowMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// methodNotAllowed turns a 404 for a path that exists under other methods
// into a 405 with an Allow header. Echo would do that itself, but the
// catch-all routes that let a group's middleware (rate limit, token check)
// run for unknown paths also catch known paths asked with the wrong method.
// Only route misses (the catch-alls, whose label is unmatchedRoute) are
// looked at; a handler's own 404 ("QSO not found") is left alone.
func (s *Server) methodNotAllowed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || routeOf(c) != unmatchedRoute {
			return err
		}
		if st, _ := statusOf(err); st != http.StatusNotFound {
			return err
		}
		allow := s.allowedMethods(c.Request())
		if allow == "" {
			return err
		}
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return echo.NewHTTPError(http.StatusMethodNotAllowed, "method not allowed: "+allow)
	}
}

// allowedMethods lists the methods that have a route (not a catch-all) for
// r's path, asking Echo's router as it routes requests.
func (s *Server) allowedMethods(r *http.Request) string {
	path := echo.GetPath(r)
	var allow []string
	for _, m := range allowMethods {
		c := s.echo.NewContext(r, nil)
		s.echo.Router().Find(m, path, c)
		if s.routes[m+" "+c.Path()] {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// routeSet is every registered method and route template ("GET /api/qsos"),
// catch-alls excluded (they are registered under a method of their own).
func routeSet(e *echo.Echo) map[string]bool {
	set := make(map[string]bool)
	for _, r := range e.Routes() {
		set[r.Method+" "+r.Path] = true
	}
	return set
}

// maxRequestIDLength bounds a client's X-Request-ID.
const maxRequestIDLength = 64

// requestID sets X-Request-ID on the answer: the client's own, so that a
// request can be followed from a proxy's log into ours, when it is short and
// made of letters, digits and ".-_:" only (it is logged, and must not be able
// to forge or flood log lines); otherwise a generated one.
func requestID(generate func() string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := c.Request().Header.Get(echo.HeaderXRequestID)
			if !validRequestID(id) {
				id = generate()
			}
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			return next(c)
		}
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '-', b == '_', b == '.', b == ':':
		default:
			return false
		}
	}
	return true
}

// securityHeaders go on every answer of both listeners. An API serves no
// HTML: framing, sniffing and any content source are forbidden.
// X-XSS-Protection is switched off, as current advice says (its filter
// caused leaks of its own). The slices are shared by every answer; each
// holds one value at capacity 1, so a handler appending to a header gets a
// new slice rather than changing the shared one.
var securityHeaders = map[string][]string{
	"X-Xss-Protection":        {"0"},
	"X-Content-Type-Options":  {"nosniff"},
	"X-Frame-Options":         {"DENY"},
	"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'"},
	"Referrer-Policy":         {"no-referrer"},
}

func setSecurityHeaders(h http.Header) {
	for k, v := range securityHeaders {
		h[k] = v
	}
}

// secureEcho sets the security headers for the API listener.
func secureEcho(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setSecurityHeaders(c.Response().Header())
		return next(c)
	}
}

// secureHTTP sets the security headers for the metrics listener.
func secureHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}
