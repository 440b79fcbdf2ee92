package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// TestFullLoTWDownload: POST /api/sync/lotw?full=true downloads every
// confirmation once, ignoring the cursor, and a second request within a day
// is refused with 409 and Retry-After. On PostgreSQL the jobs are River's
// (their ids its row ids), on SQLite the in-process syncer's: the API is
// the same.
func TestFullLoTWDownload(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testFullLoTWDownload(t, func(args ...string) string { url, _ := startService(t, args...); return url })
	})
	t.Run("postgres", func(t *testing.T) {
		db := pgtest.NewDatabase(t)
		testFullLoTWDownload(t, func(args ...string) string {
			url, stop := serve(t, append(args, "--db.url="+db)...)
			t.Cleanup(func() { stop() })
			return url
		})
	})
}

func testFullLoTWDownload(t *testing.T, start func(args ...string) string) {
	fake := lotwtest.NewSampleServer("n0aaa", "lotw-pass")
	defer fake.Close()
	url := start("--sync.interval=0", "--lotw.url="+fake.URL, "--secrets.key="+testSecretsKey,
		"--web.rate-limit.api=0", "--web.rate-limit.auth=0")
	tok := register(t, url, "N0AAA")
	if st := call(t, "PUT", url+"/api/me/lotw", tok, map[string]string{"username": "n0aaa", "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("credentials: %d", st)
	}
	sync := func(query string) awardtracker.SyncJob {
		t.Helper()
		var job awardtracker.SyncJob
		if st := call(t, "POST", url+"/api/sync/lotw"+query, tok, nil, &job); st != 202 {
			t.Fatalf("POST /api/sync/lotw%s: %d", query, st)
		}
		waitFor(t, "the sync job", func() bool {
			call(t, "GET", url+"/api/sync/jobs/"+job.ID, tok, nil, &job)
			return job.Status == awardtracker.JobSucceeded || job.Status == awardtracker.JobFailed
		})
		return job
	}
	since := func() string {
		reqs := fake.Requests()
		return reqs[len(reqs)-1].Query.Get("qso_qslsince")
	}

	if job := sync(""); job.Status != awardtracker.JobSucceeded || job.Full || job.Fetched != 6 {
		t.Fatalf("first sync %+v", job)
	}
	if job := sync(""); job.Fetched != 1 || since() != "2025-09-20 01:39:22" {
		t.Fatalf("second sync %+v since %q; want 1 record from the cursor", job, since())
	}
	if job := sync("?full=true"); job.Status != awardtracker.JobSucceeded || !job.Full || job.Fetched != 6 || since() != lotw.FirstSince {
		t.Fatalf("full sync %+v since %q; want all 6 since %s", job, since(), lotw.FirstSince)
	}

	req, _ := http.NewRequest("POST", url+"/api/sync/lotw?full=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The day is counted from the full sync a moment ago.
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != 409 || err != nil || ra > 86400 || ra < 86400-600 {
		t.Fatalf("second full sync: %d, Retry-After %q; want 409 and about a day", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for _, tc := range []struct{ path string }{{"/api/sync/lotw?full=maybe"}, {"/api/sync/dcl?full=true"}} {
		if st := call(t, "POST", url+tc.path, tok, nil, nil); st != 400 {
			t.Errorf("POST %s: %d, want 400", tc.path, st)
		}
	}
	if job := sync("?full=false"); job.Full || job.Fetched != 1 {
		t.Fatalf("sync with full=false %+v; want an ordinary sync", job)
	}
}
