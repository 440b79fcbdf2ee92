package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/version"
	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/dcl/dcltest"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// testSecretsKey seals stored credentials in these tests.
const testSecretsKey = "app-test-secrets-key-0123456789abcdef"

// mustRun runs the service on a free loopback port with a fresh database,
// the cheapest bcrypt cost and no rate limits, after edit has adjusted the
// configuration; it is closed when the test ends.
func mustRun(t *testing.T, edit func(*app.Config)) *app.Main {
	t.Helper()
	cfg := app.Config{
		ListenAddress: "127.0.0.1:0",
		DBPath:        filepath.Join(t.TempDir(), "app.db"),
		BcryptCost:    bcrypt.MinCost,
		PingCacheTTL:  -1,
	}
	if edit != nil {
		edit(&cfg)
	}
	m := app.New(cfg, nil, nil)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return m
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestVersion: the one version that -ldflags set in prometheus/common/version
// reaches awardtracker_build_info and both upstream clients' User-Agent.
// Before, the LoTW and DCL clients read the module version from the build
// info, which a Docker build (no .git) never had.
func TestVersion(t *testing.T) {
	old := version.Version
	version.Version = "1.2.3-test"
	t.Cleanup(func() { version.Version = old })

	lotwFake := lotwtest.NewServer()
	t.Cleanup(lotwFake.Close)
	lotwFake.AddAccount("n0call", "lotw-password")
	dclFake := dcltest.NewServer()
	t.Cleanup(dclFake.Close)
	dclFake.AddKey("dcl-key")

	m := mustRun(t, func(c *app.Config) {
		c.SecretsKey = testSecretsKey
		c.LoTWURL, c.DCLURL = lotwFake.URL, dclFake.URL
	})
	ctx := context.Background()
	u, _, err := m.Auth.Register(ctx, "N0CALL", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Syncer.SetLoTWCredentials(ctx, u.ID, "n0call", "lotw-password"); err != nil {
		t.Fatal(err)
	}
	if err := m.Syncer.SetDCLCredentials(ctx, u.ID, "dcl-key"); err != nil {
		t.Fatal(err)
	}
	for _, src := range []awardtracker.Source{awardtracker.SourceLoTW, awardtracker.SourceDCL} {
		job, err := m.Syncer.Sync(ctx, u.ID, src)
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != awardtracker.JobSucceeded {
			t.Fatalf("%s sync: %+v", src, job)
		}
	}
	const want = "awardtracker/1.2.3-test"
	if reqs := lotwFake.Requests(); len(reqs) != 1 || reqs[0].UserAgent != want {
		t.Errorf("LoTW requests %+v, want one with User-Agent %q", reqs, want)
	}
	if reqs := dclFake.Requests(); len(reqs) != 1 || reqs[0].UserAgent != want {
		t.Errorf("DCL requests %+v, want one with User-Agent %q", reqs, want)
	}
	metrics := get(t, m.URL()+"/metrics")
	var buildInfo string
	for line := range strings.Lines(metrics) {
		if strings.HasPrefix(line, "awardtracker_build_info{") {
			buildInfo = line
		}
	}
	if !strings.Contains(buildInfo, `version="1.2.3-test"`) {
		t.Errorf("got build_info %q, want version=\"1.2.3-test\"", buildInfo)
	}
}

// TestRun_BadRateLimit: a rate limit that does not parse stops Run with an
// error naming it, and the next Run on the same database serves.
func TestRun_BadRateLimit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "app.db")
	m := app.New(app.Config{DBPath: db, RateAuth: "5/fortnight"}, nil, nil)
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "5/fortnight") {
		t.Fatalf("got %v, want an error naming 5/fortnight", err)
	}
	again := mustRun(t, func(c *app.Config) { c.DBPath = db })
	if got := get(t, again.URL()+"/livez"); got == "" {
		t.Error("empty /livez")
	}
}

// TestRun_NoListener: without a listen address the service is built but
// serves nothing by itself; its handler answers (benchmarks drive it).
func TestRun_NoListener(t *testing.T) {
	m := mustRun(t, func(c *app.Config) { c.ListenAddress = "" })
	if url := m.URL(); url != "" {
		t.Errorf("got URL %q, want none", url)
	}
	rec := httptest.NewRecorder()
	m.Server.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "awardtracker_build_info") {
		t.Errorf("GET /metrics through the handler: %d\n%s", rec.Code, rec.Body.String())
	}
}
