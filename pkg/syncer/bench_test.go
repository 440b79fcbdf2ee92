package syncer_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// benchRecords is the size of the report the benchmarks sync.
const benchRecords = 100000

// peakHeap samples the live heap until stop is called and returns its peak.
// runtime/metrics is read instead of runtime.ReadMemStats: it does not stop
// the world, so sampling does not slow what is measured.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		mu   sync.Mutex
		peak uint64
	)
	read := func() {
		metrics.Read(sample)
		mu.Lock()
		peak = max(peak, sample[0].Value.Uint64())
		mu.Unlock()
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		read()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// maxRSS is the process's peak resident set so far (Linux reports KiB). It
// only grows, so it means most when one benchmark runs alone.
func maxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

func report(b *testing.B, records int, elapsed time.Duration, peak uint64) {
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(maxRSS(), "maxrss-MiB")
}

// reportBytes fetches the generated report once, as the server sends it.
func reportBytes(b *testing.B) []byte {
	b.Helper()
	s := lotwtest.NewServer()
	defer s.Close()
	s.AddAccount(lotwLogin, lotwPassword)
	s.SetGenerated(lotwLogin, benchRecords, lotwtest.Generated)
	resp, err := http.Get(s.URL + "?login=" + lotwLogin + "&password=" + "hunter2%26more%3Dstuff" +
		"&qso_query=1&qso_qsl=yes&qso_qslsince=1900-01-01&qso_qsldetail=yes&qso_mydetail=yes&qso_withown=yes")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkParse is the baseline: the same report's bytes, already in
// memory, parsed and normalised with no network and no storage.
func BenchmarkParse(b *testing.B) {
	data := reportBytes(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		stop := peakHeap()
		start := time.Now()
		n := 0
		for rec, err := range adif.Records(bytes.NewReader(data), awardtracker.SourceLoTW) {
			if err != nil || rec.Err != nil {
				b.Fatal(err, rec.Err)
			}
			n++
		}
		elapsed := time.Since(start)
		peak := stop()
		if n != benchRecords {
			b.Fatalf("parsed %d records", n)
		}
		report(b, n, elapsed, peak)
	}
}

// BenchmarkDownload streams the report from the fake LoTW through the
// client, without storage.
func BenchmarkDownload(b *testing.B) {
	s := lotwtest.NewServer()
	defer s.Close()
	s.AddAccount(lotwLogin, lotwPassword)
	s.SetGenerated(lotwLogin, benchRecords, lotwtest.Generated)
	c := lotw.New(lotw.Options{URL: s.URL})
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		stop := peakHeap()
		start := time.Now()
		rep, err := c.Download(context.Background(), lotwLogin, lotwPassword, "")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rec, err := range rep.Records() {
			if err != nil || rec.Err != nil {
				b.Fatal(err, rec.Err)
			}
			n++
		}
		rep.Close()
		elapsed := time.Since(start)
		peak := stop()
		if n != benchRecords {
			b.Fatalf("downloaded %d records", n)
		}
		report(b, n, elapsed, peak)
	}
}

// BenchmarkSync is a first full sync of a 100,000-record report into an
// empty SQLite database: every record becomes a new QSO.
func BenchmarkSync(b *testing.B) {
	benchSync(b, false)
}

// BenchmarkSyncMatch is the same sync for a user whose own log already
// holds the 100,000 QSOs: every record confirms an existing QSO.
func BenchmarkSyncMatch(b *testing.B) {
	benchSync(b, true)
}

func benchSync(b *testing.B, ownLog bool) {
	ctx := context.Background()
	var data []byte
	if ownLog {
		data = reportBytes(b)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		e := newEnv(b, envOptions{})
		uid := e.user(b, "N0CALL")
		if ownLog {
			res, err := e.qsos.ImportQSOs(ctx, uid, awardtracker.SourceLog, adif.Records(bytes.NewReader(data), awardtracker.SourceLog), awardtracker.ImportOptions{})
			if err != nil || res.Imported != benchRecords {
				b.Fatalf("own log: %+v, %v", res, err)
			}
		}
		if err := e.s.SetLoTWCredentials(ctx, uid, lotwLogin, lotwPassword); err != nil {
			b.Fatal(err)
		}
		e.lotw.SetGenerated(lotwLogin, benchRecords, lotwtest.Generated)
		runtime.GC()
		b.StartTimer()

		stop := peakHeap()
		start := time.Now()
		job, err := e.s.Sync(ctx, uid, awardtracker.SourceLoTW)
		elapsed := time.Since(start)
		peak := stop()
		if err != nil {
			b.Fatal(err)
		}
		want := awardtracker.SyncJob{Fetched: benchRecords, Imported: benchRecords}
		if ownLog {
			want = awardtracker.SyncJob{Fetched: benchRecords, Updated: benchRecords}
		}
		if job.Fetched != want.Fetched || job.Imported != want.Imported || job.Updated != want.Updated {
			b.Fatalf("job %+v, want fetched %d, imported %d, updated %d", job, want.Fetched, want.Imported, want.Updated)
		}
		report(b, benchRecords, elapsed, peak)
	}
}
