package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/dcl"
	"github.com/awardtracker/awardtracker/pkg/dcl/dcltest"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/secret"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
	"github.com/awardtracker/awardtracker/pkg/syncer"
)

const (
	lotwLogin    = "N0CALL"
	lotwPassword = "hunter2&more=stuff"
	dclKey       = "dcl-key-0123456789"
	secretsKey   = "an-operator-secret-of-32-chars-at-least"
)

// t0 is where the injected clock starts.
var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// importWatcher passes imports on to the service the syncer writes through
// and tells notify, if set, which user an import changed.
type importWatcher struct {
	awardtracker.QSOService
	mu     sync.Mutex
	notify chan int64
}

func (w *importWatcher) ImportQSOs(ctx context.Context, userID int64, src awardtracker.Source,
	records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions) (*awardtracker.ImportResult, error) {
	res, err := w.QSOService.ImportQSOs(ctx, userID, src, records, opts)
	w.mu.Lock()
	notify := w.notify
	w.mu.Unlock()
	if err == nil && res.Changed() && notify != nil {
		notify <- userID
	}
	return res, err
}

func (w *importWatcher) setNotify(c chan int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notify = c
}

// env is a Syncer over a real SQLite file, talking to fake LoTW and DCL
// servers on loopback through the real clients.
type env struct {
	t      *testing.T
	db     *sqlite.DB
	users  *sqlite.UserService
	qsos   *sqlite.QSOService
	states *sqlite.SyncStateService
	lotw   *lotwtest.Server
	dcl    *dcltest.Server
	reg    *prometheus.Registry
	clock  *clock
	// stats reads the users' statistics through the stats cache that the
	// syncer's writes (through cache.QSOService) invalidate.
	stats   *cache.StatsService
	watcher *importWatcher
	s       *syncer.Syncer
}

type envOptions struct {
	lotwIdle      time.Duration
	lotwMaxReport int64
	spoolDir      string
	// lotwURL, if set, returns the URL the LoTW client talks to (a front
	// of the fake LoTW) instead of the fake's own.
	lotwURL     func(*lotwtest.Server) string
	concurrency int
	timeout     time.Duration
	noBox       bool
	// wrapQSOs, if set, wraps the QSO service the syncer writes through
	// (the env's own helpers keep using the storage's directly).
	wrapQSOs func(awardtracker.QSOService) awardtracker.QSOService
	logger   *slog.Logger
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	db := sqlitetest.Open(t, sqlite.Options{})
	e := &env{
		db: db, users: sqlite.NewUserService(db), qsos: sqlite.NewQSOService(db), states: sqlite.NewSyncStateService(db),
		lotw: lotwtest.NewSampleServer(lotwLogin, lotwPassword), dcl: dcltest.NewSampleServer(dclKey),
		reg: prometheus.NewRegistry(), clock: &clock{t: t0},
	}
	cm := cache.NewMetrics(e.reg)
	statsCache := cache.New[*awardtracker.Stats]("stats", time.Hour, cm)
	caches := cache.NewCaches(statsCache, cache.New[[]awardtracker.AwardProgress]("award", time.Hour, cm))
	e.stats = cache.NewStatsService(sqlite.NewStatsService(db), statsCache)
	e.watcher = &importWatcher{QSOService: cache.NewQSOService(e.qsos, caches)}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	t.Cleanup(e.lotw.Close)
	t.Cleanup(e.dcl.Close)
	var (
		box *secret.Box
		err error
	)
	if !o.noBox {
		if box, err = secret.NewBox(secretsKey); err != nil {
			t.Fatal(err)
		}
	}
	lotwURL := e.lotw.URL
	if o.lotwURL != nil {
		lotwURL = o.lotwURL(e.lotw)
	}
	var syncQSOs awardtracker.QSOService = e.watcher
	if o.wrapQSOs != nil {
		syncQSOs = o.wrapQSOs(e.watcher)
	}
	e.s, err = syncer.New(syncer.Options{
		QSOs: syncQSOs, States: e.states,
		LoTW: lotw.New(lotw.Options{URL: lotwURL, Version: "test", IdleTimeout: o.lotwIdle,
			MaxReportBytes: o.lotwMaxReport, SpoolDir: o.spoolDir, Now: e.clock.Now}),
		DCL: dcl.New(dcl.Options{URL: e.dcl.URL, Version: "test"}),
		Box: box, Registerer: e.reg, Now: e.clock.Now,
		Concurrency: o.concurrency, Timeout: o.timeout, Logger: o.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.s.Close(context.Background()) })
	return e
}

