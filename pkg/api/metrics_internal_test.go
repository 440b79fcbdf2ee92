package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetrics_PanicCountsAs500: a handler that panics answers 500 and is
// counted as one.
func TestMetrics_PanicCountsAs500(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := NewServer(Config{Registerer: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	s.echo.GET("/boom", func(echo.Context) error { panic("boom") })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("got %d %q, want 500 without the panic text", rec.Code, rec.Body.String())
	}
	want := `
# HELP awardtracker_http_requests_total How many HTTP requests processed, partitioned by status code and HTTP method.
# TYPE awardtracker_http_requests_total counter
awardtracker_http_requests_total{code="500",host="",method="GET",url="/boom"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "awardtracker_http_requests_total"); err != nil {
		t.Error(err)
	}
}
