package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
)

// roundADIF writes n own-log QSOs an hour apart, starting round*n hours
// after 2010: every round of a client's imports is new QSOs.
func roundADIF(w io.Writer, round, n int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, "generated\n<ADIF_VER:5>3.1.6<EOH>\n")
	start := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(round*n) * time.Hour)
	f := func(name, v string) { fmt.Fprintf(bw, "<%s:%d>%s ", name, len(v), v) }
	for i := range n {
		t := start.Add(time.Duration(i) * time.Hour)
		f("CALL", fmt.Sprintf("K%dX%c%c", i%10, 'A'+i/26%26, 'A'+i%26))
		f("QSO_DATE", t.Format("20060102"))
		f("TIME_ON", t.Format("150405"))
		f("BAND", []string{"20m", "40m", "15m"}[i%3])
		f("MODE", []string{"FT8", "CW", "SSB"}[i%3])
		f("DXCC", fmt.Sprint([]int{291, 230, 1}[i%3]))
		fmt.Fprint(bw, "<EOR>\n")
	}
	return bw.Flush()
}

// runBackupChild runs `awardtracker backup` as its own process, as an
// operator's cron job would, and returns its exit error and output.
func runBackupChild(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"backup"}, args...)...)
	cmd.Env = append(os.Environ(), "AWARDTRACKER_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// countQSOs opens a backup on its own and checks it, returning each user's
// number of QSOs and LoTW-confirmed QSOs.
func countQSOs(t *testing.T, path string) map[string][2]int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("%s: integrity_check = %q, %v", path, res, err)
	}
	rows, err := db.Query(`SELECT u.callsign, COUNT(q.id), COALESCE(SUM(q.lotw_confirmed), 0)
		FROM users u LEFT JOIN qsos q ON q.user_id = u.id GROUP BY u.callsign`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]int{}
	for rows.Next() {
		var call string
		var n, lotw int
		if err := rows.Scan(&call, &n, &lotw); err != nil {
			t.Fatal(err)
		}
		out[call] = [2]int{n, lotw}
	}
	return out
}

