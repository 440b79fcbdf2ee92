package api

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Oversized request bodies are refused in a way a client can read:
//
//   - A body whose Content-Length is over the route's limit is refused before
//     any of it is read. net/http sends "100 Continue" only when a handler
//     first reads the body, so a client waiting with Expect: 100-continue
//     (curl, for large bodies) gets the 413 instead of an invitation to send.
//   - A body that turns out too large while it is read (chunked, or sent
//     without waiting for 100 Continue) is answered 413 and then read on and
//     thrown away, up to maxDrainBytes and drainTimeout, before the
//     connection is closed. Closing a socket with unread data makes the
//     kernel reset the connection, and a client still sending then sees
//     "connection reset by peer" instead of the answer already sent to it.
//     Beyond the bounds the connection is closed anyway: a client cannot
//     make the server read without end.
const (
	maxDrainBytes = 16 << 20
	drainTimeout  = 10 * time.Second
)

// tooLarge is the error for a body over limit bytes.
func tooLarge(limit int64) error {
	return awardtracker.Errorf(awardtracker.ETOOLARGE, "request body over the limit of %d bytes", limit)
}

// refuseDeclaredLength fails with a 413 when the request says its body is
// longer than limit. Call it before reading the body.
func refuseDeclaredLength(req *http.Request, limit int64) error {
	if req.ContentLength > limit {
		return tooLarge(limit)
	}
	return nil
}

// expectsContinue reports whether the client waits for "100 Continue"
// before it sends the body.
func expectsContinue(req *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(req.Header.Get("Expect")), "100-continue")
}

// drainRefusedBody reads and discards what is left of a refused request's
// body, within the bounds above, after its answer has been written. It leaves
// alone a body the client has not been asked for (Expect: 100-continue and
// refused on its Content-Length: reading it now would invite it) and one
// declared larger than the bound (reading part of it would not help).
func drainRefusedBody(c echo.Context) {
	req := c.Request()
	if req.Body == nil || req.Body == http.NoBody {
		return
	}
	if expectsContinue(req) && req.ContentLength >= 0 || req.ContentLength > maxDrainBytes {
		return
	}
	rc := http.NewResponseController(c.Response())
	// The answer goes out first, so that a client reading while it sends
	// can stop sending. Recorders in tests support neither call; nothing is
	// lost then.
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.CopyN(io.Discard, req.Body, maxDrainBytes)
}