func (e *env) user(t testing.TB, call string) int64 {
	t.Helper()
	u, err := e.users.CreateUser(context.Background(), call, []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// importOwnLog imports adiftest's own-log.adi (12 QSOs, none confirmed).
func (e *env) importOwnLog(t testing.TB, userID int64) {
	t.Helper()
	f, err := adiftest.FS.Open("own-log.adi")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := e.qsos.ImportQSOs(context.Background(), userID, awardtracker.SourceLog, adif.Records(f, awardtracker.SourceLog), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 12 {
		t.Fatalf("own log: imported %d, want 12 (%+v)", res.Imported, res)
	}
}

func (e *env) qsoList(t testing.TB, userID int64) []awardtracker.QSO {
	t.Helper()
	qs, n, err := e.qsos.FindQSOs(context.Background(), userID, awardtracker.QSOFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(qs) {
		t.Fatalf("FindQSOs: %d of %d", len(qs), n)
	}
	return qs
}

func (e *env) state(t testing.TB, userID int64, src awardtracker.Source) *awardtracker.SyncState {
	t.Helper()
	st, err := e.states.SyncState(context.Background(), userID, src)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) runs(t testing.TB, src awardtracker.Source, result string) float64 {
	t.Helper()
	return e.metric(t, "awardtracker_sync_runs_total", map[string]string{"source": string(src), "result": result})
}

// metric returns the value of one series (a histogram's sample count).
func (e *env) metric(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	return metric(t, e.reg, name, labels)
}

// metric is the value of the first series of name in reg that has labels.
func metric(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			return value(m)
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

// syncInvalidations is how often syncs invalidated the stats cache.
func (e *env) syncInvalidations(t testing.TB) float64 {
	t.Helper()
	return e.metric(t, "awardtracker_cache_invalidations_total", map[string]string{"cache": "stats", "reason": "sync"})
}

// lotwConfirmed is the user's count of LoTW-confirmed QSOs as the (cached)
// statistics give it.
func (e *env) lotwConfirmed(t testing.TB, uid int64) int {
	t.Helper()
	st, err := e.stats.Stats(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	return st.LoTWConfirmed
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func countConfirmed(qs []awardtracker.QSO) (lotw, dcl int) {
	for _, q := range qs {
		if q.LoTWConfirmed {
			lotw++
		}
		if q.DCLConfirmed {
			dcl++
		}
	}
	return
}

func TestSyncer_LoTW(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	uid := e.user(t, "N0CALL")
	e.importOwnLog(t, uid)
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	st := e.state(t, uid, awardtracker.SourceLoTW)
	if strings.Contains(string(st.Credentials), lotwPassword) || strings.Contains(string(st.Credentials), lotwLogin) {
		t.Fatal("credentials stored in clear")
	}

	if got := e.lotwConfirmed(t, uid); got != 0 { // and now cached
		t.Fatalf("LoTW-confirmed before the first sync = %d, want 0", got)
	}

	// First sync: the six LoTW confirmations match six QSOs of the own log.
	job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != awardtracker.JobSucceeded || job.Fetched != 6 || job.Imported != 0 || job.Updated != 6 || job.Error != "" ||
		job.StartedAt == nil || job.FinishedAt == nil || job.Source != awardtracker.SourceLoTW {
		t.Fatalf("job = %+v, want succeeded, fetched 6, imported 0, updated 6", job)
	}
	qs := e.qsoList(t, uid)
	if l, _ := countConfirmed(qs); len(qs) != 12 || l != 6 {
		t.Fatalf("after sync: %d QSOs, %d LoTW-confirmed; want 12, 6", len(qs), l)
	}
	for _, q := range qs {
		if q.Call == "UA98GDU" && (!q.LoTWConfirmed || q.Source != awardtracker.SourceLog || q.Grid != "IM48" || q.CQZone != 17 ||
			q.LoTWConfirmedAt == nil || !q.LoTWConfirmedAt.Equal(time.Date(2025, 9, 20, 0, 0, 0, 0, time.UTC))) {
			t.Fatalf("UA98GDU = %+v", q)
		}
		if q.Call == "PA4OBV" && q.LoTWConfirmed {
			t.Fatal("PA4OBV confirmed, but LoTW did not report it")
		}
	}
	st = e.state(t, uid, awardtracker.SourceLoTW)
	if st.Cursor != "2025-09-20 01:39:22" || st.LastSuccess == nil || !st.LastSuccess.Equal(t0) ||
		st.LastAttempt == nil || st.NextAttempt != nil || st.LastError != "" || st.CredentialsInvalid {
		t.Fatalf("state after sync = %+v", st)
	}
	if got := e.syncInvalidations(t); got != 1 {
		t.Fatalf("invalidations{reason=sync} = %v, want 1", got)
	}
	if got := e.lotwConfirmed(t, uid); got != 6 {
		t.Fatalf("LoTW-confirmed after the sync = %d, want 6 (the cache was not invalidated)", got)
	}
	reqs := e.lotw.Requests()
	if got := reqs[len(reqs)-1].Query.Get("qso_qslsince"); got != lotw.FirstSince {
		t.Fatalf("first sync since %q, want %q", got, lotw.FirstSince)
	}

	// Second sync: the inclusive cursor returns the newest record again,
	// which changes nothing.
	e.clock.Add(time.Hour)
	job, err = e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	if job.Fetched != 1 || job.Imported != 0 || job.Updated != 0 {
		t.Fatalf("re-sync job = %+v, want fetched 1, nothing imported or updated", job)
	}
	reqs = e.lotw.Requests()
	if got := reqs[len(reqs)-1].Query.Get("qso_qslsince"); got != "2025-09-20 01:39:22" {
		t.Fatalf("re-sync since %q, want the stored cursor", got)
	}
	if got := e.qsoList(t, uid); !reflect.DeepEqual(got, qs) {
		t.Fatal("re-sync changed the QSOs")
	}
	if n := e.syncInvalidations(t); n != 1 {
		t.Fatalf("%v invalidations after a sync that changed nothing, want still 1", n)
	}
	if st = e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "2025-09-20 01:39:22" || !st.LastSuccess.Equal(t0.Add(time.Hour)) {
		t.Fatalf("state after re-sync = %+v", st)
	}

	// A new confirmation arrives: it is applied, the cursor moves.
	e.lotw.AddRecords(lotwLogin, lotwtest.Record{
		StationCallsign: "N0CALL", Call: "PA4OBV", Band: "10M", Mode: "FT8", ModeGroup: "DATA",
		Start: time.Date(2024, 2, 14, 11, 34, 5, 0, time.UTC), RxQSO: time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC),
		Confirmed: true, RxQSL: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DXCC: 263, Country: "NETHERLANDS",
	})
	job, err = e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	if job.Fetched != 2 || job.Updated != 1 || job.Imported != 0 {
		t.Fatalf("job = %+v, want fetched 2, updated 1", job)
	}
	if st = e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "2026-01-02 03:04:05" {
		t.Fatalf("cursor %q, want 2026-01-02 03:04:05", st.Cursor)
	}

	// An empty report keeps the cursor.
	e.lotw.SetGenerated(lotwLogin, 0, lotwtest.Generated)
	if job, err = e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil || job.Fetched != 0 {
		t.Fatalf("empty sync: %+v, %v", job, err)
	}
	if st = e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "2026-01-02 03:04:05" {
		t.Fatalf("cursor after an empty report %q, want it kept", st.Cursor)
	}

	if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultSuccess); got != 4 {
		t.Fatalf("runs{lotw,success} = %v, want 4", got)
	}
	if got := e.metric(t, "awardtracker_sync_records_total", map[string]string{"source": "lotw"}); got != 9 {
		t.Fatalf("records_total{lotw} = %v, want 9", got)
	}
	if got := e.metric(t, "awardtracker_sync_duration_seconds", map[string]string{"source": "lotw"}); got != 4 {
		t.Fatalf("duration count = %v, want 4", got)
	}
	if got, want := e.metric(t, "awardtracker_sync_last_success_timestamp_seconds", map[string]string{"source": "lotw"}), float64(t0.Add(time.Hour).Unix()); got != want {
		t.Fatalf("last_success = %v, want %v", got, want)
	}
	if got := e.metric(t, "awardtracker_sync_in_progress", map[string]string{"source": "lotw"}); got != 0 {
		t.Fatalf("in_progress = %v, want 0", got)
	}
}

func TestSyncer_Metrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	if n, err := testutil.GatherAndCount(e.reg, "awardtracker_sync_runs_total"); err != nil || n != 10 {
		t.Fatalf("runs_total has %d series (%v), want all 10 initialised", n, err)
	}
	for _, name := range []string{"awardtracker_sync_duration_seconds", "awardtracker_sync_records_total",
		"awardtracker_sync_last_success_timestamp_seconds", "awardtracker_sync_in_progress"} {
		if n, err := testutil.GatherAndCount(e.reg, name); err != nil || n != 2 {
			t.Fatalf("%s has %d series (%v), want 2", name, n, err)
		}
	}
	if problems, err := testutil.GatherAndLint(e.reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	if _, err := syncer.New(syncer.Options{QSOs: e.qsos, States: e.states, Registerer: e.reg}); err == nil {
		t.Fatal("registering the metrics twice succeeded")
	}
}

// Every fault leaves the QSOs and the cursor as they were, fails the job
// with a clear error, counts under its result and sets the right back-off.
func TestSyncer_LoTWFaults(t *testing.T) {
	for _, tt := range []struct {
		name    string
		fault   lotwtest.Fault
		result  string
		msg     string
		backoff time.Duration // 0: none
		invalid bool
	}{
		{"BadLogin", lotwtest.FaultBadLogin, syncer.ResultAuthError, "LoTW rejected the username or password", 0, true},
		{"RateLimited", lotwtest.FaultRateLimited, syncer.ResultRateLimited, "LoTW is throttling requests", syncer.RateLimitBase, false},
		{"Truncated", lotwtest.FaultTruncated, syncer.ResultTruncated, "LoTW report truncated", syncer.RetryBase, false},
		{"NumRecMismatch", lotwtest.FaultNumRecMismatch, syncer.ResultTruncated, "APP_LoTW_NUMREC says", syncer.RetryBase, false},
		{"Unavailable", lotwtest.FaultUnavailable, syncer.ResultError, "HTTP 503", syncer.RetryBase, false},
		{"Reset", lotwtest.FaultReset, syncer.ResultError, "LoTW unavailable", syncer.RetryBase, false},
		{"NotAReport", lotwtest.FaultNotAReport, syncer.ResultError, "not a report", syncer.RetryBase, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, envOptions{})
			uid := e.user(t, "N0CALL")
			e.importOwnLog(t, uid)
			if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
				t.Fatal(err)
			}
			// Sync once without the newest record, so that there is a cursor
			// to keep and a confirmation left to apply.
			e.lotw.SetGenerated(lotwLogin, 5, func(i int) lotwtest.Record { return lotwtest.SampleRecords()[i+1] })
			if _, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil {
				t.Fatal(err)
			}
			e.lotw.SetGenerated(lotwLogin, 6, func(i int) lotwtest.Record { return lotwtest.SampleRecords()[i] })
			before, stBefore := e.qsoList(t, uid), e.state(t, uid, awardtracker.SourceLoTW)
			if stBefore.Cursor != "2024-08-30 19:11:57" {
				t.Fatalf("cursor %q before the fault", stBefore.Cursor)
			}

			e.clock.Add(time.Hour)
			e.lotw.SetFault(tt.fault)
			job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
			if err == nil || job.Status != awardtracker.JobFailed || !strings.Contains(job.Error, tt.msg) || job.Imported != 0 || job.Updated != 0 {
				t.Fatalf("job %+v, err %v; want failed with %q", job, err, tt.msg)
			}
			if strings.Contains(job.Error, lotwPassword) || strings.Contains(err.Error(), lotwPassword) {
				t.Fatalf("error %q leaks the password", err)
			}
			if got := e.qsoList(t, uid); !reflect.DeepEqual(got, before) {
				t.Fatal("the failed sync changed the QSOs")
			}
			st := e.state(t, uid, awardtracker.SourceLoTW)
			if st.Cursor != stBefore.Cursor || !st.LastSuccess.Equal(*stBefore.LastSuccess) {
				t.Fatalf("cursor %q, last success %v; want %q, %v kept", st.Cursor, st.LastSuccess, stBefore.Cursor, stBefore.LastSuccess)
			}
			if st.LastError != job.Error || st.LastAttempt == nil || !st.LastAttempt.Equal(e.clock.Now()) || st.CredentialsInvalid != tt.invalid {
				t.Fatalf("state %+v", st)
			}
			if tt.backoff == 0 && st.NextAttempt != nil || tt.backoff != 0 && (st.NextAttempt == nil || !st.NextAttempt.Equal(e.clock.Now().Add(tt.backoff))) {
				t.Fatalf("next attempt %v, want now + %v", st.NextAttempt, tt.backoff)
			}
			if got := e.runs(t, awardtracker.SourceLoTW, tt.result); got != 1 {
				t.Fatalf("runs{lotw,%s} = %v, want 1", tt.result, got)
			}
			if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultSuccess); got != 1 {
				t.Fatalf("runs{lotw,success} = %v, want 1", got)
			}
			if n := e.syncInvalidations(t); n != 1 {
				t.Fatalf("%v invalidations, want 1 (the first sync's)", n)
			}

			// Once the fault is gone the next sync applies what was missed;
			// rejected credentials must be stored again first.
			e.lotw.SetFault(lotwtest.FaultNone)
			if tt.invalid {
				if _, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); awardtracker.ErrorCode(err) != awardtracker.EINVALID {
					t.Fatalf("sync with invalid credentials: %v, want EINVALID", err)
				}
				if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
					t.Fatal(err)
				}
			}
			job, err = e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
			if err != nil || job.Updated != 1 {
				t.Fatalf("sync after the fault: %+v, %v", job, err)
			}
			if st := e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "2025-09-20 01:39:22" || st.NextAttempt != nil || st.LastError != "" || st.CredentialsInvalid {
				t.Fatalf("state after recovery %+v", st)
			}
		})
	}
}

