package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/perf"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

// The fixtures are built on first use and shared by every -count
// repetition. Their databases live in $BENCH_FIXTURE_DIR if it is set, and
// are then reused by later processes (the driver runs the benchmarks once
// per repetition, interleaved, so that a burst of load elsewhere on the
// machine spreads over all of them); otherwise in a temporary directory
// that TestMain removes.
var fixtureDir string

func TestMain(m *testing.M) {
	fixtureDir = os.Getenv("BENCH_FIXTURE_DIR")
	if fixtureDir == "" {
		dir, err := os.MkdirTemp("", "awardtracker-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		fixtureDir = dir
	}
	code := m.Run()
	for _, f := range fixtures {
		f.close()
	}
	closeEngines()
	if code != 0 {
		os.Exit(code)
	}
}

// fixture is the service over a database that populate fills once, plus the
// in-process state (cached statistics) that warm sets up in each process.
type fixture struct {
	populate func(ctx context.Context, s *app.Main) ([]int64, error)
	warm     func(ctx context.Context, s *app.Main, ids []int64) error

	once sync.Once
	s    *app.Main
	ids  []int64
	err  error
}

var fixtures = map[string]*fixture{}

func (f *fixture) close() {
	if f.s != nil {
		f.s.Close(context.Background())
	}
}

// get opens the fixture named name, populating its database if no earlier
// process did. Setting up is not timed: the b.Loop that follows resets the
// timer.
func get(b *testing.B, name string) (*app.Main, []int64) {
	b.Helper()
	f := fixtures[name]
	f.once.Do(func() { f.ids, f.err = f.open(name) })
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.s, f.ids
}

func (f *fixture) open(name string) ([]int64, error) {
	ctx := context.Background()
	start := time.Now()
	// The user ids are written last: a database without them was not
	// finished, and is built again.
	idsFile := filepath.Join(fixtureDir, name+".ids.json")
	var ids []int64
	b, err := os.ReadFile(idsFile)
	if err == nil {
		err = json.Unmarshal(b, &ids)
	}
	built := err == nil
	if !built {
		os.Remove(TempDBPath(fixtureDir, name))
	}
	f.s, err = Open(ctx, Options{DBPath: TempDBPath(fixtureDir, name), BcryptCost: bcrypt.MinCost})
	if err != nil {
		return nil, err
	}
	if !built {
		if ids, err = f.populate(ctx, f.s); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(ids)
		if err := os.WriteFile(idsFile, b, 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "bench: built fixture %s in %v\n", name, time.Since(start).Round(time.Millisecond))
	}
	if f.warm != nil {
		if err := f.warm(ctx, f.s, ids); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// oneUser is a fixture with a single user owning n QSOs.
func oneUser(n int) *fixture {
	return &fixture{populate: func(ctx context.Context, s *app.Main) ([]int64, error) {
		ids, err := CreateUsers(ctx, s.Users, "N0USER", 1)
		if err != nil {
			return nil, err
		}
		return ids, Fill(ctx, s.QSOs, ids[0], "N0USER0", n, 1)
	}}
}

// usersWithCachedStats is a fixture of n users with 20 QSOs each whose
// statistics are in the cache.
func usersWithCachedStats(n int) *fixture {
	return &fixture{
		populate: func(ctx context.Context, s *app.Main) ([]int64, error) {
			owners := make([]Owner, n)
			for i := range owners {
				owners[i] = Owner{Callsign: "U" + strconv.Itoa(i), QSOs: 20}
			}
			if err := Populate(ctx, s.Users, s.QSOs, owners, 1); err != nil {
				return nil, err
			}
			ids := make([]int64, n)
			for i, o := range owners {
				ids[i] = o.ID
			}
			return ids, nil
		},
		warm: func(ctx context.Context, s *app.Main, ids []int64) error {
			for _, id := range ids {
				if _, err := s.Stats.Stats(ctx, id); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// growth is a fixture of about total QSOs over many users, the measured
// one (ids[0]) owning 10,000 of them and, if big > 0, ids[1] owning big.
func growth(total, big int) *fixture {
	return &fixture{populate: func(ctx context.Context, s *app.Main) ([]int64, error) {
		owners := GrowthOwners(total, 10_000, big, 1000)
		if err := Populate(ctx, s.Users, s.QSOs, owners, growthRounds); err != nil {
			return nil, err
		}
		ids := []int64{owners[0].ID}
		if big > 0 {
			ids = append(ids, owners[1].ID)
		}
		return ids, nil
	}}
}

// growthRounds: each user's log arrives in this many imports, interleaved
// with everybody else's.
const growthRounds = 5

func init() {
	fixtures["stats20k"] = oneUser(20_000)
	fixtures["users10"] = usersWithCachedStats(10)
	fixtures["users10000"] = usersWithCachedStats(10_000)
	fixtures["db10k"] = growth(10_000, 0)
	fixtures["db100k"] = growth(100_000, 0)
	fixtures["db1M"] = growth(1_000_000, 100_000)
}

// Row 1: a statistics cache hit, as the API's handler calls it (metrics
// accounting included), against a miss for a user with 20,000 QSOs.

func BenchmarkStatsCache(b *testing.B) {
	s, ids := get(b, "stats20k")
	ctx := context.Background()
	id := ids[0]
	key := strconv.FormatInt(id, 10)
	b.Run("op=hit", func(b *testing.B) {
		if _, err := s.Stats.Stats(ctx, id); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Stats.Stats(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.StatsCache.Invalidate(key, cache.ReasonImport)
			if _, err := s.Stats.Stats(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Row 2: query tracking (histogram + window) around a call, against the
// same call untracked.

// work is the tracked call; a variable, so that it is not inlined away.
var work = func(context.Context) error { return nil }

func BenchmarkTracking(b *testing.B) {
	ctx := context.Background()
	b.Run("op=untracked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = work(ctx)
		}
	})
	b.Run("op=tracked", func(b *testing.B) {
		tr := perf.New(prometheus.NewRegistry(), perf.Options{})
		// The production names exist and their windows are full, as in
		// a process that has been up for a while.
		for _, name := range []string{"qso_stats", "qso_list", "qso_import", "award_facts", "user_find", "sync_state_get", "stats_last_sync"} {
			for i := range 2000 {
				tr.Observe(name, time.Duration(100+i)*time.Microsecond)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = tr.Track(ctx, "qso_stats", work)
		}
	})
}

// BenchmarkQueryHook is the whole per-statement cost of tracking as the
// storage package pays it (GORM callbacks, clock reads, Observe): the same
// indexed lookup on a database opened with and without a Tracker.
func BenchmarkQueryHook(b *testing.B) {
	ctx := context.Background()
	for _, tracked := range []bool{false, true} {
		b.Run("tracker="+strconv.FormatBool(tracked), func(b *testing.B) {
			var tr *perf.Tracker
			if tracked {
				tr = perf.New(prometheus.NewRegistry(), perf.Options{})
			}
			db := sqlitetest.Open(b, sqlite.Options{Tracker: tr})
			users := sqlite.NewUserService(db)
			ids, err := CreateUsers(ctx, users, "HOOK", 100)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := users.FindUserByID(ctx, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// Row 5: a /metrics scrape with 10 and with 10,000 users who have QSOs and
// cached statistics. The scrape goes through the API's handler with the
// Accept header Prometheus sends; series counts every sample line.

const promAccept = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run("users="+strconv.Itoa(n), func(b *testing.B) {
			s, _ := get(b, "users"+strconv.Itoa(n))
			h := s.Server.Handler()
			scrape := func() []byte {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept", promAccept)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET /metrics: %d", rec.Code)
				}
				return rec.Body.Bytes()
			}
			// A scrape reads the last sync successes from the database,
			// and that query's own timing series appear from the second
			// scrape on: count the second.
			scrape()
			body := scrape()
			b.ReportAllocs()
			for b.Loop() {
				scrape()
			}
			b.ReportMetric(float64(countSeries(body)), "series")
			b.ReportMetric(float64(len(body)), "bytes")
		})
	}
}

// countSeries counts the sample lines of a text exposition.
func countSeries(body []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 && line[0] != '#' {
			n++
		}
	}
	return n
}

// Row 7: a statistics miss for one user with 10,000 QSOs as the database
// around it grows, and for a user with 100,000 QSOs in the largest one.

func BenchmarkStatsMissGrowth(b *testing.B) {
	for _, db := range []struct{ name, fixture string }{{"10k", "db10k"}, {"100k", "db100k"}, {"1M", "db1M"}} {
		b.Run("db="+db.name+"/user=10k", func(b *testing.B) {
			s, ids := get(b, db.fixture)
			benchMiss(b, s, ids[0])
		})
	}
	b.Run("db=1M/user=100k", func(b *testing.B) {
		s, ids := get(b, "db1M")
		benchMiss(b, s, ids[1])
	})
}

func benchMiss(b *testing.B, s *app.Main, id int64) {
	ctx := context.Background()
	key := strconv.FormatInt(id, 10)
	b.ReportAllocs()
	for b.Loop() {
		s.StatsCache.Invalidate(key, cache.ReasonImport)
		if _, err := s.Stats.Stats(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
