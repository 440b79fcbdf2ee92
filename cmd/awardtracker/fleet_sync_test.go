package main

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// TestFleet_SyncJobs: two services on one PostgreSQL database. The same
// LoTW sync asked for ten times through each is one job (River's unique
// job) and one download; the job reads the same through both, not at all
// for another user; both report the same queue figures.
func TestFleet_SyncJobs(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	fake := lotwtest.NewSampleServer("n0aaa", "lotw-pass")
	defer fake.Close()
	gate := fake.Drip(64) // the download waits until every request is in
	args := []string{"--db.url=" + dsn, "--sync.interval=0", "--lotw.url=" + fake.URL, "--secrets.key=" + testSecretsKey,
		"--web.rate-limit.api=0", "--web.rate-limit.auth=0"}
	a, stopA := serve(t, args...)
	b, stopB := serve(t, args...)
	defer stopA()
	defer stopB()
	tok := register(t, a, "N0AAA")
	other := register(t, b, "N0BBB")
	if st := call(t, "PUT", a+"/api/me/lotw", tok, map[string]string{"username": "n0aaa", "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("credentials: %d", st)
	}

	ids := make(chan string, 20)
	var wg sync.WaitGroup
	for i := range cap(ids) {
		base := []string{a, b}[i%2]
		wg.Go(func() {
			var job awardtracker.SyncJob
			if st := call(t, "POST", base+"/api/sync/lotw", tok, nil, &job); st != 202 {
				t.Errorf("POST /api/sync/lotw: %d", st)
			}
			ids <- job.ID
		})
	}
	wg.Wait()
	close(ids)
	id := <-ids
	for got := range ids {
		if got != id {
			t.Fatalf("job ids: got %q and %q, want one job", id, got)
		}
	}
	close(gate)

	var job awardtracker.SyncJob
	waitFor(t, "the sync job on B", func() bool {
		call(t, "GET", b+"/api/sync/jobs/"+id, tok, nil, &job)
		return job.Status == awardtracker.JobSucceeded || job.Status == awardtracker.JobFailed
	})
	if job.Status != awardtracker.JobSucceeded || job.Fetched != 6 || job.ID != id {
		t.Fatalf("job on B: got %+v, want succeeded with 6 fetched", job)
	}
	var onA awardtracker.SyncJob
	if st := call(t, "GET", a+"/api/sync/jobs/"+id, tok, nil, &onA); st != 200 || !reflect.DeepEqual(onA, job) {
		t.Errorf("job on A: got %d %+v, want 200 %+v", st, onA, job)
	}
	if st := call(t, "GET", b+"/api/sync/jobs/"+id, other, nil, nil); st != 404 {
		t.Errorf("another user's job: got %d, want 404", st)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("LoTW downloads: got %d, want 1", n)
	}
	const waiting = "awardtracker_sync_queue_jobs_waiting 0"
	for name, base := range map[string]string{"A": a, "B": b} {
		if m := scrape(t, base); !strings.Contains(m, waiting) {
			t.Errorf("%s: no %q:\n%s", name, waiting, grepLines(m, "awardtracker_sync_queue"))
		}
	}
}