func TestSyncer_LoTWIdleTimeout(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{lotwIdle: 20 * time.Millisecond})
	uid := e.user(t, "N0CALL")
	e.importOwnLog(t, uid)
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	e.lotw.SetGenerated(lotwLogin, 200, lotwtest.Generated)
	e.lotw.Drip(8 << 10) // never fed: LoTW stops sending after 8 KiB
	before := e.qsoList(t, uid)
	job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
	if err == nil || !strings.Contains(job.Error, "LoTW sent nothing for") {
		t.Fatalf("job %+v, %v; want an idle timeout", job, err)
	}
	if got := e.qsoList(t, uid); !reflect.DeepEqual(got, before) {
		t.Fatal("the timed-out sync changed the QSOs")
	}
	if st := e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "" || st.LastSuccess != nil {
		t.Fatalf("state %+v, want no cursor", st)
	}
	if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultError); got != 1 {
		t.Fatalf("runs{lotw,error} = %v, want 1", got)
	}
}

func TestSyncer_Backoff(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	uid := e.user(t, "N0CALL")
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	wait := func() time.Duration {
		st := e.state(t, uid, awardtracker.SourceLoTW)
		return st.NextAttempt.Sub(*st.LastAttempt)
	}
	e.lotw.SetFault(lotwtest.FaultUnavailable)
	for _, want := range []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, 80 * time.Minute, 160 * time.Minute, syncer.RetryCap, syncer.RetryCap} {
		e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
		if got := wait(); got != want {
			t.Fatalf("back-off %v, want %v", got, want)
		}
		e.clock.Add(time.Minute)
	}
	e.lotw.SetFault(lotwtest.FaultRateLimited)
	for _, want := range []time.Duration{6 * time.Hour, 12 * time.Hour, syncer.RateLimitCap, syncer.RateLimitCap} {
		e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
		if got := wait(); got != want {
			t.Fatalf("rate-limit back-off %v, want %v", got, want)
		}
	}
	e.lotw.SetFault(lotwtest.FaultNone)
	if _, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil {
		t.Fatal(err)
	}
	e.lotw.SetFault(lotwtest.FaultRateLimited)
	e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
	if got := wait(); got != syncer.RateLimitBase {
		t.Fatalf("rate-limit back-off after a success %v, want %v", got, syncer.RateLimitBase)
	}
}

