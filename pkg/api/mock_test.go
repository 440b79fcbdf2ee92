package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/api"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/mock"
)

// mockServer is the HTTP layer alone: pkg/api's Server over pkg/mock's
// services on 127.0.0.1, for tests of status mapping, error bodies, routes
// and JSON decoding, without SQLite and without bcrypt. What a test's
// requests reach, it sets: a method whose function is not set panics,
// which the server answers with a 500. Tokens come from user; the health
// endpoint's counters answer empty unless a test sets them.
type mockServer struct {
	*api.Server
	t testing.TB

	Auth    mock.AuthService
	Users   mock.UserService
	QSOs    mock.QSOService
	Imports mock.ImportService
	Stats   mock.StatsService
	Awards  mock.AwardService
	Syncer  mock.SyncService
	Caches  mock.CacheService
	Queries mock.QueryStatsService

	mu     sync.Mutex
	tokens map[string]awardtracker.Claims // what Verify accepts
}

func newMockServer(t testing.TB) *mockServer {
	t.Helper()
	s := &mockServer{t: t, tokens: map[string]awardtracker.Claims{}}
	s.Auth.VerifyFn = func(_ context.Context, token string) (awardtracker.Claims, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c, ok := s.tokens[token]; ok {
			return c, nil
		}
		return awardtracker.Claims{}, awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "invalid or expired token")
	}
	s.Caches.CacheCountersFn = func() []awardtracker.CacheCounters {
		return []awardtracker.CacheCounters{{Name: "stats"}, {Name: "award"}}
	}
	s.Queries.SummaryFn = func() awardtracker.QuerySummary { return awardtracker.QuerySummary{} }
	reg := prometheus.NewRegistry()
	srv, err := api.NewServer(api.Config{
		Auth: &s.Auth, Users: &s.Users, QSOs: &s.QSOs, Imports: &s.Imports, Stats: &s.Stats, Awards: &s.Awards,
		Syncer: &s.Syncer, Caches: &s.Caches, Queries: &s.Queries,
		DB: pingFunc(func(context.Context) error { return nil }), PingCacheTTL: -1,
		Registerer: reg, Gatherer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	s.Server = srv
	return s
}

// pingFunc is a database ping for api.Config.DB.
type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// user returns a token that Verify accepts for the user.
func (s *mockServer) user(id int64, callsign string) string {
	tok := fmt.Sprintf("token-of-%d-%s", id, callsign)
	s.mu.Lock()
	s.tokens[tok] = awardtracker.Claims{UserID: id, Callsign: callsign}
	s.mu.Unlock()
	return tok
}

// do sends a request and returns the status and body.
func (s *mockServer) do(method, path, token string, body io.Reader, header ...string) (int, []byte) {
	s.t.Helper()
	return send(s.t, s.URL(), method, path, token, body, header...)
}

// send sends a request to base+path with an optional bearer token and
// header pairs, and returns the status and body.
func send(t testing.TB, base, method, path, token string, body io.Reader, header ...string) (int, []byte) {
	t.Helper()
	resp, b := request(t, base, method, path, token, body, header...)
	return resp.StatusCode, b
}

// request is send for a test that needs the response's headers too; the
// body is read and closed.
func request(t testing.TB, base, method, path, token string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestErrorStatus: every domain error code a service returns becomes its
// one HTTP status, with a body of the code and the caller-safe message;
// what is not a domain error is a 500 that shows none of its text.
func TestErrorStatus(t *testing.T) {
	s := newMockServer(t)
	tok := s.user(1, "N0ERR")
	cause := errors.New("disk I/O error at /var/lib/secret-path")
	for _, tc := range []struct {
		err    error
		status int
		code   awardtracker.Code
		msg    string
	}{
		{awardtracker.Errorf(awardtracker.EINVALID, "bad band %q", "21m"), 400, awardtracker.EINVALID, `bad band "21m"`},
		{awardtracker.Errorf(awardtracker.ENOTFOUND, "no such QSO"), 404, awardtracker.ENOTFOUND, "no such QSO"},
		{awardtracker.Errorf(awardtracker.ECONFLICT, "taken"), 409, awardtracker.ECONFLICT, "taken"},
		{awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "no"), 401, awardtracker.EUNAUTHORIZED, "no"},
		{awardtracker.Errorf(awardtracker.EFORBIDDEN, "not yours"), 403, awardtracker.EFORBIDDEN, "not yours"},
		{awardtracker.Errorf(awardtracker.ETOOLARGE, "too big"), 413, awardtracker.ETOOLARGE, "too big"},
		{awardtracker.Errorf(awardtracker.ETOOMANY, "slow down"), 429, awardtracker.ETOOMANY, "slow down"},
		// The cause stays in the log; the caller sees the message.
		{fmt.Errorf("stats: %w", awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unavailable", cause)), 503, awardtracker.EUNAVAILABLE, "database unavailable"},
		{awardtracker.Errorf(awardtracker.EINTERNAL, "bug"), 500, awardtracker.EINTERNAL, "bug"},
		{cause, 500, awardtracker.EINTERNAL, "internal error"},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), 503, awardtracker.EUNAVAILABLE, "timed out, try again"},
	} {
		t.Run(string(tc.code)+"/"+tc.msg, func(t *testing.T) {
			s.Stats.StatsFn = func(context.Context, int64) (*awardtracker.Stats, error) { return nil, tc.err }
			st, body := s.do("GET", "/api/qsos/stats", tok, nil)
			var e struct {
				Error string            `json:"error"`
				Code  awardtracker.Code `json:"code"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if st != tc.status || e.Code != tc.code || e.Error != tc.msg {
				t.Errorf("got %d %s, want %d {%q, %q}", st, body, tc.status, tc.msg, tc.code)
			}
			if strings.Contains(string(body), "secret-path") {
				t.Errorf("body %s shows the cause", body)
			}
		})
	}
}

// TestQSOIndex_BadQuery: a malformed list query is refused before the
// storage is asked (FindQSOs is not set: calling it would be a 500).
func TestQSOIndex_BadQuery(t *testing.T) {
	s := newMockServer(t)
	tok := s.user(1, "N0LIST")
	for _, bad := range []string{"limit=0", "limit=x", "limit=5000", "offset=-1", "confirmed=maybe", "band=21m"} {
		if st, body := s.do("GET", "/api/qsos?"+bad, tok, nil); st != 400 {
			t.Errorf("?%s: %d (%s), want 400", bad, st, body)
		}
	}
	var got awardtracker.QSOFilter
	s.QSOs.FindQSOsFn = func(_ context.Context, userID int64, f awardtracker.QSOFilter) ([]awardtracker.QSO, int, error) {
		if userID != 1 {
			t.Errorf("FindQSOs for user %d, want 1", userID)
		}
		got = f
		return []awardtracker.QSO{}, 0, nil
	}
	if st, body := s.do("GET", "/api/qsos?band=17M&mode=ft8&limit=5", tok, nil); st != 200 || string(body) != `{"qsos":[],"total":0}`+"\n" {
		t.Fatalf("good query: %d %q", st, body)
	}
	if got.Band != "17m" || got.Limit != 5 {
		t.Errorf("filter %+v, want band 17m (normalised), limit 5", got)
	}
}

// TestSyncRoutes: the sync and credential routes pass the caller's user,
// source and body to the syncer and map its answers.
func TestSyncRoutes(t *testing.T) {
	s := newMockServer(t)
	tok := s.user(7, "N0SYNC")
	queued := func(src awardtracker.Source, full bool) *awardtracker.SyncJob {
		return &awardtracker.SyncJob{ID: "job-1", UserID: 7, Source: src, Status: awardtracker.JobQueued, Full: full}
	}
	s.Syncer.StartFn = func(_ context.Context, userID int64, src awardtracker.Source) (*awardtracker.SyncJob, error) {
		if userID != 7 {
			t.Errorf("Start for user %d, want 7", userID)
		}
		return queued(src, false), nil
	}
	s.Syncer.StartFullFn = func(context.Context, int64) (*awardtracker.SyncJob, error) {
		err := awardtracker.Errorf(awardtracker.ECONFLICT, "a full re-download ran less than a day ago")
		err.RetryAfter = 90*time.Second + time.Millisecond
		return nil, err
	}
	s.Syncer.JobFn = func(userID int64, id string) (*awardtracker.SyncJob, error) {
		return nil, awardtracker.Errorf(awardtracker.ENOTFOUND, "sync job %q not found", id)
	}
	var creds [2]string
	s.Syncer.SetLoTWCredentialsFn = func(_ context.Context, userID int64, username, password string) error {
		creds = [2]string{username, password}
		return nil
	}

	t.Run("Start", func(t *testing.T) {
		resp, body := request(t, s.URL(), "POST", "/api/sync/dcl", tok, nil)
		var job awardtracker.SyncJob
		if err := json.Unmarshal(body, &job); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		if resp.StatusCode != 202 || resp.Header.Get("Location") != "/api/sync/jobs/job-1" || job.Source != awardtracker.SourceDCL || job.Status != awardtracker.JobQueued {
			t.Errorf("got %d, Location %q, job %+v; want 202, /api/sync/jobs/job-1, a queued dcl job", resp.StatusCode, resp.Header.Get("Location"), job)
		}
	})
	t.Run("ErrFullTooSoon", func(t *testing.T) {
		resp, body := request(t, s.URL(), "POST", "/api/sync/lotw?full=true", tok, nil)
		if resp.StatusCode != 409 || resp.Header.Get("Retry-After") != "91" {
			t.Errorf("got %d %s, Retry-After %q; want 409, 91 (rounded up)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("ErrBadQuery", func(t *testing.T) {
		// Refused before the syncer is asked.
		for _, path := range []string{"/api/sync/lotw?full=maybe", "/api/sync/dcl?full=true"} {
			if st, body := s.do("POST", path, tok, nil); st != 400 {
				t.Errorf("%s: %d %s, want 400", path, st, body)
			}
		}
	})
	t.Run("ErrJobNotFound", func(t *testing.T) {
		if st, body := s.do("GET", "/api/sync/jobs/nope", tok, nil); st != 404 || !strings.Contains(string(body), `"code":"not_found"`) {
			t.Errorf("got %d %s, want 404 not_found", st, body)
		}
	})
	t.Run("Credentials", func(t *testing.T) {
		st, body := s.do("PUT", "/api/me/lotw", tok, strings.NewReader(`{"username":"n0sync","password":"p&ss word"}`), "Content-Type", "application/json")
		if st != 204 || creds != [2]string{"n0sync", "p&ss word"} {
			t.Errorf("got %d %s, syncer saw %q; want 204 and the body's login", st, body, creds)
		}
	})
}
