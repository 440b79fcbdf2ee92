package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/internal/disktest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw/lotwtest"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

func register(t *testing.T, url, callsign string) string {
	t.Helper()
	var resp struct{ Token string }
	if st := call(t, "POST", url+"/api/auth/register", "", map[string]string{"callsign": callsign, "password": "correct horse"}, &resp); st != 201 {
		t.Fatalf("register: %d", st)
	}
	return resp.Token
}

func login(t *testing.T, url, callsign string) string {
	t.Helper()
	var resp struct{ Token string }
	if st := call(t, "POST", url+"/api/auth/login", "", map[string]string{"callsign": callsign, "password": "correct horse"}, &resp); st != 200 {
		t.Fatalf("login: %d", st)
	}
	return resp.Token
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// checkIntegrity opens the database the way the service does and runs
// SQLite's own consistency check.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.SQLDB().QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
}

// TestFault_KillDuringImport: SIGKILL while an import's transaction is
// writing leaves the database intact and without any of the import's
// records; importing again gives exact counts.
func TestFault_KillDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "kill.db")
	var file bytes.Buffer
	const n = 20_000
	if err := generatedADIF(&file, n); err != nil {
		t.Fatal(err)
	}
	// The query delay stretches the import (100 batches of 200 inserts) to
	// seconds, so that the kill lands inside its transaction.
	c := startChild(t, "--db.path="+dbPath, "--sync.interval=0", "--debug.query-delay=20ms")
	tok := register(t, c.URL, "N0CALL")
	go func() {
		req, _ := http.NewRequest("POST", c.URL+"/api/qsos/import", bytes.NewReader(file.Bytes()))
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	// The upload is spooled first; then the import writes inside its
	// transaction, spilling pages to the write-ahead log: kill then.
	walBefore := fileSize(dbPath + "-wal")
	waitFor(t, "the import to write", func() bool { return fileSize(dbPath+"-wal") > walBefore+1<<20 })
	c.kill()

	checkIntegrity(t, dbPath)
	c = startChild(t, "--db.path="+dbPath, "--sync.interval=0")
	tok = login(t, c.URL, "N0CALL")
	var st awardtracker.Stats
	call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
	if st.Total != 0 {
		t.Fatalf("after a killed import: %d QSOs, want 0 (was the kill too late?)", st.Total)
	}
	req, _ := http.NewRequest("POST", c.URL+"/api/qsos/import", bytes.NewReader(file.Bytes()))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
	if st.Total != n {
		t.Errorf("after importing again: %d QSOs, want %d", st.Total, n)
	}
	if err := c.stop(); err != nil {
		t.Errorf("SIGTERM: %v\n%s", err, c.logs.String())
	}
}

const testSecretsKey = "a-test-secrets-key-of-at-least-32-characters"