func TestSyncer_DCL(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	uid := e.user(t, "N0CALL")
	e.importOwnLog(t, uid)
	// One of the own log's QSOs, confirmed in DCL with its DOK.
	e.dcl.AddRecords(dclKey, dcltest.Record{StationCallsign: "N0CALL", Call: "ON4OR", Start: time.Date(2021, 7, 21, 17, 2, 0, 0, time.UTC),
		Band: "10m", Mode: "MFSK", Submode: "FT4", DOK: "X01", Confirmed: true, QSLRDate: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err := e.s.SetDCLCredentials(ctx, uid, dclKey); err != nil {
		t.Fatal(err)
	}
	job, err := e.s.Sync(ctx, uid, awardtracker.SourceDCL)
	if err != nil {
		t.Fatal(err)
	}
	// The sample's five confirmed records are not in the own log: added.
	if job.Status != awardtracker.JobSucceeded || job.Fetched != 6 || job.Imported != 5 || job.Updated != 1 {
		t.Fatalf("job = %+v, want fetched 6, imported 5, updated 1", job)
	}
	qs := e.qsoList(t, uid)
	if _, d := countConfirmed(qs); len(qs) != 17 || d != 6 {
		t.Fatalf("%d QSOs, %d DCL-confirmed; want 17, 6", len(qs), d)
	}
	for _, q := range qs {
		if q.Call == "ON4OR" && (!q.DCLConfirmed || q.DOK != "X01" || q.Source != awardtracker.SourceLog) {
			t.Fatalf("ON4OR = %+v", q)
		}
	}
	if st := e.state(t, uid, awardtracker.SourceDCL); st.Cursor != "2024-06-01" {
		t.Fatalf("DCL cursor %q, want 2024-06-01", st.Cursor)
	}
	if got := e.dcl.Requests()[0].Body; got.QSLSince != dcl.FirstSince || got.Key != dclKey || got.CnfOnly != "T" {
		t.Fatalf("request %+v", got)
	}

	// Re-sync: since the newest confirmation date, inclusive: a duplicate.
	job, err = e.s.Sync(ctx, uid, awardtracker.SourceDCL)
	if err != nil || job.Fetched != 1 || job.Imported != 0 || job.Updated != 0 {
		t.Fatalf("re-sync %+v, %v", job, err)
	}
	if got := e.dcl.Requests()[1].Body.QSLSince; got != "2024-06-01" {
		t.Fatalf("re-sync since %q", got)
	}
	if got := e.qsoList(t, uid); !reflect.DeepEqual(got, qs) {
		t.Fatal("re-sync changed the QSOs")
	}
	if got := e.runs(t, awardtracker.SourceDCL, syncer.ResultSuccess); got != 2 {
		t.Fatalf("runs{dcl,success} = %v", got)
	}

	for _, tt := range []struct {
		fault   dcltest.Fault
		result  string
		msg     string
		invalid bool
	}{
		{dcltest.FaultUnavailable, syncer.ResultError, "HTTP 503", false},
		{dcltest.FaultBadJSON, syncer.ResultError, "not the JSON", false},
		{dcltest.FaultStatusError, syncer.ResultError, `status "error"`, false},
		{dcltest.FaultUnauthorized, syncer.ResultAuthError, "DCL rejected the key", true},
	} {
		e.dcl.SetFault(tt.fault)
		job, err := e.s.Sync(ctx, uid, awardtracker.SourceDCL)
		if err == nil || job.Status != awardtracker.JobFailed || !strings.Contains(job.Error, tt.msg) {
			t.Fatalf("%v: job %+v, %v; want failed with %q", tt.fault, job, err, tt.msg)
		}
		if strings.Contains(job.Error, dclKey) {
			t.Fatalf("error %q leaks the key", job.Error)
		}
		if got := e.qsoList(t, uid); !reflect.DeepEqual(got, qs) {
			t.Fatalf("%v: the failed sync changed the QSOs", tt.fault)
		}
		if st := e.state(t, uid, awardtracker.SourceDCL); st.Cursor != "2024-06-01" || st.CredentialsInvalid != tt.invalid {
			t.Fatalf("%v: state %+v", tt.fault, st)
		}
	}
	if got := e.runs(t, awardtracker.SourceDCL, syncer.ResultError); got != 3 {
		t.Fatalf("runs{dcl,error} = %v, want 3", got)
	}
	if got := e.runs(t, awardtracker.SourceDCL, syncer.ResultAuthError); got != 1 {
		t.Fatalf("runs{dcl,auth_error} = %v, want 1", got)
	}
}

func TestSyncer_Credentials(t *testing.T) {
	ctx := context.Background()
	t.Run("Validation", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		uid := e.user(t, "N0CALL")
		for _, err := range []error{
			e.s.SetLoTWCredentials(ctx, uid, "", "pw"),
			e.s.SetLoTWCredentials(ctx, uid, "  ", "pw"),
			e.s.SetLoTWCredentials(ctx, uid, "N0CALL", ""),
			e.s.SetDCLCredentials(ctx, uid, " "),
		} {
			if awardtracker.ErrorCode(err) != awardtracker.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
		}
	})

	t.Run("NoSecretsKey", func(t *testing.T) {
		e := newEnv(t, envOptions{noBox: true})
		uid := e.user(t, "N0CALL")
		err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword)
		if awardtracker.ErrorCode(err) != awardtracker.EFORBIDDEN || !strings.Contains(awardtracker.ErrorMessage(err), "--secrets.key") {
			t.Fatalf("error %v, want EFORBIDDEN naming --secrets.key", err)
		}
		if _, err := e.states.SyncState(ctx, uid, awardtracker.SourceLoTW); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Fatalf("something was stored: %v", err)
		}
	})

	t.Run("NotStored", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		uid := e.user(t, "N0CALL")
		if _, err := e.s.Start(ctx, uid, awardtracker.SourceLoTW); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Fatalf("Start without credentials: %v, want ENOTFOUND", err)
		}
		if _, err := e.s.Sync(ctx, uid, awardtracker.SourceDCL); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Fatalf("Sync without credentials: %v, want ENOTFOUND", err)
		}
		if _, err := e.s.Start(ctx, uid, awardtracker.SourceLog); awardtracker.ErrorCode(err) != awardtracker.EINVALID {
			t.Fatalf("Start of source log: %v, want EINVALID", err)
		}
	})

	t.Run("SecretsKeyChanged", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		uid := e.user(t, "N0CALL")
		other, _ := secret.NewBox(strings.Repeat("x", 40))
		sealed, _ := other.Seal([]byte(`{"username":"N0CALL","password":"pw"}`), "sync/lotw/1")
		if err := e.states.PutCredentials(ctx, uid, awardtracker.SourceLoTW, sealed); err != nil {
			t.Fatal(err)
		}
		job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
		if err == nil || !strings.Contains(job.Error, "cannot be decrypted") {
			t.Fatalf("job %+v, %v", job, err)
		}
		if st := e.state(t, uid, awardtracker.SourceLoTW); !st.CredentialsInvalid {
			t.Fatal("unreadable credentials not marked invalid")
		}
		if n := len(e.lotw.Requests()); n != 0 {
			t.Fatalf("%d requests to LoTW", n)
		}
	})

	t.Run("BoundToUser", func(t *testing.T) {
		// Sealed credentials copied to another user's row do not open.
		e := newEnv(t, envOptions{})
		a, b := e.user(t, "N0CALL"), e.user(t, "N1CALL")
		if err := e.s.SetLoTWCredentials(ctx, a, lotwLogin, lotwPassword); err != nil {
			t.Fatal(err)
		}
		if err := e.states.PutCredentials(ctx, b, awardtracker.SourceLoTW, e.state(t, a, awardtracker.SourceLoTW).Credentials); err != nil {
			t.Fatal(err)
		}
		if job, err := e.s.Sync(ctx, b, awardtracker.SourceLoTW); err == nil || !strings.Contains(job.Error, "cannot be decrypted") {
			t.Fatalf("job %+v, %v", job, err)
		}
	})
}

