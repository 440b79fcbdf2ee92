package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// TestFleet_EndToEnd: three replicas of the real command as child
// processes on one PostgreSQL database and a fake LoTW.
//
//  1. 200 users' syncs, each asked for three times through random
//     replicas, run once each: one download per user, exact QSO counts.
//  2. After all three restart: every earlier job reads the same.
//     Statistics cached on one replica show a sync another replica ran
//     once the first has counted the notification.
//  3. SIGKILL of the replica running a sync: another one finishes the
//     job after the (small) rescue window; counts exact, nothing applied
//     twice; the killed replica, restarted, sees every job.
func TestFleet_EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const (
		users   = 200
		asks    = 3 // sync requests per user
		records = 5 // LoTW confirmations per user
	)
	dsn := pgtest.NewDatabase(t)
	fake := lotwtest.NewServer()
	defer fake.Close()
	callsigns := make([]string, users)
	for i := range callsigns {
		callsigns[i] = fmt.Sprintf("K%dE%c%c", i%10, 'A'+i/26%26, 'A'+i%26)
		fake.AddAccount(lower(callsigns[i]), "lotw-pass")
		fake.SetGenerated(lower(callsigns[i]), records, lotwtest.Generated)
	}
	base := []string{"--db.url=" + dsn, "--sync.interval=0", "--lotw.url=" + fake.URL, "--secrets.key=" + testSecretsKey,
		"--web.rate-limit.auth=0", "--debug.bcrypt-cost=4"} // bcrypt's least: 200 sign-ups in milliseconds
	start3 := func(extra ...string) []*child {
		var reps []*child
		for range 3 {
			reps = append(reps, startChild(t, append(base, extra...)...))
		}
		return reps
	}

	// 1. The downloads stall (Drip) until every request is in, so that a
	// request after a finished job cannot make a second, legitimate job.
	reps := start3()
	toks := make([]string, users)
	parallel(users, func(i int) {
		toks[i] = register(t, reps[rand.IntN(3)].URL, callsigns[i])
		creds := map[string]string{"username": lower(callsigns[i]), "password": "lotw-pass"}
		if st := call(t, "PUT", reps[rand.IntN(3)].URL+"/api/me/lotw", toks[i], creds, nil); st != 204 {
			t.Errorf("%s credentials: %d", callsigns[i], st)
		}
	})
	gate := fake.Drip(64)
	jobIDs := make([][asks]string, users)
	parallel(users*asks, func(k int) {
		var job awardtracker.SyncJob
		if st := call(t, "POST", reps[rand.IntN(3)].URL+"/api/sync/lotw", toks[k/asks], nil, &job); st != 202 {
			t.Errorf("POST /api/sync/lotw: %d", st)
		}
		jobIDs[k/asks][k%asks] = job.ID
	})
	close(gate)
	for i, ids := range jobIDs {
		if ids[0] == "" || ids[1] != ids[0] || ids[2] != ids[0] {
			t.Fatalf("%s job ids: got %q, want one job", callsigns[i], ids)
		}
	}
	parallel(users, func(i int) {
		job := waitJob(t, reps[rand.IntN(3)].URL, toks[i], jobIDs[i][0])
		if job.Status != awardtracker.JobSucceeded || job.Fetched != records || job.Imported != records {
			t.Errorf("%s job: got %+v, want succeeded with %d fetched and imported", callsigns[i], job, records)
		}
	})
	checkDownloads(t, fake, callsigns, 1)
	parallel(users, func(i int) {
		var st awardtracker.Stats
		if code := call(t, "GET", reps[rand.IntN(3)].URL+"/api/qsos/stats", toks[i], nil, &st); code != 200 || st.Total != records {
			t.Errorf("%s stats: got %d, total %d; want 200, total %d", callsigns[i], code, st.Total, records)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	// 2. Restart all three with a small sync deadline and rescue window
	// (and retry delay) for the kill below.
	for _, c := range reps {
		if err := c.stop(); err != nil {
			t.Fatalf("SIGTERM: %v\n%s", err, c.logs.String())
		}
	}
	small := []string{"--sync.timeout=5s", "--sync.rescue-after=6s", "--debug.sync-retry-base=100ms"}
	reps = start3(small...)
	checkJobs(t, reps[2].URL, toks, jobIDs, records)

	// The next sync stalls at the fake, so the test knows which replica
	// runs it; the cache is filled on another one before the sync applies.
	cacheCall, cacheTok := "N0CCH", ""
	fake.AddAccount(lower(cacheCall), "lotw-pass")
	fake.SetGenerated(lower(cacheCall), records, lotwtest.Generated)
	cacheTok = register(t, reps[0].URL, cacheCall)
	if st := call(t, "PUT", reps[0].URL+"/api/me/lotw", cacheTok, map[string]string{"username": lower(cacheCall), "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("credentials: %d", st)
	}
	gate = fake.Drip(64)
	var job awardtracker.SyncJob
	if st := call(t, "POST", reps[0].URL+"/api/sync/lotw", cacheTok, nil, &job); st != 202 {
		t.Fatalf("POST /api/sync/lotw on A: %d", st)
	}
	// B is neither A (reps[0]) nor the runner, when the runner is not A.
	runner := runningReplica(t, reps)
	b := reps[1]
	if runner != 0 {
		b = reps[3-runner]
	}
	var stats awardtracker.Stats
	if st := call(t, "GET", b.URL+"/api/qsos/stats", cacheTok, nil, &stats); st != 200 || stats.Total != 0 {
		t.Fatalf("stats on B before the sync: got %d, total %d; want 200, total 0", st, stats.Total)
	}
	before := applied(t, b.URL)
	close(gate)
	if job = waitJob(t, reps[0].URL, cacheTok, job.ID); job.Status != awardtracker.JobSucceeded {
		t.Fatalf("cache user's job: %+v", job)
	}
	waitFor(t, "B to count the runner's notification", func() bool { return applied(t, b.URL) > before })
	if st := call(t, "GET", b.URL+"/api/qsos/stats", cacheTok, nil, &stats); st != 200 || stats.Total != records {
		t.Errorf("stats on B after the notification: got %d, total %d; want 200, total %d", st, stats.Total, records)
	}

	// 3. Kill the replica running a sync while its download stalls.
	const big = 2_000
	killCall := "N0KIL"
	fake.AddAccount(lower(killCall), "lotw-pass")
	fake.SetGenerated(lower(killCall), big, lotwtest.Generated)
	killTok := register(t, reps[1].URL, killCall)
	if st := call(t, "PUT", reps[1].URL+"/api/me/lotw", killTok, map[string]string{"username": lower(killCall), "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("credentials: %d", st)
	}
	gate = fake.Drip(64)
	var killJob awardtracker.SyncJob
	if st := call(t, "POST", reps[1].URL+"/api/sync/lotw", killTok, nil, &killJob); st != 202 {
		t.Fatalf("POST /api/sync/lotw: %d", st)
	}
	runner = runningReplica(t, reps)
	reps[runner].kill()
	close(gate)
	survivor := reps[(runner+1)%3]
	if st := call(t, "GET", survivor.URL+"/api/qsos/stats", killTok, nil, &stats); st != 200 || stats.Total != 0 {
		t.Fatalf("stats after the kill: got %d, total %d; want 200, total 0", st, stats.Total)
	}
	killJob = waitJob(t, survivor.URL, killTok, killJob.ID)
	if killJob.Status != awardtracker.JobSucceeded || killJob.Fetched != big || killJob.Imported != big {
		t.Fatalf("the killed replica's job: got %+v, want succeeded with %d fetched and imported", killJob, big)
	}
	if n := downloads(fake)[lower(killCall)]; n != 2 {
		t.Errorf("downloads for the killed sync: got %d, want 2 (the killed one and the rescue)", n)
	}
	if st := call(t, "GET", survivor.URL+"/api/qsos/stats", killTok, nil, &stats); st != 200 || stats.Total != big || stats.LoTWConfirmed != big {
		t.Errorf("stats after the rescue: got %d, %+v; want %d QSOs, all LoTW-confirmed", st, stats, big)
	}

	// The killed replica, restarted, sees every earlier job.
	restarted := startChild(t, append(base, small...)...)
	checkJobs(t, restarted.URL, toks, jobIDs, records)
	var again awardtracker.SyncJob
	if st := call(t, "GET", restarted.URL+"/api/sync/jobs/"+killJob.ID, killTok, nil, &again); st != 200 || again.Status != awardtracker.JobSucceeded || again.Imported != big {
		t.Errorf("the rescued job after a restart: got %d %+v", st, again)
	}
	checkDownloads(t, fake, callsigns, 1)
}

// parallel runs f(0..n-1) on eight goroutines: enough to overlap
// requests across the replicas without drowning two cores.
func parallel(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func lower(call string) string {
	b := []byte(call)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// waitJob polls a job until it has finished.
func waitJob(t *testing.T, url, tok, id string) awardtracker.SyncJob {
	t.Helper()
	var job awardtracker.SyncJob
	waitFor(t, "job "+id, func() bool {
		call(t, "GET", url+"/api/sync/jobs/"+id, tok, nil, &job)
		return job.Status == awardtracker.JobSucceeded || job.Status == awardtracker.JobFailed
	})
	return job
}

// checkJobs reads every user's job through url.
func checkJobs(t *testing.T, url string, toks []string, ids [][3]string, records int) {
	t.Helper()
	parallel(len(toks), func(i int) {
		var job awardtracker.SyncJob
		if st := call(t, "GET", url+"/api/sync/jobs/"+ids[i][0], toks[i], nil, &job); st != 200 || job.Status != awardtracker.JobSucceeded || job.Imported != records {
			t.Errorf("job %s after a restart: got %d %+v, want 200, succeeded", ids[i][0], st, job)
		}
	})
}

// downloads counts the fake's report requests by login.
func downloads(fake *lotwtest.Server) map[string]int {
	n := map[string]int{}
	for _, r := range fake.Requests() {
		n[r.Query.Get("login")]++
	}
	return n
}

func checkDownloads(t *testing.T, fake *lotwtest.Server, callsigns []string, want int) {
	t.Helper()
	n := downloads(fake)
	for _, c := range callsigns {
		if n[lower(c)] != want {
			t.Errorf("%s downloads: got %d, want %d", c, n[lower(c)], want)
		}
	}
}

var inProgressRE = regexp.MustCompile(`(?m)^awardtracker_sync_in_progress\{source="lotw"\} 1$`)

// runningReplica waits until one replica reports a LoTW sync in progress
// and returns its index.
func runningReplica(t *testing.T, reps []*child) int {
	t.Helper()
	runner := -1
	waitFor(t, "a replica to run the sync", func() bool {
		for i, c := range reps {
			if inProgressRE.MatchString(scrape(t, c.URL)) {
				runner = i
				return true
			}
		}
		return false
	})
	return runner
}

var appliedRE = regexp.MustCompile(`(?m)^awardtracker_cache_notifications_received_total\{outcome="applied"\} (\d+)$`)

// applied is a replica's count of other replicas' invalidations applied.
func applied(t *testing.T, url string) int {
	t.Helper()
	m := appliedRE.FindStringSubmatch(scrape(t, url))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
