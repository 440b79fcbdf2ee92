package cache_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/cache"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

// cachedEnv is the caches in front of a real SQLite file, wired as the
// service wires them: reads through StatsService and AwardService, writes
// through QSOService.
type cachedEnv struct {
	reg    *prometheus.Registry
	caches *cache.Caches
	qsos   *cache.QSOService
	stats  *cache.StatsService
	awards *cache.AwardService
	user   int64
}

func newCachedEnv(t *testing.T) *cachedEnv {
	t.Helper()
	ctx := context.Background()
	db := sqlitetest.Open(t, sqlite.Options{})
	u, err := sqlite.NewUserService(db).CreateUser(ctx, "N0CALL", []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := cache.NewMetrics(reg)
	sc := cache.New[*awardtracker.Stats]("stats", time.Hour, m)
	ac := cache.New[[]awardtracker.AwardProgress]("award", time.Hour, m)
	caches := cache.NewCaches(sc, ac)
	qsos := cache.NewQSOService(sqlite.NewQSOService(db), caches)
	return &cachedEnv{
		reg: reg, caches: caches, qsos: qsos, user: u.ID,
		stats:  cache.NewStatsService(sqlite.NewStatsService(db), sc),
		awards: cache.NewAwardService(award.NewService(qsos), ac),
	}
}

const oneQSO = `<CALL:6>DL1ABC<QSO_DATE:8>20240501<TIME_ON:4>1200<BAND:3>20m<MODE:2>CW<EOR>`

func (e *cachedEnv) importADIF(t *testing.T, text string, opts awardtracker.ImportOptions) *awardtracker.ImportResult {
	t.Helper()
	res, err := e.qsos.ImportQSOs(context.Background(), e.user, awardtracker.SourceLog,
		adif.Records(strings.NewReader(text), awardtracker.SourceLog), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// total reads the user's QSO count through the stats cache, and the award
// progress through the award cache, so that both hold an entry.
func (e *cachedEnv) total(t *testing.T) int {
	t.Helper()
	st, err := e.stats.Stats(context.Background(), e.user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.awards.Awards(context.Background(), e.user); err != nil {
		t.Fatal(err)
	}
	return st.Total
}

// invalidations returns awardtracker_cache_invalidations_total for one
// cache and reason.
func (e *cachedEnv) invalidations(t *testing.T, cacheName, reason string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "awardtracker_cache_invalidations_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["cache"] == cacheName && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no invalidations series for cache %q, reason %q", cacheName, reason)
	return 0
}

// wantInvalidations checks both caches' counter of reason.
func (e *cachedEnv) wantInvalidations(t *testing.T, reason string, want float64) {
	t.Helper()
	for _, c := range []string{"stats", "award"} {
		if got := e.invalidations(t, c, reason); got != want {
			t.Errorf("%s invalidations{reason=%q} = %v, want %v", c, reason, got, want)
		}
	}
}

func TestQSOService_ImportQSOs(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newCachedEnv(t)
		if got := e.total(t); got != 0 {
			t.Fatalf("total before the import = %d, want 0", got)
		}
		if res := e.importADIF(t, oneQSO, awardtracker.ImportOptions{}); res.Imported != 1 {
			t.Fatalf("imported %d, want 1", res.Imported)
		}
		// No caller invalidated: the decorator did, before returning.
		if got := e.total(t); got != 1 {
			t.Fatalf("total after the import = %d, want 1 (a stale cached value?)", got)
		}
		e.wantInvalidations(t, "import", 1)
		e.wantInvalidations(t, "sync", 0)
	})
	t.Run("UnchangedKeepsCache", func(t *testing.T) {
		e := newCachedEnv(t)
		e.importADIF(t, oneQSO, awardtracker.ImportOptions{})
		e.total(t)
		if res := e.importADIF(t, oneQSO, awardtracker.ImportOptions{}); res.Changed() {
			t.Fatalf("re-import = %+v, want nothing changed", res)
		}
		e.wantInvalidations(t, "import", 1)
	})
	t.Run("Sync", func(t *testing.T) {
		e := newCachedEnv(t)
		e.total(t)
		cursor := "2024-06-01"
		e.importADIF(t, oneQSO, awardtracker.ImportOptions{Cursor: &cursor, SyncedAt: time.Now()})
		if got := e.total(t); got != 1 {
			t.Fatalf("total after the sync = %d, want 1", got)
		}
		e.wantInvalidations(t, "sync", 1)
		e.wantInvalidations(t, "import", 0)
	})
	t.Run("FailedImportWritesAndInvalidatesNothing", func(t *testing.T) {
		e := newCachedEnv(t)
		e.total(t)
		broken := errors.New("stream broke")
		records := func(yield func(awardtracker.ImportRecord, error) bool) {
			for rec, err := range adif.Records(strings.NewReader(oneQSO), awardtracker.SourceLog) {
				if !yield(rec, err) {
					return
				}
			}
			yield(awardtracker.ImportRecord{}, broken)
		}
		if _, err := e.qsos.ImportQSOs(context.Background(), e.user, awardtracker.SourceLog, records, awardtracker.ImportOptions{}); !errors.Is(err, broken) {
			t.Fatalf("err %v, want the stream's", err)
		}
		e.wantInvalidations(t, "import", 0)
	})
}

func TestQSOService_DeleteQSO(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e := newCachedEnv(t)
		e.importADIF(t, oneQSO, awardtracker.ImportOptions{})
		qs, _, err := e.qsos.FindQSOs(ctx, e.user, awardtracker.QSOFilter{})
		if err != nil || len(qs) != 1 {
			t.Fatalf("FindQSOs = %v, %v", qs, err)
		}
		if got := e.total(t); got != 1 {
			t.Fatalf("total = %d, want 1", got)
		}
		if err := e.qsos.DeleteQSO(ctx, e.user, qs[0].ID); err != nil {
			t.Fatal(err)
		}
		if got := e.total(t); got != 0 {
			t.Fatalf("total after the delete = %d, want 0", got)
		}
		e.wantInvalidations(t, "delete", 1)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newCachedEnv(t)
		if err := e.qsos.DeleteQSO(ctx, e.user, 42); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			t.Fatalf("err %v, want %s", err, awardtracker.ENOTFOUND)
		}
		e.wantInvalidations(t, "delete", 0)
	})
}

