package syncer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
	"github.com/awardtracker/awardtracker/pkg/secret"
	"github.com/awardtracker/awardtracker/pkg/syncer"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// fleet is one PostgreSQL database and one fake LoTW that several syncers
// ("replicas", each with its own connections, River client and registry)
// share, as the replicas of a fleet do.
type fleet struct {
	url  string
	db   *gormstore.DB
	lotw *lotwtest.Server
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pool := newPool(t, url)
	if err := syncer.MigrateRiver(ctx, pool); err != nil {
		t.Fatal(err)
	}
	f := &fleet{url: url, db: db, lotw: lotwtest.NewServer()}
	t.Cleanup(f.lotw.Close)
	return f
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

type replicaOptions struct {
	concurrency int
	timeout     time.Duration
	rescueAfter time.Duration
	now         func() time.Time
}

// replica is one syncer in the fleet mode over its own connections.
type replica struct {
	s   *syncer.Syncer
	reg *prometheus.Registry
}

func (f *fleet) replica(t testing.TB, o replicaOptions) *replica {
	t.Helper()
	db, err := postgres.Open(context.Background(), f.url, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secret.NewBox(secretsKey)
	if err != nil {
		t.Fatal(err)
	}
	if o.timeout == 0 {
		o.timeout = 30 * time.Second
	}
	if o.rescueAfter == 0 {
		o.rescueAfter = time.Minute
	}
	r := &replica{reg: prometheus.NewRegistry()}
	r.s, err = syncer.New(syncer.Options{
		QSOs: gormstore.NewQSOService(db), States: gormstore.NewSyncStateService(db),
		LoTW: lotw.New(lotw.Options{URL: f.lotw.URL, Version: "test"}),
		Box:  box, Registerer: r.reg, Now: o.now,
		Concurrency: o.concurrency, Timeout: o.timeout, RescueAfter: o.rescueAfter, RetryBase: 10 * time.Millisecond,
		Pool: newPool(t, f.url),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.s.Close(context.Background()) })
	return r
}

// user creates a user whose LoTW account holds n generated confirmations,
// with its credentials stored.
func (f *fleet) user(t testing.TB, s *syncer.Syncer, call string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := gormstore.NewUserService(f.db).CreateUser(ctx, call, []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	f.lotw.AddAccount(call, lotwPassword)
	f.lotw.SetGenerated(call, n, lotwtest.Generated)
	if err := s.SetLoTWCredentials(ctx, u.ID, call, lotwPassword); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// requests counts the LoTW downloads of one account.
func (f *fleet) requests(login string) int {
	n := 0
	for _, r := range f.lotw.Requests() {
		if r.Query.Get("login") == login {
			n++
		}
	}
	return n
}

func (f *fleet) qsoCount(t testing.TB, userID int64) int {
	t.Helper()
	_, n, err := gormstore.NewQSOService(f.db).FindQSOs(context.Background(), userID, awardtracker.QSOFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wait(t testing.TB, s *syncer.Syncer, userID int64, id string) *awardtracker.SyncJob {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, err := s.Wait(ctx, userID, id)
	if err != nil {
		t.Fatalf("wait for job %s: %v", id, err)
	}
	return job
}

// TestFleet_Unique asks for one user's LoTW sync many times at once through
// two replicas: one job, one download, every caller gets its id, and either
// replica answers for it; another user's request for it is not found.
func TestFleet_Unique(t *testing.T) {
	f := newFleet(t)
	a, b := f.replica(t, replicaOptions{}), f.replica(t, replicaOptions{})
	uid := f.user(t, a.s, "N0AAA", 500)
	other := f.user(t, a.s, "N0BBB", 1)
	// The first download stalls until every request is in, so that none
	// comes after the job finished (which would rightly start a new one).
	gate := f.lotw.Drip(256)

	ids := make(chan string, 40)
	var wg sync.WaitGroup
	for i := range cap(ids) {
		s := []*syncer.Syncer{a.s, b.s}[i%2]
		wg.Go(func() {
			job, err := s.Start(context.Background(), uid, awardtracker.SourceLoTW)
			if err != nil {
				t.Errorf("Start: %v", err)
				return
			}
			ids <- job.ID
		})
	}
	wg.Wait()
	close(ids)
	var id string
	for got := range ids {
		if id == "" {
			id = got
		}
		if got != id {
			t.Fatalf("job ids: got %s and %s, want one job", id, got)
		}
	}
	close(gate)

	job := wait(t, b.s, uid, id)
	if job.Status != awardtracker.JobSucceeded || job.Fetched != 500 || job.Imported != 500 {
		t.Fatalf("job: got %+v, want succeeded with 500 fetched and imported", job)
	}
	if got := f.requests("N0AAA"); got != 1 {
		t.Errorf("LoTW downloads: got %d, want 1", got)
	}
	if got := f.qsoCount(t, uid); got != 500 {
		t.Errorf("QSOs: got %d, want 500", got)
	}
	for name, s := range map[string]*syncer.Syncer{"a": a.s, "b": b.s} {
		got, err := s.Job(uid, id)
		if err != nil || got.Status != awardtracker.JobSucceeded || got.Imported != 500 || got.ID != id {
			t.Errorf("replica %s: Job: got %+v, %v; want the succeeded job %s", name, got, err, id)
		}
		if _, err := s.Job(other, id); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Errorf("replica %s: another user's job: got %v, want ENOTFOUND", name, err)
		}
		if _, err := s.Job(uid, "not-a-job"); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Errorf("replica %s: unknown id: got %v, want ENOTFOUND", name, err)
		}
	}
	// A replica started afterwards (a restart) knows the job too.
	a.s.Close(context.Background())
	c := f.replica(t, replicaOptions{})
	if got, err := c.s.Job(uid, id); err != nil || got.Status != awardtracker.JobSucceeded || got.Imported != 500 {
		t.Errorf("restarted replica: Job: got %+v, %v; want the succeeded job %s", got, err, id)
	}
}

// TestFleet_BadLogin: a rejected login is never retried (LoTW etiquette),
// and the job reads as failed with the reason.
func TestFleet_BadLogin(t *testing.T) {
	f := newFleet(t)
	a := f.replica(t, replicaOptions{})
	uid := f.user(t, a.s, "N0AAA", 3)
	f.lotw.SetFault(lotwtest.FaultBadLogin)
	job, err := a.s.Start(context.Background(), uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	job = wait(t, a.s, uid, job.ID)
	if job.Status != awardtracker.JobFailed || !strings.Contains(job.Error, "paused") {
		t.Errorf("job: got %+v, want failed, automatic syncs paused", job)
	}
	if got := f.requests("N0AAA"); got != 1 {
		t.Errorf("LoTW downloads: got %d, want 1 (no retry after a rejected login)", got)
	}
}

// TestFleet_RateLimited: LoTW's rate-limit page snoozes the job for hours:
// it reads as queued with the reason, and asking again returns it rather
// than download again.
func TestFleet_RateLimited(t *testing.T) {
	f := newFleet(t)
	a := f.replica(t, replicaOptions{})
	uid := f.user(t, a.s, "N0AAA", 5)
	f.lotw.SetFault(lotwtest.FaultRateLimited)
	job, err := a.s.Start(context.Background(), uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	id := job.ID
	waitFor(t, func() bool {
		job, err = a.s.Job(uid, id)
		return err == nil && job.Status == awardtracker.JobQueued && job.Error != ""
	})
	again, err := a.s.Start(context.Background(), uid, awardtracker.SourceLoTW)
	if err != nil || again.ID != id {
		t.Errorf("asked again: got %+v, %v; want the snoozed job %s", again, err, id)
	}
	if got := f.requests("N0AAA"); got != 1 {
		t.Errorf("LoTW downloads: got %d, want 1", got)
	}
	pool := newPool(t, f.url)
	var state string
	var wait float64
	if err := pool.QueryRow(context.Background(),
		`SELECT state, EXTRACT(EPOCH FROM scheduled_at - now()) FROM river_job WHERE id = $1`, id).Scan(&state, &wait); err != nil {
		t.Fatal(err)
	}
	if state != "scheduled" || wait < (syncer.RateLimitBase-time.Minute).Seconds() {
		t.Errorf("job row: got %s in %.0fs, want scheduled in about %v", state, wait, syncer.RateLimitBase)
	}
}

// TestFleet_Timeout: a sync past --sync.timeout (River's job timeout)
// fails with the flag named, writes nothing, and is not retried by River:
// another attempt would most likely hold LoTW as long again.
func TestFleet_Timeout(t *testing.T) {
	f := newFleet(t)
	a := f.replica(t, replicaOptions{timeout: time.Second, rescueAfter: time.Minute})
	uid := f.user(t, a.s, "N0AAA", 500)
	gate := f.lotw.Drip(256) // never fed: the download stalls
	defer close(gate)
	job, err := a.s.Start(context.Background(), uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	job = wait(t, a.s, uid, job.ID)
	if job.Status != awardtracker.JobFailed || !strings.Contains(job.Error, "--sync.timeout") || job.Imported != 0 {
		t.Errorf("job: got %+v, want failed naming --sync.timeout", job)
	}
	if got := f.qsoCount(t, uid); got != 0 {
		t.Errorf("QSOs: got %d, want 0", got)
	}
	if got := f.requests("N0AAA"); got != 1 {
		t.Errorf("LoTW downloads: got %d, want 1 (no retry after a timeout)", got)
	}
}

// TestFleet_Schedule runs the scheduler on two replicas: River runs the
// periodic job on its leader only, so each due user is synced once, not
// once per replica.
func TestFleet_Schedule(t *testing.T) {
	f := newFleet(t)
	c := &clock{t: t0}
	a := f.replica(t, replicaOptions{now: c.Now})
	b := f.replica(t, replicaOptions{now: c.Now})
	const users = 6
	var uids []int64
	for i := range users {
		uids = append(uids, f.user(t, a.s, fmt.Sprintf("N%dSCH", i), 10))
	}
	every := time.Minute
	c.Add(2 * every) // every user's slot has come since the replicas started

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.s.Run(ctx, every) })
	wg.Go(func() { b.s.Run(ctx, every) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	pool := newPool(t, f.url)
	// Wait (on the database, not a clock) until every user synced and the
	// periodic job ran twice more, each of which would have queued any
	// user a second time.
	schedules := func() int {
		var n int
		if err := pool.QueryRow(context.Background(),
			`SELECT count(*) FROM river_job WHERE kind = 'awardtracker_schedule' AND state = 'completed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	synced := func() int {
		var n int
		if err := pool.QueryRow(context.Background(),
			`SELECT count(*) FROM river_job WHERE kind = 'awardtracker_sync' AND state = 'completed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(2 * time.Minute) // a hang fails, it is not a measurement
	var after int
	for after == 0 || schedules() < after+2 {
		if after == 0 && synced() == users {
			after = schedules()
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("gave up: %d of %d users synced, %d schedule runs", synced(), users, schedules())
		}
	}
	var jobs int
	if err := pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = 'awardtracker_sync'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != users {
		t.Errorf("sync jobs: got %d, want %d (one per user)", jobs, users)
	}
	for i, uid := range uids {
		login := fmt.Sprintf("N%dSCH", i)
		if got := f.requests(login); got != 1 {
			t.Errorf("%s: LoTW downloads: got %d, want 1", login, got)
		}
		if got := f.qsoCount(t, uid); got != 10 {
			t.Errorf("%s: QSOs: got %d, want 10", login, got)
		}
	}
}

// TestFleet_QueueMetrics: the queue's gauges are read from River's table at
// scrape time, and pass the linter.
func TestFleet_QueueMetrics(t *testing.T) {
	f := newFleet(t)
	a := f.replica(t, replicaOptions{concurrency: 1})
	u1 := f.user(t, a.s, "N0AAA", 50)
	u2 := f.user(t, a.s, "N0BBB", 50)
	gate := f.lotw.Drip(64)
	j1, err := a.s.Start(context.Background(), u1, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	// Once the first job runs (its download reached LoTW), the second has
	// to wait: the only worker is busy.
	waitFor(t, func() bool { return f.requests("N0AAA") == 1 })
	j2, err := a.s.Start(context.Background(), u2, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return testutil.ToFloat64(gauge(a.reg, "awardtracker_sync_queue_jobs_waiting")) == 1 })
	if got := testutil.ToFloat64(gauge(a.reg, "awardtracker_sync_queue_oldest_waiting_age_seconds")); got < 0 {
		t.Errorf("oldest waiting age: got %v, want >= 0", got)
	}
	close(gate)
	wait(t, a.s, u1, j1.ID)
	wait(t, a.s, u2, j2.ID)
	if got := testutil.ToFloat64(gauge(a.reg, "awardtracker_sync_queue_jobs_waiting")); got != 0 {
		t.Errorf("waiting after both ran: got %v, want 0", got)
	}
	if got := testutil.ToFloat64(gauge(a.reg, "awardtracker_sync_queue_jobs_discarded")); got != 0 {
		t.Errorf("discarded: got %v, want 0", got)
	}
	if problems, err := testutil.GatherAndLint(a.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: got %v, %v; want none", problems, err)
	}
}

// TestFleet_LastSuccess: every replica reports the stored time of the last
// successful sync, whichever replica ran it, and without waiting for its
// own schedule (which runs on River's leader only). Before, a replica
// reported only the syncs it ran itself.
func TestFleet_LastSuccess(t *testing.T) {
	f := newFleet(t)
	at := time.Date(2026, 5, 1, 12, 0, 0, 250_000_000, time.UTC)
	now := func() time.Time { return at }
	replicas := map[string]*replica{"a": f.replica(t, replicaOptions{now: now}), "b": f.replica(t, replicaOptions{now: now})}
	lastSuccess := func(r *replica) float64 {
		t.Helper()
		return metric(t, r.reg, "awardtracker_sync_last_success_timestamp_seconds", map[string]string{"source": "lotw"})
	}
	for name, r := range replicas {
		if got := lastSuccess(r); got != 0 {
			t.Fatalf("replica %s before any sync: got %v, want 0", name, got)
		}
	}
	uid := f.user(t, replicas["a"].s, "N0AAA", 5)
	job, err := replicas["a"].s.Start(context.Background(), uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	if job = wait(t, replicas["a"].s, uid, job.ID); job.Status != awardtracker.JobSucceeded {
		t.Fatalf("job: got %+v, want succeeded", job)
	}
	want := float64(at.UnixNano()) / 1e9
	for name, r := range replicas {
		if got := lastSuccess(r); got != want {
			t.Errorf("replica %s: got %v, want %v", name, got, want)
		}
		if got := metric(t, r.reg, "awardtracker_sync_last_success_timestamp_seconds", map[string]string{"source": "dcl"}); got != 0 {
			t.Errorf("replica %s, dcl: got %v, want 0", name, got)
		}
	}
}

// gauge collects one metric of reg, for testutil.ToFloat64.
func gauge(reg *prometheus.Registry, name string) prometheus.Collector {
	return prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == name {
				ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, "copy", nil, nil),
					prometheus.GaugeValue, mf.GetMetric()[0].GetGauge().GetValue())
			}
		}
	})
}

// waitFor polls cond until it holds; a minute without is a hang.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("condition not reached within a minute")
		}
	}
}

// Environment of the child replica TestFleet_ReplicaLoss starts.
const (
	childDBEnv   = "AWARDTRACKER_FLEET_CHILD_DB"
	childLoTWEnv = "AWARDTRACKER_FLEET_CHILD_LOTW"
	childUserEnv = "AWARDTRACKER_FLEET_CHILD_USER"
)

// TestFleet_ReplicaLoss SIGKILLs a replica in the middle of a sync: the
// other replica's River rescues the job after the rescue window and
// finishes it; the counts are exact, nothing of the lost attempt was
// applied (the import is one transaction), and the job, started on the
// dead replica, reads as succeeded on the other.
func TestFleet_ReplicaLoss(t *testing.T) {
	f := newFleet(t)
	setup := f.replica(t, replicaOptions{})
	const n = 3000
	uid := f.user(t, setup.s, "N0KIL", n)
	setup.s.Close(context.Background()) // it must not work the job
	gate := f.lotw.Drip(4096)

	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetChild$", "-test.v")
	cmd.Env = append(os.Environ(), childDBEnv+"="+f.url, childLoTWEnv+"="+f.lotw.URL,
		childUserEnv+"="+strconv.FormatInt(uid, 10))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
		}
		cmd.Wait()
	})
	var id string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "JOB "); ok {
			id = rest
			break
		}
	}
	if id == "" {
		t.Fatal("the child replica reported no job")
	}
	go func() {
		for sc.Scan() { // drain, so the child never blocks on its output
		}
	}()
	// Mid-sync: the download has begun and stalls at the gate.
	waitFor(t, func() bool { return f.requests("N0KIL") == 1 && f.lotw.BytesSent() > 0 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()
	if got := f.qsoCount(t, uid); got != 0 {
		t.Fatalf("QSOs after the kill: got %d, want 0 (nothing half-applied)", got)
	}
	close(gate)

	// The survivor's rescue window is short so that the test does not
	// wait River's default hour; its sync deadline stays below it.
	b := f.replica(t, replicaOptions{timeout: 2 * time.Second, rescueAfter: 3 * time.Second})
	job := wait(t, b.s, uid, id)
	if job.Status != awardtracker.JobSucceeded || job.Fetched != n || job.Imported != n {
		t.Fatalf("job: got %+v, want succeeded with %d fetched and imported", job, n)
	}
	if got := f.qsoCount(t, uid); got != n {
		t.Errorf("QSOs: got %d, want %d", got, n)
	}
	if got := f.requests("N0KIL"); got != 2 {
		t.Errorf("LoTW downloads: got %d, want 2 (the lost one and the rescue)", got)
	}
}

// TestFleetChild is the replica TestFleet_ReplicaLoss starts and kills: it
// starts the sync and runs it until killed.
func TestFleetChild(t *testing.T) {
	url := os.Getenv(childDBEnv)
	if url == "" {
		t.Skip("the child process of TestFleet_ReplicaLoss")
	}
	uid, err := strconv.ParseInt(os.Getenv(childUserEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet{url: url}
	db, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	box, err := secret.NewBox(secretsKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := syncer.New(syncer.Options{
		QSOs: gormstore.NewQSOService(db), States: gormstore.NewSyncStateService(db),
		LoTW: lotw.New(lotw.Options{URL: os.Getenv(childLoTWEnv), Version: "test"}),
		Box:  box, Timeout: time.Minute, RescueAfter: 2 * time.Minute,
		Pool: newPool(t, url),
	})
	if err != nil {
		t.Fatal(err)
	}
	job, err := s.Start(context.Background(), uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("JOB " + job.ID)
	select {} // until SIGKILL
}
