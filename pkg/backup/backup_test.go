package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/backup"
	"github.com/awardtracker/awardtracker/pkg/demo"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

// openDB opens a live database with a demo log of about n QSOs and returns
// it with the number of QSOs stored, the count every backup must hold.
func openDB(t *testing.T, dir string, n int) (*sqlite.DB, int) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "live.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := sqlite.NewUserService(db).CreateUser(ctx, "N0CALL", []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sqlite.NewQSOService(db).ImportQSOs(ctx, u.ID, awardtracker.SourceLog, demo.QSOs(demo.Options{QSOs: n}), awardtracker.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported < n {
		t.Fatalf("demo log: %d QSOs stored, want at least %d", res.Imported, n)
	}
	return db, res.Imported
}

// qsoCount opens a backup the way the service would after a restore and
// counts its QSOs.
func qsoCount(t *testing.T, path string) int {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.SQLDB().QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("%s: integrity_check = %q, %v", path, res, err)
	}
	var n int
	if err := db.SQLDB().QueryRow("SELECT COUNT(*) FROM qsos").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	db, stored := openDB(t, dir, 500)
	defer db.Close()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(dir, "copy.db")
		size, err := backup.WriteFile(ctx, db, path)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || fi.Size() != size {
			t.Errorf("backup mode %v size %d, want -rw------- and %d", fi.Mode().Perm(), fi.Size(), size)
		}
		if got := qsoCount(t, path); got != stored {
			t.Errorf("backup holds %d QSOs, want %d", got, stored)
		}
		// From the file, as `awardtracker backup` does, over an older backup.
		src := backup.SourceFunc(func(ctx context.Context, to string) error {
			return sqlite.BackupFile(ctx, filepath.Join(dir, "live.db"), to)
		})
		if _, err := backup.WriteFile(ctx, src, path); err != nil {
			t.Fatal(err)
		}
		if got := qsoCount(t, path); got != stored {
			t.Errorf("backup from the file holds %d QSOs, want %d", got, stored)
		}
		assertNoTemps(t, dir)
	})

	t.Run("ErrKeepsTheOldBackup", func(t *testing.T) {
		path := filepath.Join(dir, "old.db")
		if err := os.WriteFile(path, []byte("the previous backup"), 0o600); err != nil {
			t.Fatal(err)
		}
		// A source that fails half way, after writing part of the copy.
		failing := backup.SourceFunc(func(ctx context.Context, to string) error {
			os.WriteFile(to, []byte("half a backup"), 0o600)
			return errors.New("disk full")
		})
		if _, err := backup.WriteFile(ctx, failing, path); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("err = %v, want the source's", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "the previous backup" {
			t.Errorf("the backup under the name is now %q", b)
		}
		assertNoTemps(t, dir)
	})

	t.Run("ErrNoDatabase", func(t *testing.T) {
		err := sqlite.BackupFile(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db"))
		if err == nil {
			t.Fatal("backup of a missing database succeeded")
		}
		if _, err := os.Stat(filepath.Join(dir, "missing.db")); !os.IsNotExist(err) {
			t.Error("BackupFile created the missing database")
		}
	})
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// backups lists the scheduled backups in dir, oldest first.
func backups(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "awardtracker-*.db"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// TestScheduler runs the loop on a fake clock: a backup an hour, the two
// newest kept, metrics as they should be; a failed run is counted, keeps
// the previous backups and the next run recovers; a restart reads the last
// success from the directory and removes a crash's leftovers.
func TestScheduler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		bdir := filepath.Join(dir, "backups")
		db, stored := openDB(t, dir, 200)
		defer db.Close()
		var fail atomic.Bool
		src := backup.SourceFunc(func(ctx context.Context, path string) error {
			if fail.Load() {
				return errors.New("injected failure")
			}
			return db.Backup(ctx, path)
		})
		// The operator's own file in the directory is not a backup to prune.
		os.MkdirAll(bdir, 0o700)
		os.WriteFile(filepath.Join(bdir, "keep-me.db"), nil, 0o600)
		reg := prometheus.NewRegistry()
		s, err := backup.New(backup.Options{Dir: bdir, Interval: time.Hour, Keep: 2, Source: src, Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); s.Run(ctx) }()

		gauge := func(name string) float64 {
			t.Helper()
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, mf := range mfs {
				if mf.GetName() == name {
					m := mf.GetMetric()[0]
					if m.Gauge != nil {
						return m.Gauge.GetValue()
					}
					return m.Counter.GetValue()
				}
			}
			t.Fatalf("no metric %s", name)
			return 0
		}
		// No backup in the directory yet: the first is taken at once.
		start := time.Now()
		synctest.Wait()
		first := start.UTC().Format("awardtracker-20060102T150405Z.db")
		if got := backups(t, bdir); !slices.Equal(got, []string{first}) {
			t.Fatalf("at start: backups %v, want [%s]", got, first)
		}
		if got, want := gauge("awardtracker_backup_last_success_timestamp_seconds"), float64(start.Unix()); got != want {
			t.Errorf("last success %v, want %v", got, want)
		}
		time.Sleep(time.Hour - time.Second)
		synctest.Wait()
		if got := backups(t, bdir); len(got) != 1 {
			t.Fatalf("before one interval: backups %v", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := backups(t, bdir); len(got) != 2 {
			t.Fatalf("after one interval: backups %v, want two", got)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		got := backups(t, bdir)
		if len(got) != 2 || got[0] == first {
			t.Fatalf("after two intervals: backups %v, want the two newest", got)
		}
		if _, err := os.Stat(filepath.Join(bdir, "keep-me.db")); err != nil {
			t.Errorf("pruning removed a file that is not a backup: %v", err)
		}

		fail.Store(true)
		time.Sleep(time.Hour)
		synctest.Wait()
		if after := backups(t, bdir); !slices.Equal(after, got) {
			t.Errorf("a failed run changed the backups: %v, want %v", after, got)
		}
		if f, ok := gauge("awardtracker_backup_failures_total"), gauge("awardtracker_backup_last_run_success"); f != 1 || ok != 0 {
			t.Errorf("after a failure: failures_total %v, last_run_success %v; want 1 and 0", f, ok)
		}
		fail.Store(false)
		time.Sleep(time.Hour)
		synctest.Wait()
		if ok := gauge("awardtracker_backup_last_run_success"); ok != 1 {
			t.Errorf("after a good run again: last_run_success %v, want 1", ok)
		}
		for _, name := range backups(t, bdir) {
			if n := qsoCount(t, filepath.Join(bdir, name)); n != stored {
				t.Errorf("%s holds %d QSOs, want %d", name, n, stored)
			}
		}
		cancel()
		<-done

		// A restart half an interval after the newest backup, after a crash
		// in the middle of a backup: the leftover goes, the last success
		// comes from the directory, the next backup is due half an
		// interval later, not at once and not a whole interval later.
		newest := backups(t, bdir)[1]
		leftover := filepath.Join(bdir, ".awardtracker-x.db.tmp-123")
		os.WriteFile(leftover, []byte("half"), 0o600)
		time.Sleep(30 * time.Minute)
		reg = prometheus.NewRegistry()
		s, err = backup.New(backup.Options{Dir: bdir, Interval: time.Hour, Keep: 2, Source: src, Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		taken, _ := time.Parse("awardtracker-20060102T150405Z.db", newest)
		if got := gauge("awardtracker_backup_last_success_timestamp_seconds"); got != float64(taken.Unix()) {
			t.Errorf("after a restart: last success %v, want %v (%s)", got, taken.Unix(), newest)
		}
		if _, err := os.Stat(leftover); !os.IsNotExist(err) {
			t.Errorf("the crash's temporary file is still there: %v", err)
		}
		ctx, cancel = context.WithCancel(t.Context())
		done = make(chan struct{})
		go func() { defer close(done); s.Run(ctx) }()
		time.Sleep(30*time.Minute - time.Second)
		synctest.Wait()
		if got := backups(t, bdir); got[1] != newest {
			t.Errorf("after the restart, a backup before it was due: %v", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := backups(t, bdir); got[1] == newest {
			t.Errorf("after the restart, no backup when one was due: %v", got)
		}
		cancel()
		<-done
	})
}

func TestScheduler_Metrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	dir := t.TempDir()
	db, _ := openDB(t, dir, 1)
	defer db.Close()
	s, err := backup.New(backup.Options{Dir: filepath.Join(dir, "b"), Interval: time.Hour, Keep: 1, Source: db, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) != 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
	if n := testutil.CollectAndCount(reg); n != 6 {
		t.Errorf("%d backup series, want 6", n)
	}
}

func TestNew_Errors(t *testing.T) {
	dir := t.TempDir()
	db, _ := openDB(t, dir, 1)
	defer db.Close()
	for name, o := range map[string]backup.Options{
		"NoDir":      {Interval: time.Hour, Keep: 1, Source: db},
		"NoInterval": {Dir: dir, Keep: 1, Source: db},
		"KeepZero":   {Dir: dir, Interval: time.Hour, Source: db},
		"NoSource":   {Dir: dir, Interval: time.Hour, Keep: 1},
	} {
		o.Registerer = prometheus.NewRegistry()
		if _, err := backup.New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