func TestSyncer_Jobs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	uid, other := e.user(t, "N0CALL"), e.user(t, "N1CALL")
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	e.lotw.SetGenerated(lotwLogin, 300, lotwtest.Generated)
	gate := e.lotw.Drip(8 << 10)

	job, err := e.s.Start(ctx, uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != awardtracker.JobQueued && job.Status != awardtracker.JobRunning {
		t.Fatalf("started job status %q", job.Status)
	}
	// The server has sent its first chunk and waits: the job is running.
	gate <- struct{}{}
	if got, _ := e.s.Job(uid, job.ID); got.Status != awardtracker.JobRunning {
		t.Fatalf("status %q, want running", got.Status)
	}
	if got := e.metric(t, "awardtracker_sync_in_progress", map[string]string{"source": "lotw"}); got != 1 {
		t.Fatalf("in_progress = %v, want 1", got)
	}

	// One sync per user and source: a second start returns the same job.
	again, err := e.s.Start(ctx, uid, awardtracker.SourceLoTW)
	if err != nil || again.ID != job.ID {
		t.Fatalf("second Start: %+v, %v; want job %s", again, err, job.ID)
	}
	if running, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); awardtracker.ErrorCode(err) != awardtracker.ECONFLICT || running.ID != job.ID {
		t.Fatalf("Sync while running: %+v, %v; want ECONFLICT with job %s", running, err, job.ID)
	}
	// Another user never sees it.
	if _, err := e.s.Job(other, job.ID); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Fatalf("Job of another user: %v, want ENOTFOUND", err)
	}
	if _, err := e.s.Wait(ctx, other, job.ID); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Fatalf("Wait on another user's job: %v, want ENOTFOUND", err)
	}
	if _, err := e.s.Job(uid, "no-such-job"); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
		t.Fatalf("Job(unknown): %v", err)
	}

	close(gate)
	done, err := e.s.Wait(ctx, uid, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != awardtracker.JobSucceeded || done.Fetched != 300 || done.Imported != 300 || done.FinishedAt == nil {
		t.Fatalf("finished job %+v", done)
	}
	if got, _ := e.s.Job(uid, job.ID); !reflect.DeepEqual(got, done) {
		t.Fatalf("Job = %+v, want %+v", got, done)
	}
	// Finished: the next Start is a new job.
	next, err := e.s.Start(ctx, uid, awardtracker.SourceLoTW)
	if err != nil || next.ID == job.ID {
		t.Fatalf("Start after finishing: %+v, %v", next, err)
	}
	if _, err := e.s.Wait(ctx, uid, next.ID); err != nil {
		t.Fatal(err)
	}
}

