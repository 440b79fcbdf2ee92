package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkStatsCached is make bench row 3 without the network: a
// GET /api/qsos/stats answered from the cache, through every middleware
// (request id, security headers, logging, metrics, rate limit, bearer
// token), in process.
func BenchmarkStatsCached(b *testing.B) {
	s := newTestServer(b, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	h := s.Handler()
	req := httptest.NewRequest("GET", "/api/qsos/stats", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