// TestBackup_UnderLoad is the acceptance case: backups taken by
// `awardtracker backup` while 8 clients import and a LoTW sync runs each
// pass integrity_check and hold every import and the sync whole or not at
// all; after the documented restore (stop, replace the file, remove -wal
// and -shm, start), the service serves for every user exactly the
// statistics the original served when its log was in that state.
func TestBackup_UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const (
		clients   = 8
		perImport = 500
		syncN     = 20_000
	)
	fake := lotwtest.NewServer()
	defer fake.Close()
	fake.AddAccount("n0sync", "lotw-pass")
	fake.SetGenerated("n0sync", syncN, lotwtest.Generated)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live.db")
	args := []string{"--db.path=" + dbPath, "--sync.interval=0", "--lotw.url=" + fake.URL, "--secrets.key=" + testSecretsKey, "--web.rate-limit.auth=0"}
	c := startChild(t, args...)

	// seen[user] maps a number of QSOs to the statistics the service
	// served when the user had exactly that many.
	// latest[user] is the most QSOs the user is known to have had.
	var mu sync.Mutex
	seen := map[string]map[int]awardtracker.Stats{}
	latest := map[string]int{}
	record := func(user string, st awardtracker.Stats) {
		mu.Lock()
		defer mu.Unlock()
		if seen[user] == nil {
			seen[user] = map[int]awardtracker.Stats{}
		}
		seen[user][st.Total] = st
		latest[user] = max(latest[user], st.Total)
	}
	var stop atomic.Bool
	var imports atomic.Int64
	var wg sync.WaitGroup
	tokens := map[string]string{}
	for i := range clients {
		user := fmt.Sprintf("N%dLOAD", i)
		tok := register(t, c.URL, user)
		tokens[user] = tok
		record(user, awardtracker.Stats{Bands: map[string]awardtracker.Count{}, Modes: map[string]awardtracker.Count{}})
		wg.Go(func() {
			for round := 0; !stop.Load(); round++ {
				var file bytes.Buffer
				roundADIF(&file, round, perImport)
				req, _ := http.NewRequest("POST", c.URL+"/api/qsos/import", &file)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("%s import: %v", user, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("%s import: %d", user, resp.StatusCode)
					return
				}
				imports.Add(1)
				var st awardtracker.Stats
				call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
				record(user, st)
			}
		})
	}
	syncTok := register(t, c.URL, "N0SYNC")
	tokens["N0SYNC"] = syncTok
	var before awardtracker.Stats
	call(t, "GET", c.URL+"/api/qsos/stats", syncTok, nil, &before)
	record("N0SYNC", before)
	if st := call(t, "PUT", c.URL+"/api/me/lotw", syncTok, map[string]string{"username": "n0sync", "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("store credentials: %d", st)
	}
	var job awardtracker.SyncJob
	if st := call(t, "POST", c.URL+"/api/sync/lotw", syncTok, nil, &job); st != 202 {
		t.Fatalf("start sync: %d", st)
	}
	waitFor(t, "every client to import once", func() bool { return imports.Load() >= clients })

	// Backups one after the other while the load runs, until one was taken
	// while the sync was running and one after it finished.
	// floors[path] is what each user had before the backup began: the
	// backup must hold at least that (a copy of the database file alone,
	// without the write-ahead log, would not).
	var backups []string
	floors := map[string]map[string]int{}
	syncDone := false
	for i := 0; ; i++ {
		call(t, "GET", c.URL+"/api/sync/jobs/"+job.ID, syncTok, nil, &job)
		// A job is queued before it runs: only these two end it.
		finished := job.Status == awardtracker.JobSucceeded || job.Status == awardtracker.JobFailed
		if finished && !syncDone {
			var st awardtracker.Stats
			call(t, "GET", c.URL+"/api/qsos/stats", syncTok, nil, &st)
			record("N0SYNC", st)
		}
		path := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		mu.Lock()
		floors[path] = maps.Clone(latest)
		mu.Unlock()
		if out, err := runBackupChild(t, "--db.path="+dbPath, "--to="+path); err != nil {
			t.Fatalf("backup %d: %v\n%s", i, err, out)
		}
		backups = append(backups, path)
		if finished {
			if job.Status != awardtracker.JobSucceeded {
				t.Fatalf("sync: %+v", job)
			}
			if !syncDone {
				syncDone = true
				continue // one more, after the sync
			}
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d backups during %d imports and a %d-record sync", len(backups), imports.Load(), syncN)

	for _, path := range backups {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", path, fi.Mode().Perm())
		}
		for user, n := range countQSOs(t, path) {
			if _, ok := seen[user][n[0]]; !ok {
				t.Errorf("%s: %s has %d QSOs, a state the service never had (an import or sync half applied)", filepath.Base(path), user, n[0])
			}
			if floor := floors[path][user]; n[0] < floor {
				t.Errorf("%s: %s has %d QSOs, fewer than the %d committed before the backup began", filepath.Base(path), user, n[0], floor)
			}
			if user == "N0SYNC" && n[1] != 0 && n[1] != syncN {
				t.Errorf("%s: %d LoTW-confirmed QSOs of the sync's %d", filepath.Base(path), n[1], syncN)
			}
		}
	}

	// Restore the first backup (taken mid-load) as the README says.
	if err := c.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	restored := countQSOs(t, backups[0])
	b, err := os.ReadFile(backups[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(dbPath + "-wal")
	os.Remove(dbPath + "-shm")
	c = startChild(t, args...)
	for user, tok := range tokens { // the restored database signs with the same key
		var st awardtracker.Stats
		if code := call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st); code != 200 {
			t.Fatalf("%s stats after the restore: %d", user, code)
		}
		want, ok := seen[user][restored[user][0]]
		if !ok {
			t.Fatalf("%s: restored with %d QSOs, a state never seen", user, restored[user][0])
		}
		if !reflect.DeepEqual(st, want) {
			t.Errorf("%s after the restore:\n got %+v\nwant %+v", user, st, want)
		}
	}
	if err := c.stop(); err != nil {
		t.Errorf("stop after the restore: %v", err)
	}
}

// TestBackup_KillDuringScheduledBackup: SIGKILL while the service writes a
// scheduled backup leaves the earlier backups byte for byte as they were,
// nothing incomplete under a backup's name, and the next start removes the
// leftover temporary file.
func TestBackup_KillDuringScheduledBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live.db")
	bdir := filepath.Join(dir, "backups")
	// A log big enough that each backup takes a while, taken every second.
	c := startChild(t, "--db.path="+dbPath, "--sync.interval=0")
	tok := register(t, c.URL, "N0CALL")
	var file bytes.Buffer
	const n = 20_000
	roundADIF(&file, 0, n)
	req, _ := http.NewRequest("POST", c.URL+"/api/qsos/import", &file)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("import: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	args := []string{"--db.path=" + dbPath, "--sync.interval=0", "--backup.dir=" + bdir, "--backup.interval=1s", "--backup.keep=100"}
	c = startChild(t, args...)

	list := func() (backups, temps []string) {
		entries, _ := os.ReadDir(bdir)
		for _, e := range entries {
			switch {
			case strings.HasPrefix(e.Name(), "awardtracker-"):
				backups = append(backups, e.Name())
			case strings.Contains(e.Name(), ".tmp-"):
				temps = append(temps, e.Name())
			}
		}
		return backups, temps
	}
	waitFor(t, "two scheduled backups", func() bool { b, _ := list(); return len(b) >= 2 })
	sums := map[string][32]byte{}
	earlier, _ := list()
	for _, name := range earlier {
		b, err := os.ReadFile(filepath.Join(bdir, name))
		if err != nil {
			t.Fatal(err)
		}
		sums[name] = sha256.Sum256(b)
	}
	// Kill as soon as the next backup's temporary file appears.
	deadline := time.Now().Add(time.Minute)
	for {
		if _, temps := list(); len(temps) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no backup started within a minute")
		}
		time.Sleep(time.Millisecond)
	}
	c.kill()

	backups, temps := list()
	if len(temps) == 0 {
		t.Fatalf("no temporary file after the kill: the backup finished first (backups %v)", backups)
	}
	for name, sum := range sums {
		b, err := os.ReadFile(filepath.Join(bdir, name))
		if err != nil || sha256.Sum256(b) != sum {
			t.Errorf("earlier backup %s changed or vanished: %v", name, err)
		}
	}
	for _, name := range backups {
		if got := countQSOs(t, filepath.Join(bdir, name))["N0CALL"][0]; got != n {
			t.Errorf("%s holds %d QSOs, want %d", name, got, n)
		}
	}

	c = startChild(t, args...)
	// The killed backup's files are gone (a new backup may be under way).
	for _, name := range temps {
		if _, err := os.Stat(filepath.Join(bdir, name)); !os.IsNotExist(err) {
			t.Errorf("after a restart, the killed backup's %s remains: %v", name, err)
		}
	}
	resp, err = http.Get(c.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"awardtracker_backup_last_success_timestamp_seconds ", "awardtracker_backup_failures_total 0", "awardtracker_backup_interval_seconds 1"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := c.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// TestBackupCommand covers the command line: the backup command and its
// errors, --version, and serving as the default command.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	missing := filepath.Join(dir, "missing.db")
	if code := run(context.Background(), []string{"backup", "--db.path=" + missing, "--to=" + filepath.Join(dir, "b.db")}, &out, &errOut, nil); code != 1 {
		t.Errorf("backup of a missing database: exit %d, want 1", code)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("backup created the missing database")
	}
	live := filepath.Join(dir, "live.db")
	os.WriteFile(live, []byte("not touched"), 0o600)
	if code := run(context.Background(), []string{"backup", "--db.path=" + live, "--to=" + live}, &out, &errOut, nil); code != 2 {
		t.Errorf("backup over the database itself: exit %d, want 2", code)
	}
	if b, _ := os.ReadFile(live); string(b) != "not touched" {
		t.Errorf("the database was replaced: %q", b)
	}
	for _, args := range [][]string{{"backup"}, {"--backup.interval=1h"}, {"--backup.keep=0"}, {"--backup.interval=-1s", "--backup.dir=x"}, {"--backup.interval=10ms", "--backup.dir=x"}} {
		if code := run(context.Background(), args, &out, &errOut, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"--version"}, &out, &errOut, nil); code != 0 || out.Len()+errOut.Len() == 0 {
		t.Errorf("--version: exit %d, output %q %q", code, out.String(), errOut.String())
	}
	cfg, err := parseConfig([]string{"--web.listen-address=127.0.0.1:0"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.command != "serve" {
		t.Errorf("flags alone: command %q, want serve", cfg.command)
	}
	cfg, err = parseConfig([]string{"backup", "--to=x.db", "--db.path=y.db"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.command != "backup" || cfg.backupTo != "x.db" || cfg.DBPath != "y.db" {
		t.Errorf("backup command: %q to %q from %q", cfg.command, cfg.backupTo, cfg.DBPath)
	}
}