// pausingImport is the real QSO service with an import stream that stops
// after n records, inside the import's transaction (the storage pulls the
// stream inside it), says so on paused, and goes on only when the import's
// context ends. The LoTW client spools a whole report before the import
// starts, so a slow download can no longer keep an import open; this can.
type pausingImport struct {
	awardtracker.QSOService
	n      int
	paused chan struct{}
}

func (p *pausingImport) ImportQSOs(ctx context.Context, userID int64, src awardtracker.Source, records iter.Seq2[awardtracker.ImportRecord, error], opts awardtracker.ImportOptions) (*awardtracker.ImportResult, error) {
	paused := func(yield func(awardtracker.ImportRecord, error) bool) {
		i := 0
		for rec, err := range records {
			if i == p.n {
				close(p.paused)
				<-ctx.Done()
			}
			i++
			if !yield(rec, err) {
				return
			}
		}
	}
	return p.QSOService.ImportQSOs(ctx, userID, src, paused, opts)
}

// Close cancels a running sync inside its import transaction: the batches
// already written roll back and the cursor stays.
func TestSyncer_Close(t *testing.T) {
	ctx := context.Background()
	// 500 records: two full INSERT batches (sqlite's insertBatch is 200)
	// are written in the transaction when the import pauses.
	pause := &pausingImport{n: 500, paused: make(chan struct{})}
	e := newEnv(t, envOptions{wrapQSOs: func(q awardtracker.QSOService) awardtracker.QSOService {
		pause.QSOService = q
		return pause
	}})
	uid := e.user(t, "N0CALL")
	e.importOwnLog(t, uid)
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	e.lotw.SetGenerated(lotwLogin, 2000, lotwtest.Generated)
	before := e.qsoList(t, uid)

	job, err := e.s.Start(ctx, uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	<-pause.paused
	if during := e.qsoList(t, uid); len(during) != len(before) {
		t.Fatalf("%d QSOs visible while the import is open, want the %d from before (uncommitted)", len(during), len(before))
	}
	if err := e.s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.Job(uid, job.ID)
	if err != nil || got.Status != awardtracker.JobFailed || !strings.Contains(got.Error, "shutting down") {
		t.Fatalf("job %+v, %v; want failed: shutting down", got, err)
	}
	if after := e.qsoList(t, uid); !reflect.DeepEqual(after, before) {
		t.Fatalf("%d QSOs after the cancelled sync, want the %d from before", len(after), len(before))
	}
	if st := e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "" || st.LastSuccess != nil || st.NextAttempt != nil {
		t.Fatalf("state %+v, want no cursor and no back-off", st)
	}
	if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultError); got != 1 {
		t.Fatalf("runs{lotw,error} = %v, want 1", got)
	}
	if _, err := e.s.Start(ctx, uid, awardtracker.SourceLoTW); awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
		t.Fatalf("Start after Close: %v, want EUNAVAILABLE", err)
	}
}

