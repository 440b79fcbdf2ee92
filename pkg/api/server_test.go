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

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/api"
	"github.com/awardtracker/awardtracker/pkg/auth"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/importer"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/ratelimit"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// testServer is the real stack (SQLite file, caches, tracker, auth) behind
// a real HTTP listener on 127.0.0.1.
type testServer struct {
	*api.Server
	t       testing.TB
	db      *sqlite.DB
	reg     *prometheus.Registry
	tracker *perf.Tracker
}

type options struct {
	operatorToken   string
	maxImportBytes  int64
	metricsSeparate bool
	maxConnections  int
	// authNow is the auth service's clock (nil: time.Now).
	authNow func() time.Time
	// rate limits in ratelimit.ParsePolicy syntax; empty: none
	apiLimit, authLimit, healthLimit string
}

func newTestServer(t testing.TB, o options) *testServer {
	t.Helper()
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	tracker := perf.New(reg, perf.Options{})
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "api.db"), sqlite.Options{Tracker: tracker})
	if err != nil {
		t.Fatal(err)
	}
	users := sqlite.NewUserService(db)
	authSvc, err := auth.NewService(users, bytes.Repeat([]byte("k"), 32), auth.Options{BcryptCost: bcrypt.MinCost, Now: o.authNow})
	if err != nil {
		t.Fatal(err)
	}
	qsos := sqlite.NewQSOService(db)
	cm := cache.NewMetrics(reg)
	statsCache := cache.New[*awardtracker.Stats]("stats", 5*time.Minute, cm)
	awardCache := cache.New[[]awardtracker.AwardProgress]("award", 5*time.Minute, cm)
	caches := cache.NewCaches(statsCache, awardCache)
	writes := cache.NewQSOService(qsos, caches)
	rl := ratelimit.NewMetrics(reg)
	limit := func(name, spec string) echo.MiddlewareFunc {
		if spec == "" {
			return nil
		}
		rate, burst, err := ratelimit.ParsePolicy(spec)
		if err != nil {
			t.Fatal(err)
		}
		return ratelimit.New(ratelimit.Policy{Name: name, Rate: rate, Burst: burst}, rl).Middleware()
	}
	srv, err := api.NewServer(api.Config{
		APILimit: limit("api", o.apiLimit), AuthLimit: limit("auth", o.authLimit), HealthLimit: limit("health", o.healthLimit),
		Auth: authSvc, Users: users, QSOs: writes, Imports: importer.New(writes, ""),
		Stats:  cache.NewStatsService(sqlite.NewStatsService(db), statsCache),
		Awards: cache.NewAwardService(award.NewService(qsos), awardCache),
		Caches: caches, Queries: tracker, DB: db,
		PingCacheTTL: -1, // tests see the database's state at once
		Registerer:   reg, Gatherer: reg, OperatorToken: o.operatorToken, MaxImportBytes: o.maxImportBytes, MetricsSeparate: o.metricsSeparate,
		MaxConnections: o.maxConnections,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close(context.Background())
		db.Close()
	})
	return &testServer{Server: srv, t: t, db: db, reg: reg, tracker: tracker}
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
