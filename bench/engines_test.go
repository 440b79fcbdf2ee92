package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// Rows 10–12 compare the two storage engines in one run, so that the
// ratio PostgreSQL/SQLite does not depend on the load elsewhere on the
// machine at different times: a statistics miss for a user with 20,000
// and 100,000 QSOs, an own-log import, and a LoTW sync of 100,000
// records, first into an empty log (every record new) and then for a
// user whose own log holds the QSOs (every record confirms one).
//
// Each engine gets one service, fresh for this process (PostgreSQL from
// pgtest's throwaway cluster), and every measured import or sync a new
// user, created outside the timer.

var engineNames = []string{"sqlite", "postgres"}

const (
	engineImportQSOs  = 20_000
	engineSyncRecords = 100_000
	engineLoTWLogin   = "n0eng"
	engineLoTWPass    = "bench-password"
)

type engine struct {
	once sync.Once
	s    *app.Main
	fake *lotwtest.Server
	pg   *pgtest.Server
	err  error
}

var (
	engines   = map[string]*engine{"sqlite": {}, "postgres": {}}
	userSeq   atomic.Int64
	reportMu  sync.Mutex
	reportADI []byte
)

func closeEngines() {
	for _, e := range engines {
		if e.s != nil {
			e.s.Close(context.Background())
		}
		if e.fake != nil {
			e.fake.Close()
		}
		if e.pg != nil {
			e.pg.Close()
		}
	}
}

// openEngine returns the service on the named engine, opening it first.
func openEngine(b testing.TB, name string) (*app.Main, *lotwtest.Server) {
	b.Helper()
	e := engines[name]
	e.once.Do(func() {
		e.fake = lotwtest.NewServer()
		e.fake.AddAccount(engineLoTWLogin, engineLoTWPass)
		e.fake.SetGenerated(engineLoTWLogin, engineSyncRecords, lotwtest.Generated)
		opts := Options{BcryptCost: bcrypt.MinCost, LoTWURL: e.fake.URL, SecretsKey: "awardtracker-benchmark-secrets-key-not-a-secret"}
		if name == "postgres" {
			// The cluster outlives b: every repetition reuses the service;
			// closeEngines stops it at exit.
			if e.pg, e.err = pgtest.Start(); e.err != nil {
				return
			}
			if opts.DBURL, e.err = e.pg.NewDatabase(context.Background()); e.err != nil {
				return
			}
		} else {
			// Fresh in every process, like the PostgreSQL database: the
			// users' callsigns start again at 1.
			opts.DBPath = filepath.Join(fixtureDir, "engine-sqlite.db")
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(opts.DBPath + suffix)
			}
		}
		e.s, e.err = Open(context.Background(), opts)
	})
	if e.err != nil {
		b.Fatal(e.err)
	}
	return e.s, e.fake
}

// newUser creates a user for one measured step.
func newUser(b testing.TB, s *app.Main) int64 {
	b.Helper()
	u, err := s.Users.CreateUser(context.Background(), fmt.Sprintf("N%dENG", userSeq.Add(1)), placeholderHash)
	if err != nil {
		b.Fatal(err)
	}
	return u.ID
}

// report downloads the fake's report once: the own log of the
// confirming sync is the same QSOs.
func report(b *testing.B, fake *lotwtest.Server) []byte {
	b.Helper()
	reportMu.Lock()
	defer reportMu.Unlock()
	if reportADI == nil {
		q := url.Values{"login": {engineLoTWLogin}, "password": {engineLoTWPass}, "qso_query": {"1"}, "qso_qsl": {"yes"},
			"qso_qslsince": {lotw.FirstSince}, "qso_qsldetail": {"yes"}, "qso_mydetail": {"yes"}, "qso_withown": {"yes"}}
		resp, err := http.Get(fake.URL + "?" + q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if reportADI, err = io.ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
	}
	return reportADI
}

func BenchmarkEngines(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprintf("op=statsmiss/user=%dk", n/1000), func(b *testing.B) {
			for _, name := range engineNames {
				b.Run("engine="+name, func(b *testing.B) {
					s, _ := openEngine(b, name)
					id := newUser(b, s)
					if err := Fill(ctx, s.QSOs, id, "N0ENG", n, 7); err != nil {
						b.Fatal(err)
					}
					benchMiss(b, s, id)
				})
			}
		})
	}
	b.Run(fmt.Sprintf("op=import/qsos=%dk", engineImportQSOs/1000), func(b *testing.B) {
		for _, name := range engineNames {
			b.Run("engine="+name, func(b *testing.B) {
				s, _ := openEngine(b, name)
				for b.Loop() {
					b.StopTimer()
					id := newUser(b, s)
					b.StartTimer()
					if err := Fill(ctx, s.QSOs, id, "N0ENG", engineImportQSOs, 3); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
	for _, confirming := range []bool{false, true} {
		op := "sync-new"
		if confirming {
			op = "sync-confirm"
		}
		b.Run(fmt.Sprintf("op=%s/records=%dk", op, engineSyncRecords/1000), func(b *testing.B) {
			for _, name := range engineNames {
				b.Run("engine="+name, func(b *testing.B) {
					s, fake := openEngine(b, name)
					for b.Loop() {
						b.StopTimer()
						id := newUser(b, s)
						if confirming {
							r, err := s.QSOs.ImportQSOs(ctx, id, awardtracker.SourceLog,
								adif.Records(bufio.NewReader(bytes.NewReader(report(b, fake))), awardtracker.SourceLog), awardtracker.ImportOptions{})
							if err != nil || r.Imported != engineSyncRecords {
								b.Fatalf("own log: got %d imported, %v; want %d", r.Imported, err, engineSyncRecords)
							}
						}
						if err := s.Syncer.SetLoTWCredentials(ctx, id, engineLoTWLogin, engineLoTWPass); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						job, err := s.Syncer.Sync(ctx, id, awardtracker.SourceLoTW)
						if err != nil {
							b.Fatal(err)
						}
						if job.Fetched != engineSyncRecords || job.Imported+job.Updated != engineSyncRecords {
							b.Fatalf("sync: got %+v, want %d fetched, imported or updated", job, engineSyncRecords)
						}
					}
					b.ReportMetric(float64(engineSyncRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
				})
			}
		})
	}
}