func TestCaches(t *testing.T) {
	ctx := context.Background()
	e := newCachedEnv(t)
	e.total(t)
	e.caches.InvalidateUserCaches(ctx, e.user)
	e.wantInvalidations(t, "manual", 1)
	e.total(t)
	e.caches.InvalidateAllCaches(ctx)
	e.wantInvalidations(t, "manual", 2)
	e.wantInvalidations(t, "other", 0)

	cs := e.caches.CacheCounters()
	if len(cs) != 2 || cs[0].Name != "stats" || cs[1].Name != "award" {
		t.Fatalf("CacheCounters = %+v, want stats then award", cs)
	}
	// Each cache: a miss per total() call (two), two invalidations.
	for _, c := range cs {
		if c.Misses != 2 || c.Invalidations != 2 {
			t.Errorf("%s counters %+v, want 2 misses and 2 invalidations", c.Name, c)
		}
	}
}

func TestReason_String(t *testing.T) {
	for r, want := range map[cache.Reason]string{
		cache.ReasonImport: "import", cache.ReasonSync: "sync", cache.ReasonDelete: "delete",
		cache.ReasonManual: "manual", cache.ReasonReconnect: "reconnect", cache.Reason(99): "other",
	} {
		if got := r.String(); got != want {
			t.Errorf("Reason(%d) = %q, want %q", r, got, want)
		}
	}
}

// Caches without caches (a service built without them) skips them.
func TestCaches_Nil(t *testing.T) {
	ctx := context.Background()
	caches := cache.NewCaches(nil, nil)
	caches.InvalidateUserCaches(ctx, 1)
	caches.InvalidateAllCaches(ctx)
	if got := caches.CacheCounters(); len(got) != 0 {
		t.Fatalf("CacheCounters = %+v, want none", got)
	}
}