func TestSyncer_Scheduler(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	const every = time.Hour
	const users = 24
	var ids []int64
	for i := range users {
		uid := e.user(t, "N"+string(rune('A'+i))+"0CALL")
		ids = append(ids, uid)
		if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
			t.Fatal(err)
		}
	}
	// A DCL user too: both sources are scheduled.
	if err := e.s.SetDCLCredentials(ctx, ids[0], dclKey); err != nil {
		t.Fatal(err)
	}

	if n := e.s.RunOnce(ctx, every); n != 0 {
		t.Fatalf("first tick ran %d syncs, want none: slots are spread over the interval", n)
	}
	// Tick every minute for two intervals.
	perTick := map[int]int{}
	attempts := map[int64][]time.Time{}
	for m := 1; m <= 120; m++ {
		e.clock.Add(time.Minute)
		if n := e.s.RunOnce(ctx, every); n > 0 {
			perTick[m] = n
		}
		for _, uid := range ids {
			st := e.state(t, uid, awardtracker.SourceLoTW)
			if st.LastAttempt != nil && (len(attempts[uid]) == 0 || !attempts[uid][len(attempts[uid])-1].Equal(*st.LastAttempt)) {
				attempts[uid] = append(attempts[uid], *st.LastAttempt)
			}
		}
	}
	for _, uid := range ids {
		a := attempts[uid]
		if len(a) != 2 || a[1].Sub(a[0]) != every {
			t.Fatalf("user %d synced at %v, want twice, one interval apart", uid, a)
		}
	}
	if got := len(e.lotw.Requests()); got != 2*users {
		t.Fatalf("%d LoTW requests, want %d", got, 2*users)
	}
	if got := len(e.dcl.Requests()); got != 2 {
		t.Fatalf("%d DCL requests, want 2", got)
	}
	busiest := 0
	for _, n := range perTick {
		busiest = max(busiest, n)
	}
	if len(perTick) < users || busiest > 4 {
		t.Fatalf("syncs ran in %d of 120 ticks, at most %d in one; want them spread (%v)", len(perTick), busiest, perTick)
	}

	// A rejected login is never retried by the scheduler; a failed one is
	// retried once its back-off has run out.
	bad, flaky := ids[1], ids[2]
	e.s.SetLoTWCredentials(ctx, bad, lotwLogin, "wrong")
	e.lotw.SetFault(lotwtest.FaultUnavailable)
	e.s.Sync(ctx, flaky, awardtracker.SourceLoTW)
	e.lotw.SetFault(lotwtest.FaultNone)
	if st := e.state(t, flaky, awardtracker.SourceLoTW); st.NextAttempt == nil {
		t.Fatal("no back-off after a failure")
	}
	e.clock.Add(4 * time.Minute)
	e.s.RunOnce(ctx, every)
	if st := e.state(t, flaky, awardtracker.SourceLoTW); st.LastError == "" {
		t.Fatal("retried before the back-off ran out")
	}
	e.clock.Add(time.Minute)
	e.s.RunOnce(ctx, every)
	if st := e.state(t, flaky, awardtracker.SourceLoTW); st.LastError != "" || st.NextAttempt != nil {
		t.Fatalf("not retried after the back-off: %+v", st)
	}
	for range 3 * 60 {
		e.clock.Add(time.Minute)
		e.s.RunOnce(ctx, every)
	}
	st := e.state(t, bad, awardtracker.SourceLoTW)
	if !st.CredentialsInvalid {
		t.Fatalf("state of the user with a wrong password %+v", st)
	}
	wrong := 0
	for _, r := range e.lotw.Requests() {
		if r.Query.Get("password") == "wrong" {
			wrong++
		}
	}
	if wrong != 1 {
		t.Fatalf("%d requests with the rejected password, want 1", wrong)
	}
	if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultAuthError); got != 1 {
		t.Fatalf("runs{lotw,auth_error} = %v", got)
	}
}

func TestSyncer_Run(t *testing.T) {
	e := newEnv(t, envOptions{})
	if err := e.s.Run(context.Background(), 0); err != nil {
		t.Fatalf("Run(0) = %v, want nil at once", err)
	}
	if got := e.metric(t, "awardtracker_sync_interval_seconds", nil); got != 0 {
		t.Errorf("interval after Run(0): got %v, want 0 (scheduled syncs off)", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.s.Run(ctx, 90*time.Minute) }()
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	// The stale-sync alert compares the age of the last success with it.
	if got := e.metric(t, "awardtracker_sync_interval_seconds", nil); got != 5400 {
		t.Errorf("interval after Run(90m): got %v, want 5400", got)
	}
}

// A quiet hour is a successful sync, in either shape LoTW answers "nothing
// new" in: no back-off, no error, the cursor kept.
func TestSyncer_LoTWEmptyReport(t *testing.T) {
	for _, shape := range []lotwtest.EmptyShape{lotwtest.EmptyNumRec0, lotwtest.EmptyNoHeader} {
		t.Run(map[lotwtest.EmptyShape]string{lotwtest.EmptyNumRec0: "NumRec0", lotwtest.EmptyNoHeader: "NoHeader"}[shape], func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, envOptions{})
			uid := e.user(t, "N0CALL")
			if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil {
				t.Fatal(err)
			}
			before := e.qsoList(t, uid)

			e.clock.Add(time.Hour)
			e.lotw.SetGenerated(lotwLogin, 0, lotwtest.Generated)
			e.lotw.SetEmptyShape(shape)
			job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
			if err != nil || job.Status != awardtracker.JobSucceeded || job.Fetched != 0 || job.Error != "" {
				t.Fatalf("job %+v, err %v; want succeeded with nothing fetched", job, err)
			}
			st := e.state(t, uid, awardtracker.SourceLoTW)
			if st.Cursor != "2025-09-20 01:39:22" || st.NextAttempt != nil || st.LastError != "" || st.LastSuccess == nil || !st.LastSuccess.Equal(e.clock.Now()) {
				t.Fatalf("state %+v; want the cursor kept, no back-off, no error, a success now", st)
			}
			if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultTruncated); got != 0 {
				t.Fatalf("runs{lotw,truncated} = %v, want 0", got)
			}
			if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultSuccess); got != 2 {
				t.Fatalf("runs{lotw,success} = %v, want 2", got)
			}
			if got := e.qsoList(t, uid); !reflect.DeepEqual(got, before) {
				t.Fatal("an empty report changed the QSOs")
			}
		})
	}
}

