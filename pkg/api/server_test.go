package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/api"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/perf"
)

// testServer is the service as internal/app assembles it for production
// (SQLite file, caches, tracker, auth, syncer) behind a real HTTP listener
// on 127.0.0.1, with the cheapest bcrypt cost and no rate limits unless a
// test asks for them.
type testServer struct {
	*api.Server
	t       testing.TB
	db      *gormstore.DB
	reg     *prometheus.Registry
	tracker *perf.Tracker
}

type options struct {
	operatorToken  string
	maxImportBytes int64
	// metricsSeparate serves /metrics on a second listener on 127.0.0.1
	// (MetricsURL) instead of the API's.
	metricsSeparate bool
	maxConnections  int
	// now is the service's clock (nil: time.Now).
	now func() time.Time
	// rate limits in ratelimit.ParsePolicy syntax; empty: none
	apiLimit, authLimit, healthLimit string
}

func newTestServer(t testing.TB, o options) *testServer {
	t.Helper()
	cfg := app.Config{
		ListenAddress: "127.0.0.1:0",
		DBPath:        filepath.Join(t.TempDir(), "api.db"),
		CacheTTL:      5 * time.Minute,
		BcryptCost:    bcrypt.MinCost,
		PingCacheTTL:  -1, // tests see the database's state at once
		OperatorToken: o.operatorToken, MaxImportBytes: o.maxImportBytes, MaxConnections: o.maxConnections,
		RateAPI: o.apiLimit, RateAuth: o.authLimit, RateHealth: o.healthLimit,
		Now: o.now,
	}
	if o.metricsSeparate {
		cfg.MetricsAddress = "127.0.0.1:0"
	}
	m := app.New(cfg, nil, nil)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return &testServer{Server: m.Server, t: t, db: m.DB, reg: m.Registry, tracker: m.Tracker}
}

// do sends a request and returns the status and body.
func (s *testServer) do(method, path, token string, body io.Reader, header ...string) (int, []byte) {
	s.t.Helper()
	return send(s.t, s.URL(), method, path, token, body, header...)
}

func (s *testServer) json(method, path, token string, in any, wantStatus int, out any) {
	s.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	st, b := s.do(method, path, token, body, "Content-Type", "application/json")
	if st != wantStatus {
		s.t.Fatalf("%s %s: status %d (%s), want %d", method, path, st, b, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// register creates a user and returns its token.
func (s *testServer) register(call string) string {
	s.t.Helper()
	var resp struct {
		Token string `json:"token"`
		User  struct {
			ID       int64  `json:"id"`
			Callsign string `json:"callsign"`
		} `json:"user"`
	}
	s.json("POST", "/api/auth/register", "", map[string]string{"callsign": call, "password": "correct horse"}, 201, &resp)
	if resp.Token == "" || resp.User.Callsign != strings.ToUpper(call) {
		s.t.Fatalf("register: %+v", resp)
	}
	return resp.Token
}

func (s *testServer) importFile(token, source, name string) awardtracker.ImportResult {
	s.t.Helper()
	b, err := adiftest.ReadFile(name)
	if err != nil {
		s.t.Fatal(err)
	}
	st, body := s.do("POST", "/api/qsos/import?source="+source, token, bytes.NewReader(b))
	if st != 200 {
		s.t.Fatalf("import %s: status %d: %s", name, st, body)
	}
	var res awardtracker.ImportResult
	if err := json.Unmarshal(body, &res); err != nil {
		s.t.Fatal(err)
	}
	return res
}

func (s *testServer) stats(token string) awardtracker.Stats {
	s.t.Helper()
	var st awardtracker.Stats
	s.json("GET", "/api/qsos/stats", token, nil, 200, &st)
	return st
}
