package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// TestIsolation walks every user route as user B against user A's data
// (QSO ids, callsigns, sync job ids) and checks that B can neither read nor
// change nor sync any of it.
func TestIsolation(t *testing.T) {
	fake := lotwtest.NewSampleServer("n0aaa", "lotw-pass")
	defer fake.Close()
	url, _ := startService(t, "--sync.interval=0", "--lotw.url="+fake.URL, "--secrets.key="+testSecretsKey,
		"--web.rate-limit.api=0", "--web.rate-limit.auth=0")
	a, b := register(t, url, "N0AAA"), register(t, url, "N0BBB")

	log, err := adiftest.ReadFile("own-log.adi")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url+"/api/qsos/import", bytes.NewReader(log))
	req.Header.Set("Authorization", "Bearer "+a)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("A's import: %v %v", resp, err)
	}
	resp.Body.Close()
	if st := call(t, "PUT", url+"/api/me/lotw", a, map[string]string{"username": "n0aaa", "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("A's credentials: %d", st)
	}
	var job awardtracker.SyncJob
	if st := call(t, "POST", url+"/api/sync/lotw", a, nil, &job); st != 202 {
		t.Fatalf("A's sync: %d", st)
	}
	var page struct {
		QSOs  []awardtracker.QSO
		Total int
	}
	call(t, "GET", url+"/api/qsos", a, nil, &page)
	aQSO := page.QSOs[0].ID

	// Everything B can reach answers about B alone, or not at all.
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", fmt.Sprintf("/api/sync/jobs/%s", job.ID), 404},
		{"DELETE", fmt.Sprintf("/api/qsos/%d", aQSO), 404},
		{"POST", "/api/sync/lotw", 404}, // B stored no credentials; A's are not B's
		{"POST", "/api/sync/dcl", 404},
		{"GET", "/api/qsos?call=" + page.QSOs[0].Call, 200},
		{"GET", "/api/qsos/export?call=" + page.QSOs[0].Call, 200}, // B's own (empty) log
		{"GET", "/api/qsos/export", 200},
	} {
		var body []byte
		st := func() int {
			req, _ := http.NewRequest(tc.method, url+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+b)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ = io.ReadAll(resp.Body)
			return resp.StatusCode
		}()
		if st != tc.want {
			t.Errorf("B %s %s: %d (%s), want %d", tc.method, tc.path, st, body, tc.want)
		}
		if strings.Contains(string(body), "N0AAA") || strings.Contains(string(body), "n0aaa") {
			t.Errorf("B %s %s: the answer mentions A: %s", tc.method, tc.path, body)
		}
	}
	var st awardtracker.Stats
	call(t, "GET", url+"/api/qsos/stats", b, nil, &st)
	if st.Total != 0 || st.LastSync.LoTW != nil {
		t.Errorf("B's stats show A's data: %+v", st)
	}
	var awards struct{ Awards []awardtracker.AwardProgress }
	call(t, "GET", url+"/api/awards", b, nil, &awards)
	for _, aw := range awards.Awards {
		if aw.Worked != 0 {
			t.Errorf("B's %s award shows %d worked", aw.ID, aw.Worked)
		}
	}
	call(t, "GET", url+"/api/qsos", a, nil, &page)
	if page.Total != 12 {
		t.Errorf("A has %d QSOs after B's attempts, want 12", page.Total)
	}
	// A token for one user cannot be turned into another's: the user id is
	// signed, and a token from another installation (another key) fails.
	if st := call(t, "GET", url+"/api/qsos/stats", a[:len(a)-3]+"abc", nil, nil); st != 401 {
		t.Errorf("tampered token: %d, want 401", st)
	}
}

// TestMetricsLint runs promtool on the full service's /metrics: every
// collector the command registers, with demo traffic and a LoTW sync.
func TestMetricsLint(t *testing.T) {
	fake := lotwtest.NewSampleServer("n0demo", "lotw-pass")
	defer fake.Close()
	// Scheduled backups on, so that their metrics are linted too.
	url, _ := startService(t, "--demo", "--sync.interval=0", "--backup.dir="+t.TempDir(), "--backup.interval=1h",
		"--lotw.url="+fake.URL, "--secrets.key="+testSecretsKey)
	tok := func() string {
		var resp struct{ Token string }
		call(t, "POST", url+"/api/auth/login", "", map[string]string{"callsign": "N0DEMO", "password": "demo-password"}, &resp)
		return resp.Token
	}()
	if st := call(t, "PUT", url+"/api/me/lotw", tok, map[string]string{"username": "n0demo", "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("credentials: %d", st)
	}
	var job awardtracker.SyncJob
	if st := call(t, "POST", url+"/api/sync/lotw", tok, nil, &job); st != 202 {
		t.Fatalf("POST /api/sync/lotw: %d", st)
	}
	waitFor(t, "the sync job", func() bool {
		call(t, "GET", url+"/api/sync/jobs/"+job.ID, tok, nil, &job)
		return job.Status == awardtracker.JobSucceeded || job.Status == awardtracker.JobFailed
	})
	call(t, "GET", url+"/api/qsos/stats", tok, nil, nil)
	call(t, "GET", url+"/api/awards", tok, nil, nil)
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"awardtracker_build_info{", "go_sql_open_connections", "process_resident_memory_bytes",
		"awardtracker_db_up 1", `awardtracker_sync_runs_total{result="success",source="lotw"} 1`, "awardtracker_cache_items{cache=\"stats\"}",
		"awardtracker_backup_failures_total 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run `make tools`")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