// A full re-download ignores the cursor once, is remembered durably, and is
// refused (ECONFLICT with a RetryAfter) until FullSyncInterval has passed.
func TestSyncer_LoTWFullDownload(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	uid := e.user(t, "N0CALL")
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil {
		t.Fatal(err)
	}
	const cursor = "2025-09-20 01:39:22"
	full := func(s *syncer.Syncer) (*awardtracker.SyncJob, error) {
		t.Helper()
		job, err := s.StartFull(ctx, uid)
		if err != nil {
			return nil, err
		}
		return s.Wait(ctx, uid, job.ID)
	}
	since := func() string {
		reqs := e.lotw.Requests()
		return reqs[len(reqs)-1].Query.Get("qso_qslsince")
	}

	e.clock.Add(time.Hour)
	job, err := full(e.s)
	if err != nil || !job.Full || job.Status != awardtracker.JobSucceeded || job.Fetched != 6 {
		t.Fatalf("full job %+v, %v; want a succeeded full job that fetched all 6", job, err)
	}
	if got := since(); got != lotw.FirstSince {
		t.Fatalf("full download since %q, want %q", got, lotw.FirstSince)
	}
	firstFull := e.clock.Now()
	if st := e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != cursor || st.LastFullSync == nil || !st.LastFullSync.Equal(firstFull) {
		t.Fatalf("state %+v; want the cursor %s kept and the full download at %v", st, cursor, firstFull)
	}
	// Only once: the next ordinary sync uses the cursor again.
	if job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil || job.Full || job.Fetched != 1 || since() != cursor {
		t.Fatalf("ordinary sync after the full one: %+v, %v, since %q", job, err, since())
	}

	refused := func(s *syncer.Syncer, wait time.Duration) {
		t.Helper()
		n := len(e.lotw.Requests())
		_, err := s.StartFull(ctx, uid)
		if awardtracker.ErrorCode(err) != awardtracker.ECONFLICT || awardtracker.RetryAfterOf(err) != wait {
			t.Fatalf("StartFull: %v; want ECONFLICT with RetryAfter %v", err, wait)
		}
		if len(e.lotw.Requests()) != n {
			t.Fatal("a refused full download reached LoTW")
		}
	}
	refused(e.s, syncer.FullSyncInterval)
	e.clock.Add(syncer.FullSyncInterval - time.Second)
	refused(e.s, time.Second)

	// Remembered in the database: a restarted service refuses too.
	restarted, err := syncer.New(syncer.Options{
		QSOs: e.watcher, States: e.states,
		LoTW: lotw.New(lotw.Options{URL: e.lotw.URL, Version: "test"}),
		Box:  mustBox(t), Registerer: prometheus.NewRegistry(), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Close(ctx)
	refused(restarted, time.Second)

	e.clock.Add(time.Second)
	if job, err := full(restarted); err != nil || !job.Full || job.Fetched != 6 {
		t.Fatalf("full job a day later: %+v, %v", job, err)
	}

	// A sync already running is a conflict, not a second download.
	e.lotw.SetGenerated(lotwLogin, 300, lotwtest.Generated)
	gate := e.lotw.Drip(8 << 10)
	running, err := e.s.Start(ctx, uid, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	gate <- struct{}{}
	e.clock.Add(syncer.FullSyncInterval)
	if _, err := e.s.StartFull(ctx, uid); awardtracker.ErrorCode(err) != awardtracker.ECONFLICT {
		t.Fatalf("StartFull while a sync runs: %v, want ECONFLICT", err)
	}
	close(gate)
	if _, err := e.s.Wait(ctx, uid, running.ID); err != nil {
		t.Fatal(err)
	}
}

func mustBox(t *testing.T) *secret.Box {
	t.Helper()
	box, err := secret.NewBox(secretsKey)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// TestSyncer_LogKeys: the syncer's lines name the user under user_id, the
// key every package logs a user under, so one query finds a user's lines.
func TestSyncer_LogKeys(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	e := newEnv(t, envOptions{logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	uid := e.user(t, "N0CALL")
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil {
		t.Fatal(err)
	}
	found := false
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		for _, key := range []string{"user", "uid", "userID", "userId"} {
			if _, ok := rec[key]; ok {
				t.Errorf("log line %q names the user under %q, want user_id", line, key)
			}
		}
		if rec["msg"] == "Sync done" {
			found = true
			if got := rec["user_id"]; got != float64(uid) {
				t.Errorf("Sync done: user_id %v, want %d", got, uid)
			}
		}
	}
	if !found {
		t.Fatalf("no Sync done line in:\n%s", logs.String())
	}
}
