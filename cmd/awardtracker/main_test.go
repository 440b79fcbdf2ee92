package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startService runs the whole command in-process on a free loopback port
// and returns its URL; the service stops when the test ends, and the test
// fails if it did not exit cleanly.
func startService(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	ready := make(chan string, 1)
	exit := make(chan int, 1)
	args = append([]string{"--web.listen-address=127.0.0.1:0", "--db.path=" + filepath.Join(t.TempDir(), "e2e.db")}, args...)
	go func() { exit <- run(ctx, args, &stdout, &stderr, ready) }()
	var url string
	select {
	case url = <-ready:
	case code := <-exit:
		t.Fatalf("exited with %d before serving:\n%s", code, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("not ready after 2 minutes:\n%s", stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exit:
			if code != 0 {
				t.Errorf("exit code %d:\n%s", code, stderr.String())
			}
		case <-time.After(time.Minute):
			t.Error("did not stop within a minute of cancellation")
		}
	})
	return url, &stdout
}

func call(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

// TestDemo is the README's quick start: the demo serves stats and award
// progress with real numbers, and the generated LoTW report it imports
// has confirmed QSOs.
func TestDemo(t *testing.T) {
	url, stdout := startService(t, "--demo", "--sync.interval=0")
	if !strings.Contains(stdout.String(), demo.Password) {
		t.Errorf("stdout does not say how to log in:\n%s", stdout.String())
	}
	var login struct{ Token string }
	if st := call(t, "POST", url+"/api/auth/login", "", map[string]string{"callsign": demo.Callsign, "password": demo.Password}, &login); st != 200 {
		t.Fatalf("demo login: %d", st)
	}
	var st awardtracker.Stats
	call(t, "GET", url+"/api/qsos/stats", login.Token, nil, &st)
	if st.Total < 3000 || st.Confirmed < st.Total/2 || st.DXCC.Worked < 50 || len(st.Bands) < 8 || st.LastSync.LoTW == nil {
		t.Errorf("demo stats look thin: %+v", st)
	}
	var dxcc awardtracker.AwardProgress
	call(t, "GET", url+"/api/awards/dxcc", login.Token, nil, &dxcc)
	if dxcc.Confirmed < 50 || len(dxcc.Deleted) == 0 {
		t.Errorf("demo DXCC: %+v", dxcc)
	}
	var awards struct{ Awards []awardtracker.AwardProgress }
	call(t, "GET", url+"/api/awards", login.Token, nil, &awards)
	for _, a := range awards.Awards {
		if a.Worked == 0 {
			t.Errorf("award %s has nothing worked in the demo", a.ID)
		}
	}
	var page struct{ Total int }
	call(t, "GET", url+"/api/qsos?limit=1&confirmed=true", login.Token, nil, &page)
	if page.Total != st.Confirmed {
		t.Errorf("confirmed list total %d != stats confirmed %d", page.Total, st.Confirmed)
	}
	// The LoTW report confirmed QSOs of the log (it added none), as a sync
	// would.
	logQSOs := demo.Count(demo.Options{})
	if st.Total != logQSOs {
		t.Errorf("demo total %d, want the log's %d QSOs: the LoTW report added QSOs instead of confirming them", st.Total, logQSOs)
	}
	for _, q := range demo.Unconfirmed(demo.Options{}, 40)[:3] {
		var list struct{ QSOs []awardtracker.QSO }
		call(t, "GET", url+"/api/qsos?call="+q.Call, login.Token, nil, &list)
		confirmed := false
		for _, got := range list.QSOs {
			confirmed = confirmed || (got.LoTWConfirmed && got.Start.Equal(q.Start))
		}
		if !confirmed {
			t.Errorf("%s at %v: not confirmed by the demo's LoTW report: %+v", q.Call, q.Start, list.QSOs)
		}
	}
}

func TestHelpShowsDefaults(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--help"}, &out, &errOut, nil)
	if code != 0 {
		t.Fatalf("--help exited %d: %s", code, errOut.String())
	}
	for _, want := range []string{"--web.listen-address=\":3001\"", "data/awardtracker.db", "AWARDTRACKER_DB_PATH", "--cache.ttl=5m", "--log.format"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %s:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "debug.query-delay") {
		t.Error("help shows the hidden test-only flag")
	}
}

func TestBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"--no-such-flag"}, {"--log.format=xml"}, {"--secrets.key=short"}, {"--cache.ttl=soon"}} {
		if code := run(context.Background(), args, &out, &errOut, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestEnvironmentFallback(t *testing.T) {
	t.Setenv("AWARDTRACKER_CACHE_TTL", "42s")
	t.Setenv("AWARDTRACKER_WEB_LISTEN_ADDRESS", "127.0.0.1:0")
	cfg, err := parseConfig(nil, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CacheTTL != 42*time.Second || cfg.ListenAddress != "127.0.0.1:0" {
		t.Errorf("got ttl %v addr %q from the environment", cfg.CacheTTL, cfg.ListenAddress)
	}
}