// TestFault_KillDuringSync: SIGKILL while a LoTW report streams in leaves
// the database intact, the cursor unchanged and no record applied; the
// next sync applies exactly the whole report.
func TestFault_KillDuringSync(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const n = 20_000
	fake := lotwtest.NewServer()
	defer fake.Close()
	fake.AddAccount("n0call", "lotw-pass")
	fake.SetGenerated("n0call", n, lotwtest.Generated)

	dbPath := filepath.Join(t.TempDir(), "sync.db")
	args := []string{"--db.path=" + dbPath, "--sync.interval=0", "--lotw.url=" + fake.URL, "--secrets.key=" + testSecretsKey}
	// The query delay stretches the apply (100 batches of 200 inserts) to
	// seconds, so that the kill lands inside its transaction.
	c := startChild(t, append(args, "--debug.query-delay=20ms")...)
	tok := register(t, c.URL, "N0CALL")
	if st := call(t, "PUT", c.URL+"/api/me/lotw", tok, map[string]string{"username": "n0call", "password": "lotw-pass"}, nil); st != 204 {
		t.Fatalf("store credentials: %d", st)
	}
	walBefore := fileSize(dbPath + "-wal")
	var job awardtracker.SyncJob
	if st := call(t, "POST", c.URL+"/api/sync/lotw", tok, nil, &job); st != 202 {
		t.Fatalf("start sync: %d", st)
	}
	// The report is downloaded whole first; then the apply writes inside its
	// transaction, spilling pages to the write-ahead log: kill then.
	waitFor(t, "the sync to write", func() bool { return fileSize(dbPath+"-wal") > walBefore+1<<20 })
	c.kill()
	checkIntegrity(t, dbPath)

	c = startChild(t, args...)
	tok = login(t, c.URL, "N0CALL")
	var st awardtracker.Stats
	call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
	if st.Total != 0 || st.LastSync.LoTW != nil {
		t.Fatalf("after a killed sync: %d QSOs, last LoTW sync %v; want none (was the kill too late?)", st.Total, st.LastSync.LoTW)
	}
	if st := call(t, "POST", c.URL+"/api/sync/lotw", tok, nil, &job); st != 202 {
		t.Fatalf("start sync again: %d", st)
	}
	waitFor(t, "the second sync to finish", func() bool {
		call(t, "GET", c.URL+"/api/sync/jobs/"+job.ID, tok, nil, &job)
		return job.Status == awardtracker.JobSucceeded || job.Status == awardtracker.JobFailed
	})
	if job.Status != awardtracker.JobSucceeded || job.Fetched != n || job.Imported != n {
		t.Fatalf("second sync: %+v, want %d fetched and imported", job, n)
	}
	if code := call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st); code != 200 {
		t.Fatalf("stats: %d", code)
	}
	if st.Total != n || st.LoTWConfirmed != n || st.LastSync.LoTW == nil {
		t.Errorf("after the second sync: %+v, want %d LoTW-confirmed QSOs", st, n)
	}
}

