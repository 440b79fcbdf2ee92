package syncer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/syncer"
)

// trickle makes the fake LoTW send its report 64 bytes per tick of a
// ticker, so a 200-record report takes longer than any test runs, while
// bytes keep coming and the client's idle timeout never fires.
func trickle(t *testing.T, s *lotwtest.Server) {
	t.Helper()
	gate := s.Drip(64)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				select {
				case gate <- struct{}{}:
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
}

// A sync past its deadline fails with a clear error and writes nothing; the
// upstream trickling bytes does not keep it alive.
func TestSyncer_Timeout(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{timeout: 200 * time.Millisecond})
	uid := e.user(t, "N0CALL")
	e.importOwnLog(t, uid)
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	e.lotw.SetGenerated(lotwLogin, 200, lotwtest.Generated)
	trickle(t, e.lotw)
	before := e.qsoList(t, uid)

	job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
	const want = "the sync did not finish within 200ms (--sync.timeout)"
	if err == nil || job.Status != awardtracker.JobFailed || !strings.Contains(job.Error, want) {
		t.Fatalf("job %+v, %v; want failed with %q", job, err, want)
	}
	if got := e.qsoList(t, uid); !reflect.DeepEqual(got, before) {
		t.Fatal("the timed-out sync changed the QSOs")
	}
	st := e.state(t, uid, awardtracker.SourceLoTW)
	if st.Cursor != "" || st.LastSuccess != nil || st.NextAttempt == nil || !strings.Contains(st.LastError, want) {
		t.Fatalf("state %+v, want no cursor, a back-off and the error", st)
	}
	if got := e.runs(t, awardtracker.SourceLoTW, syncer.ResultError); got != 1 {
		t.Fatalf("runs{lotw,error} = %v, want 1", got)
	}
}

