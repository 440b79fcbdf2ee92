package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// DELETE /api/me/lotw and /api/me/dcl forget the stored credentials: 204,
// again 204, no sync starts afterwards, and one user's delete leaves another
// user's credentials alone.
func TestCredentialsDelete(t *testing.T) {
	fake := lotwtest.NewSampleServer("n0aaa", "lotw-pass")
	defer fake.Close()
	url, _ := startService(t, "--sync.interval=0", "--lotw.url="+fake.URL, "--secrets.key="+testSecretsKey,
		"--web.rate-limit.api=0", "--web.rate-limit.auth=0")
	a, b := register(t, url, "N0AAA"), register(t, url, "N0BBB")
	for _, tok := range []string{a, b} {
		if st := call(t, "PUT", url+"/api/me/lotw", tok, map[string]string{"username": "n0aaa", "password": "lotw-pass"}, nil); st != 204 {
			t.Fatalf("PUT /api/me/lotw: %d, want 204", st)
		}
		if st := call(t, "PUT", url+"/api/me/dcl", tok, map[string]string{"key": "dcl-key"}, nil); st != 204 {
			t.Fatalf("PUT /api/me/dcl: %d, want 204", st)
		}
	}
	for range 2 { // idempotent
		for _, path := range []string{"/api/me/lotw", "/api/me/dcl"} {
			if st := call(t, "DELETE", url+path, b, nil, nil); st != 204 {
				t.Fatalf("DELETE %s: %d, want 204", path, st)
			}
		}
	}
	for _, path := range []string{"/api/sync/lotw", "/api/sync/dcl"} {
		if st := call(t, "POST", url+path, b, nil, nil); st != 404 {
			t.Fatalf("B's POST %s after the delete: %d, want 404 (no credentials)", path, st)
		}
	}
	var job awardtracker.SyncJob
	if st := call(t, "POST", url+"/api/sync/lotw", a, nil, &job); st != 202 {
		t.Fatalf("A's sync: %d, want 202 (A's credentials kept)", st)
	}
	if st := call(t, "DELETE", url+"/api/me/lotw", "", nil, nil); st != 401 {
		t.Fatalf("DELETE without a token: %d, want 401", st)
	}
}

func TestSyncFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errOut, nil); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, want := range []string{"--sync.concurrency=4", "--sync.timeout=1h", "--sync.rescue-after=1h15m", "--lotw.max-report-bytes=1073741824"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %s", want)
		}
	}
	for _, args := range [][]string{{"--sync.concurrency=0"}, {"--sync.timeout=0s"}, {"--sync.timeout=2h"}, {"--sync.rescue-after=30m"}, {"--lotw.max-report-bytes=0"}} {
		if code := run(context.Background(), args, &out, &errOut, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
