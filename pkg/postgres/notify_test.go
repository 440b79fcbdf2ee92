package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/postgres/pgtest"
)

// replica is one storage and cache stack on a shared database, wired as
// the service wires a replica of a fleet: the QSO service invalidates here
// and notifies, the listener applies the others' notifications.
type replica struct {
	db       *gormstore.DB
	reg      *prometheus.Registry
	caches   *cache.Caches
	qsos     *cache.QSOService
	stats    *cache.StatsService
	notifier *postgres.Notifier
	// drops receives every drop the listener applied. Tests wait on it,
	// never on a clock.
	drops chan drop
}

// drop is one drop: "all" or "user <id> <reason>", and when it happened.
type drop struct {
	what string
	at   time.Time
}

// newReplica opens dsn and starts the replica's listener, stopped when t
// ends. wrapStats, if not nil, wraps the storage's statistics service
// under the cache.
func newReplica(t testing.TB, dsn string, wrapStats func(awardtracker.StatsService) awardtracker.StatsService) *replica {
	t.Helper()
	return newReplicaWith(t, dsn, wrapStats, nil)
}

// newReplicaWith is newReplica with the notifier's clock (nil: time.Now).
func newReplicaWith(t testing.TB, dsn string, wrapStats func(awardtracker.StatsService) awardtracker.StatsService, now func() time.Time) *replica {
	t.Helper()
	ctx := context.Background()
	r := &replica{reg: prometheus.NewRegistry(), drops: make(chan drop, 1000)}
	// The reconnect delay is pgxlisten's wait before dialling again; a
	// short one keeps the reconnect test quick (nothing waits on it).
	var err error
	r.notifier, err = postgres.NewNotifier(dsn, postgres.NotifierOptions{Registerer: r.reg, ReconnectDelay: 10 * time.Millisecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, dsn, postgres.Options{Options: gormstore.Options{Notifier: r.notifier}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.db = db
	m := cache.NewMetrics(r.reg)
	sc := cache.New[*awardtracker.Stats]("stats", time.Hour, m)
	ac := cache.New[[]awardtracker.AwardProgress]("award", time.Hour, m)
	r.caches = cache.NewCaches(sc, ac)
	r.qsos = cache.NewQSOService(gormstore.NewQSOService(db), r.caches)
	var inner awardtracker.StatsService = gormstore.NewStatsService(db)
	if wrapStats != nil {
		inner = wrapStats(inner)
	}
	r.stats = cache.NewStatsService(inner, sc)

	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.notifier.Listen(lctx, dropRecorder{r.caches, r.drops})
	}()
	t.Cleanup(func() { cancel(); <-done })
	// The first LISTEN drops everything (nothing is cached yet).
	r.wantDrop(t, "all")
	return r
}

// dropRecorder applies drops to the real caches, then reports them.
type dropRecorder struct {
	*cache.Caches
	drops chan<- drop
}

func (d dropRecorder) DropUserCaches(userID int64, reason string) {
	d.Caches.DropUserCaches(userID, reason)
	d.drops <- drop{fmt.Sprintf("user %d %s", userID, reason), time.Now()}
}

func (d dropRecorder) DropAllCaches() {
	d.Caches.DropAllCaches()
	d.drops <- drop{"all", time.Now()}
}

// wantDrop waits for the replica's next drop. The minute is a failsafe, so
// that a lost notification fails with a message rather than at the
// package's timeout; delivery on loopback takes milliseconds.
func (r *replica) wantDrop(t testing.TB, want string) {
	t.Helper()
	r.wantDropAt(t, want)
}

// wantDropAt is wantDrop, returning when the drop happened.
func (r *replica) wantDropAt(t testing.TB, want string) time.Time {
	t.Helper()
	select {
	case got := <-r.drops:
		if got.what != want {
			t.Fatalf("drop %q, want %q", got.what, want)
		}
		return got.at
	case <-time.After(time.Minute):
		t.Fatalf("no drop within a minute, want %q", want)
		return time.Time{}
	}
}

// value returns the value of the replica's series name{labels}.
func (r *replica) value(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func (r *replica) total(t testing.TB, userID int64) int {
	t.Helper()
	st, err := r.stats.Stats(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return st.Total
}

// qsoAt is one QSO of a log, i minutes after the first: a distinct QSO
// for every i (LoTW's rule would merge QSOs of one source within 30
// minutes only if they were duplicates by TQSL's key, which these are not).
func qsoAt(i int) string {
	t := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return fmt.Sprintf("<CALL:6>DL1ABC<QSO_DATE:8>%s<TIME_ON:6>%s<BAND:3>20m<MODE:2>CW<EOR>", t.Format("20060102"), t.Format("150405"))
}

func (r *replica) importLog(t testing.TB, userID int64, text string) {
	t.Helper()
	res, err := r.qsos.ImportQSOs(context.Background(), userID, awardtracker.SourceLog,
		adif.Records(strings.NewReader(text), awardtracker.SourceLog), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported == 0 {
		t.Fatalf("import: %+v, want a new QSO", res)
	}
}

func newUser(t testing.TB, db *gormstore.DB, call string) int64 {
	t.Helper()
	u, err := gormstore.NewUserService(db).CreateUser(context.Background(), call, []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestNotifier_ImportReachesOtherReplica: statistics cached on B show an
// import made through A once B has received A's notification.
func TestNotifier_ImportReachesOtherReplica(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newReplica(t, dsn, nil), newReplica(t, dsn, nil)
	user := newUser(t, a.db, "N0CALL")

	if got := b.total(t, user); got != 0 {
		t.Fatalf("B: total %d, want 0", got)
	}
	a.importLog(t, user, qsoAt(0))
	// Without the notification B would serve its cached 0 for an hour.
	b.wantDrop(t, fmt.Sprintf("user %d import", user))
	if got := b.total(t, user); got != 1 {
		t.Errorf("B after the notification: total %d, want 1", got)
	}
	for _, c := range []struct {
		r      *replica
		name   string
		labels []string
		want   float64
	}{
		{a, "awardtracker_cache_notifications_sent_total", nil, 1},
		{b, "awardtracker_cache_notifications_sent_total", nil, 0},
		{b, "awardtracker_cache_notifications_received_total", []string{"outcome", "applied"}, 1},
		// A skips its own notification: it dropped its caches before sending.
		{a, "awardtracker_cache_notifications_received_total", []string{"outcome", "applied"}, 0},
		{b, "awardtracker_cache_invalidation_lag_seconds", nil, 1},
		{b, "awardtracker_cache_invalidations_total", []string{"cache", "stats", "reason", "import"}, 1},
		{b, "awardtracker_cache_listener_up", nil, 1},
		{b, "awardtracker_cache_listener_reconnects_total", nil, 0},
	} {
		if got := c.r.value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	select {
	case d := <-a.drops:
		t.Errorf("A applied its own notification: %q", d.what)
	default:
	}
	if problems, err := testutil.GatherAndLint(b.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}

// TestNotifier_LostConnection: when B's listening connection is terminated,
// B drops all its caches, reconnects (counted) and hears A again.
func TestNotifier_LostConnection(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newReplica(t, dsn, nil), newReplica(t, dsn, nil)
	user := newUser(t, a.db, "N0CALL")
	b.total(t, user)
	pid := b.notifier.PID()
	if pid == 0 {
		t.Fatal("B listens without a backend pid")
	}

	var ok bool
	if err := a.db.SQLDB().QueryRow("SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
	b.wantDrop(t, "all") // the connection is lost
	b.wantDrop(t, "all") // listening again
	if got := b.value(t, "awardtracker_cache_listener_reconnects_total"); got != 1 {
		t.Errorf("reconnects = %v, want 1", got)
	}
	if got := b.value(t, "awardtracker_cache_invalidations_total", "cache", "stats", "reason", "reconnect"); got != 3 {
		t.Errorf("stats invalidations{reason=reconnect} = %v, want 3 (first LISTEN, the loss, the reconnect)", got)
	}
	for _, c := range b.caches.CacheCounters() {
		if c.Size != 0 {
			t.Errorf("%s holds %d items after the reconnect, want 0", c.Name, c.Size)
		}
	}
	if got := b.notifier.PID(); got == pid || got == 0 {
		t.Errorf("backend pid after reconnect = %d, want a new one (was %d)", got, pid)
	}

	b.total(t, user)
	a.importLog(t, user, qsoAt(0))
	b.wantDrop(t, fmt.Sprintf("user %d import", user))
	if got := b.total(t, user); got != 1 {
		t.Errorf("B after the reconnect and an import on A: total %d, want 1", got)
	}
}

// gatedStats lets a test hold a statistics computation after it read the
// database and before it returns, as a slow query would.
type gatedStats struct {
	inner   awardtracker.StatsService
	mu      sync.Mutex
	read    chan struct{} // closed once the gated computation read
	release chan struct{} // the gated computation returns once closed
}

func (g *gatedStats) Stats(ctx context.Context, userID int64) (*awardtracker.Stats, error) {
	st, err := g.inner.Stats(ctx, userID)
	g.mu.Lock()
	read, release := g.read, g.release
	g.read, g.release = nil, nil // only one computation is held
	g.mu.Unlock()
	if read != nil {
		close(read)
		<-release
	}
	return st, err
}

// TestNotifier_GenerationGuard: a computation on B that read before A's
// import and finishes after B received the notification returns its value
// to its caller but does not cache it: the next read sees the import.
func TestNotifier_GenerationGuard(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	read, release := make(chan struct{}), make(chan struct{})
	gate := &gatedStats{read: read, release: release}
	a := newReplica(t, dsn, nil)
	b := newReplica(t, dsn, func(s awardtracker.StatsService) awardtracker.StatsService { gate.inner = s; return gate })
	user := newUser(t, a.db, "N0CALL")

	stale := make(chan int, 1)
	go func() {
		st, err := b.stats.Stats(context.Background(), user)
		if err != nil {
			t.Error(err)
			stale <- -1
			return
		}
		stale <- st.Total
	}()
	<-read
	a.importLog(t, user, qsoAt(0))
	b.wantDrop(t, fmt.Sprintf("user %d import", user))
	close(release)
	if got := <-stale; got != 0 {
		t.Fatalf("the held computation returned total %d, want the 0 it read", got)
	}
	if got := b.total(t, user); got != 1 {
		t.Errorf("B after the held computation: total %d, want 1 (the stale value was cached)", got)
	}
	if got := b.value(t, "awardtracker_cache_stale_writes_dropped_total", "cache", "stats"); got != 1 {
		t.Errorf("stale writes dropped = %v, want 1", got)
	}
}

// TestNotifier_Race: readers on B race A's imports and their
// notifications; once B received all of them, B's cached total is A's.
func TestNotifier_Race(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newReplica(t, dsn, nil), newReplica(t, dsn, nil)
	user := newUser(t, a.db, "N0CALL")
	const imports = 20

	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := b.stats.Stats(context.Background(), user); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range imports {
		a.importLog(t, user, qsoAt(i))
	}
	for range imports {
		b.wantDrop(t, fmt.Sprintf("user %d import", user))
	}
	close(stop)
	readers.Wait()
	if got := b.total(t, user); got != imports {
		t.Errorf("B: total %d after %d imports on A, want %d", got, imports, imports)
	}
}

func TestDecodePayload_Invalid(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newReplica(t, dsn, nil), newReplica(t, dsn, nil)
	for _, p := range []string{"", "1 import", "x import 1 s", "1 import x s"} {
		if _, err := a.db.SQLDB().Exec("SELECT pg_notify($1, $2)", postgres.NotifyChannel, p); err != nil {
			t.Fatal(err)
		}
	}
	// A valid one after them: once it arrives, the others were handled.
	user := newUser(t, a.db, "N0CALL")
	a.importLog(t, user, qsoAt(0))
	b.wantDrop(t, fmt.Sprintf("user %d import", user))
	if got := b.value(t, "awardtracker_cache_notifications_received_total", "outcome", "invalid"); got != 4 {
		t.Errorf("invalid = %v, want 4", got)
	}
	if got := b.value(t, "awardtracker_cache_listener_reconnects_total"); got != 0 {
		t.Errorf("reconnects = %v, want 0: a bad payload must not drop the connection", got)
	}
}

// TestNotifier_OnlyCommitted: an import that fails is rolled back and
// tells nobody; a delete and a sync are announced as such.
func TestNotifier_OnlyCommitted(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newReplica(t, dsn, nil), newReplica(t, dsn, nil)
	user := newUser(t, a.db, "N0CALL")

	// A value cut off by the end of the file fails the whole import.
	_, err := a.qsos.ImportQSOs(context.Background(), user, awardtracker.SourceLog,
		adif.Records(strings.NewReader(qsoAt(0)+"<CALL:6>DL1"), awardtracker.SourceLog), awardtracker.ImportOptions{})
	if err == nil {
		t.Fatal("import of a cut-off file succeeded")
	}
	a.importLog(t, user, qsoAt(1))
	// The first drop B sees is the import that committed.
	b.wantDrop(t, fmt.Sprintf("user %d import", user))

	qsos, _, err := a.qsos.FindQSOs(context.Background(), user, awardtracker.QSOFilter{Limit: 10})
	if err != nil || len(qsos) != 1 {
		t.Fatalf("FindQSOs: %d QSOs, %v; want 1", len(qsos), err)
	}
	if err := a.qsos.DeleteQSO(context.Background(), user, qsos[0].ID); err != nil {
		t.Fatal(err)
	}
	b.wantDrop(t, fmt.Sprintf("user %d delete", user))
	// Deleting it again deletes nothing and tells nobody.
	if err := a.qsos.DeleteQSO(context.Background(), user, qsos[0].ID); err == nil {
		t.Fatal("second delete succeeded")
	}

	// A sync is an import that moves a cursor: announced as one.
	cursor := "2024-05-02"
	if _, err := a.qsos.ImportQSOs(context.Background(), user, awardtracker.SourceLoTW,
		adif.Records(strings.NewReader(qsoAt(2)), awardtracker.SourceLoTW),
		awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	b.wantDrop(t, fmt.Sprintf("user %d sync", user))
	if got := a.value(t, "awardtracker_cache_notifications_sent_total"); got != 3 {
		t.Errorf("A sent %v, want 3", got)
	}
}