// One user's upstream trickling holds one worker; the other users' due
// syncs run in the other workers meanwhile, never more at once than the
// pool allows.
func TestSyncer_PoolWithTricklingUpstream(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	var (
		mu                sync.Mutex
		inFlight, maxSeen int
	)
	e := newEnv(t, envOptions{concurrency: 2, lotwURL: func(fake *lotwtest.Server) string {
		target, _ := url.Parse(fake.URL)
		proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			maxSeen = max(maxSeen, inFlight)
			mu.Unlock()
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
			if r.URL.Query().Get("login") == "SLOW" {
				fmt.Fprintln(w, lotw.Preamble)
				w.(http.Flusher).Flush()
				select { // a report that never goes on
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		return front.URL + lotwtest.Path
	}})
	slow := e.user(t, "N0SLOW") // the lowest id: the old scheduler synced it first, alone
	if err := e.s.SetLoTWCredentials(ctx, slow, "SLOW", "pw"); err != nil {
		t.Fatal(err)
	}
	others := map[int64]bool{}
	for i := range 5 {
		uid := e.user(t, fmt.Sprintf("N%d0CALL", i))
		others[uid] = true
		if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
			t.Fatal(err)
		}
	}
	synced := make(chan int64, len(others))
	e.watcher.setNotify(synced)

	e.clock.Add(time.Hour) // every user's slot has come
	ran := make(chan int, 1)
	go func() { ran <- e.s.RunOnce(ctx, time.Hour) }()

	// A liveness guard, not a timing check: the old scheduler never got here.
	guard := time.NewTimer(time.Minute)
	defer guard.Stop()
	for len(others) > 0 {
		select {
		case uid := <-synced:
			delete(others, uid)
		case <-guard.C:
			t.Fatalf("%d users still not synced while one upstream trickles", len(others))
		}
	}
	// The last of the others may still be finishing (its import is done, its
	// bookkeeping not yet), so the gauge reads 1 or 2; the trickling sync
	// must still hold its worker, unfinished.
	if got := e.metric(t, "awardtracker_sync_in_progress", map[string]string{"source": "lotw"}); got < 1 || got > 2 {
		t.Fatalf("in progress %v, want the trickling sync (1) and at most one other finishing", got)
	}
	if st := e.state(t, slow, awardtracker.SourceLoTW); st.LastAttempt != nil {
		t.Fatalf("slow user's state %+v: its sync finished while the upstream still trickled", st)
	}
	close(release)
	if n := <-ran; n != 6 {
		t.Fatalf("RunOnce started %d syncs, want 6", n)
	}
	if maxSeen > 2 {
		t.Fatalf("%d requests at once, want at most 2 (the pool)", maxSeen)
	}
	if st := e.state(t, slow, awardtracker.SourceLoTW); !strings.Contains(st.LastError, "truncated") {
		t.Fatalf("slow user's state %+v, want the cut-off report's error", st)
	}
}

// A report over --lotw.max-report-bytes fails the sync with a clear error,
// writes nothing and leaves no spool file.
func TestSyncer_LoTWReportTooLarge(t *testing.T) {
	ctx := context.Background()
	spool := t.TempDir()
	e := newEnv(t, envOptions{lotwMaxReport: 32 << 10, spoolDir: spool})
	uid := e.user(t, "N0CALL")
	e.importOwnLog(t, uid)
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	e.lotw.SetGenerated(lotwLogin, 200, lotwtest.Generated)
	before := e.qsoList(t, uid)
	job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
	const want = "the LoTW report is larger than 32768 bytes (--lotw.max-report-bytes): nothing was applied"
	if err == nil || !strings.Contains(job.Error, want) {
		t.Fatalf("job %+v, %v; want %q", job, err, want)
	}
	if got := e.qsoList(t, uid); !reflect.DeepEqual(got, before) {
		t.Fatal("the refused report changed the QSOs")
	}
	if st := e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "" || st.LastSuccess != nil {
		t.Fatalf("state %+v, want no cursor", st)
	}
	if files, _ := os.ReadDir(spool); len(files) != 0 {
		t.Fatalf("%d files in the spool directory, want none", len(files))
	}
}

// A junk cursor is never stored nor replayed: one LoTW sends (a LASTQSL in
// the future) is ignored, and one an older version stored is replaced by a
// full download.
func TestSyncer_LoTWJunkCursor(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	uid := e.user(t, "N0CALL")
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	t.Run("FutureLastQSL", func(t *testing.T) {
		future := lotwtest.SampleRecords()[0]
		future.Call = "K1FUT"
		future.RxQSL = e.clock.Now().Add(24 * time.Hour)
		e.lotw.AddRecords(lotwLogin, future)
		job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
		if err != nil || job.Imported != 7 {
			t.Fatalf("job %+v, %v; want the 7 records applied", job, err)
		}
		if st := e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "" {
			t.Fatalf("cursor %q stored, want none (LASTQSL is in the future)", st.Cursor)
		}
	})
	t.Run("StoredJunk", func(t *testing.T) {
		junk := "9999-12-31 23:59:59"
		none := func(yield func(awardtracker.ImportRecord, error) bool) {}
		if _, err := e.qsos.ImportQSOs(ctx, uid, awardtracker.SourceLoTW, none,
			awardtracker.ImportOptions{Cursor: &junk, SyncedAt: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		e.lotw.SetGenerated(lotwLogin, 6, func(i int) lotwtest.Record { return lotwtest.SampleRecords()[i] })
		if _, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW); err != nil {
			t.Fatal(err)
		}
		reqs := e.lotw.Requests()
		if got := reqs[len(reqs)-1].Query.Get("qso_qslsince"); got != lotw.FirstSince {
			t.Fatalf("qso_qslsince %q, want %q (a full download instead of the junk)", got, lotw.FirstSince)
		}
		if st := e.state(t, uid, awardtracker.SourceLoTW); st.Cursor != "2025-09-20 01:39:22" {
			t.Fatalf("cursor %q, want the report's LASTQSL", st.Cursor)
		}
	})
}

// Deleted credentials stop the scheduler and manual syncs; deleting twice
// is fine.
func TestSyncer_DeleteCredentials(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	uid := e.user(t, "N0CALL")
	if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetDCLCredentials(ctx, uid, dclKey); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.s.DeleteLoTWCredentials(ctx, uid); err != nil {
			t.Fatal(err)
		}
		if err := e.s.DeleteDCLCredentials(ctx, uid); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range []awardtracker.Source{awardtracker.SourceLoTW, awardtracker.SourceDCL} {
		if _, err := e.s.Start(ctx, uid, src); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Fatalf("Start(%s) after delete: %v, want ENOTFOUND", src, err)
		}
	}
	for range 3 {
		e.clock.Add(time.Hour)
		if n := e.s.RunOnce(ctx, time.Hour); n != 0 {
			t.Fatalf("the scheduler ran %d syncs, want none", n)
		}
	}
	if n, m := len(e.lotw.Requests()), len(e.dcl.Requests()); n+m != 0 {
		t.Fatalf("%d LoTW and %d DCL requests, want none", n, m)
	}
}