// TestFault_DatabaseUnreachable: with the database file gone, health says
// so (503), readiness fails, writes are refused with 503 instead of going to
// a file no restart will see, the process keeps running, and it recovers
// when the file returns.
func TestFault_DatabaseUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dbPath := filepath.Join(t.TempDir(), "gone.db")
	args := []string{"--db.path=" + dbPath, "--sync.interval=0"}
	c := startChild(t, args...)
	status := func(path string) int { return call(t, "GET", c.URL+path, "", nil, nil) }
	if status("/api/health") != 200 || status("/readyz") != 200 {
		t.Fatal("not healthy at start")
	}
	tok := register(t, c.URL, "N0CALL")
	if err := os.Rename(dbPath, dbPath+".away"); err != nil {
		t.Fatal(err)
	}
	// A successful ping is reused for a second: wait for the next check.
	var h struct{ Status string }
	waitFor(t, "health to notice", func() bool { return call(t, "GET", c.URL+"/api/health", "", nil, &h) == 503 })
	if h.Status != "error" {
		t.Errorf("health with the database gone: %q, want error", h.Status)
	}
	if status("/readyz") != 503 {
		t.Error("readyz passes with the database gone")
	}
	if status("/livez") != 200 {
		t.Error("livez fails: the process should keep running")
	}
	if st := call(t, "POST", c.URL+"/api/auth/register", "", map[string]string{"callsign": "N0LOST", "password": "correct horse"}, nil); st != 503 {
		t.Errorf("register with the database gone: %d, want 503", st)
	}
	if st := importADIF(t, c.URL, tok, 10); st != 503 {
		t.Errorf("import with the database gone: %d, want 503", st)
	}
	metrics := scrape(t, c.URL)
	for _, want := range []string{"awardtracker_db_up 0", `awardtracker_db_write_failures_total{reason="file_gone"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics with the database gone lack %q", want)
		}
	}
	if err := os.Rename(dbPath+".away", dbPath); err != nil {
		t.Fatal(err)
	}
	if status("/api/health") != 200 || status("/readyz") != 200 {
		t.Error("did not recover when the database came back")
	}
	if st := importADIF(t, c.URL, tok, 10); st != 200 {
		t.Errorf("import with the database back: %d, want 200", st)
	}
	if err := c.stop(); err != nil {
		t.Errorf("SIGTERM: %v\n%s", err, c.logs.String())
	}
	// After a restart: the refused writes are not there, the later ones are.
	c = startChild(t, args...)
	tok = login(t, c.URL, "N0CALL")
	var st awardtracker.Stats
	call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
	if st.Total != 10 {
		t.Errorf("after a restart: %d QSOs, want the 10 imported with the database back", st.Total)
	}
	if code := call(t, "POST", c.URL+"/api/auth/login", "", map[string]string{"callsign": "N0LOST", "password": "correct horse"}, nil); code != 401 {
		t.Errorf("login as the refused sign-up: %d, want 401", code)
	}
}

// TestFault_DiskFull: with the disk refusing the child's writes, a sign-up
// answers 503 (never 201 with a token for a user that is not stored), health
// and readiness say 503 and the metrics say why; when space returns, health
// recovers by itself and writes work.
func TestFault_DiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dbPath := filepath.Join(t.TempDir(), "full.db")
	args := []string{"--db.path=" + dbPath, "--sync.interval=0"}
	c := startChild(t, args...)
	tok := register(t, c.URL, "N0CALL")
	if st := importADIF(t, c.URL, tok, 10); st != 200 {
		t.Fatalf("import: %d", st)
	}
	restore := disktest.Full(t, c.cmd.Process.Pid)
	if st := call(t, "POST", c.URL+"/api/auth/register", "", map[string]string{"callsign": "N0GHST", "password": "correct horse"}, nil); st != 503 {
		t.Errorf("register on a full disk: %d, want 503", st)
	}
	if st := importADIF(t, c.URL, tok, 20); st != 503 {
		t.Errorf("import on a full disk: %d, want 503", st)
	}
	var h struct{ Status string }
	if st := call(t, "GET", c.URL+"/api/health", "", nil, &h); st != 503 || h.Status != "error" {
		t.Errorf("health on a full disk: %d %q, want 503 error", st, h.Status)
	}
	if st := call(t, "GET", c.URL+"/readyz", "", nil, nil); st != 503 {
		t.Errorf("readyz on a full disk: %d, want 503", st)
	}
	metrics := scrape(t, c.URL)
	for _, want := range []string{"awardtracker_db_up 0", "awardtracker_db_writable 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics on a full disk lack %q", want)
		}
	}
	if strings.Contains(metrics, `awardtracker_db_write_failures_total{reason="io_error"} 0`) {
		t.Error("awardtracker_db_write_failures_total{reason=\"io_error\"} did not count the failed writes")
	}
	restore()
	// Health probes with a write of its own at most once a second.
	waitFor(t, "health to recover", func() bool { return call(t, "GET", c.URL+"/api/health", "", nil, nil) == 200 })
	if code := call(t, "POST", c.URL+"/api/auth/login", "", map[string]string{"callsign": "N0GHST", "password": "correct horse"}, nil); code != 401 {
		t.Errorf("login as the refused sign-up: %d, want 401", code)
	}
	ghostTok := register(t, c.URL, "N0GHST")
	if err := c.stop(); err != nil {
		t.Errorf("SIGTERM: %v\n%s", err, c.logs.String())
	}
	checkIntegrity(t, dbPath)
	c = startChild(t, args...)
	tok = login(t, c.URL, "N0CALL")
	var st awardtracker.Stats
	call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
	if st.Total != 10 {
		t.Errorf("after a restart: %d QSOs, want the 10 imported before the disk filled", st.Total)
	}
	// The signing key is the same: the token from before the restart works.
	if code := call(t, "GET", c.URL+"/api/qsos/stats", ghostTok, nil, nil); code != 200 {
		t.Errorf("N0GHST's token after a restart: %d, want 200", code)
	}
}

// importADIF uploads n generated QSOs and returns the status.
func importADIF(t *testing.T, url, tok string, n int) int {
	t.Helper()
	var file bytes.Buffer
	if err := generatedADIF(&file, n); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url+"/api/qsos/import", &file)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// scrape returns the child's /metrics page.
func scrape(t *testing.T, url string) string {
	t.Helper()
	return getBody(t, url+"/metrics")
}

// getBody GETs url and returns the answer's body, whatever its status.
func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGracefulShutdown: SIGTERM lets an in-flight request finish, stops a
// sync whose import is writing inside its transaction (rolled back,
// nothing applied) and exits 0.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	fake := lotwtest.NewServer()
	defer fake.Close()
	fake.AddAccount("n0call", "lotw-pass")
	fake.SetGenerated("n0call", 20_000, lotwtest.Generated)
	dbPath := filepath.Join(t.TempDir(), "term.db")
	// The query delay stretches the sync's import (100 batches of 200
	// inserts) to seconds, so that SIGTERM lands inside its transaction.
	c := startChild(t, "--db.path="+dbPath, "--sync.interval=0", "--lotw.url="+fake.URL, "--secrets.key="+testSecretsKey, "--debug.query-delay=20ms")
	tok := register(t, c.URL, "N0CALL")
	call(t, "PUT", c.URL+"/api/me/lotw", tok, map[string]string{"username": "n0call", "password": "lotw-pass"}, nil)
	walBefore := fileSize(dbPath + "-wal")
	var job awardtracker.SyncJob
	call(t, "POST", c.URL+"/api/sync/lotw", tok, nil, &job)
	// The report is spooled whole before the import starts (a drip-fed
	// download would be cancelled before any transaction began); the
	// import then writes inside its transaction, spilling pages to the
	// write-ahead log.
	waitFor(t, "the sync's import to write", func() bool { return fileSize(dbPath+"-wal") > walBefore+1<<20 })

	// An import whose body is still arriving when SIGTERM comes.
	var file bytes.Buffer
	generatedADIF(&file, 500)
	pr, pw := io.Pipe()
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", c.URL+"/api/qsos/import", pr)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	half := file.Len() / 2
	pw.Write(file.Bytes()[:half])
	// In flight means the server is handling it: its handler holds the
	// (unlinked) spool file open. Bytes written by the client alone could
	// still be waiting in the listener's accept queue.
	waitFor(t, "the server to handle the import", func() bool { return hasOpenFile(c.cmd.Process.Pid, "awardtracker-import-") })
	stopped := make(chan error, 1)
	go func() { stopped <- c.stop() }()
	waitFor(t, "shutdown to begin", func() bool { return strings.Contains(c.logs.String(), "Shutting down") })
	pw.Write(file.Bytes()[half:])
	pw.Close()
	if st := <-result; st != 200 {
		t.Errorf("in-flight import during shutdown: %d, want 200", st)
	}
	if err := <-stopped; err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, c.logs.String())
	}
	if logs := c.logs.String(); !strings.Contains(logs, "Sync failed") || !strings.Contains(logs, "context canceled") {
		t.Errorf("the shutdown did not stop the sync; logs:\n%s", logs)
	}

	c = startChild(t, "--db.path="+dbPath, "--sync.interval=0", "--lotw.url="+fake.URL, "--secrets.key="+testSecretsKey)
	tok = login(t, c.URL, "N0CALL")
	var st awardtracker.Stats
	call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
	if st.Total != 500 || st.LoTWConfirmed != 0 || st.LastSync.LoTW != nil {
		t.Errorf("after shutdown: %+v; want the 500 imported QSOs and nothing from the stopped sync", st)
	}
}

// hasOpenFile reports whether process pid has a file open whose path
// contains name.
func hasOpenFile(pid int, name string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && strings.Contains(target, name) {
			return true
		}
	}
	return false
}
