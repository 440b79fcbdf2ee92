package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
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

// TestFault_KillDuringImport: SIGKILL while an import streams in leaves
// the database intact and without any of the import's records; importing
// again gives exact counts.
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
	c := startChild(t, "--db.path="+dbPath, "--sync.interval=0")
	tok := register(t, c.URL, "N0CALL")

	// Send the first 80% of the file, then hold the request open.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(file.Bytes()[:file.Len()*8/10])
	}()
	go func() {
		req, _ := http.NewRequest("POST", c.URL+"/api/qsos/import", pr)
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	// The import writes inside its transaction as records arrive: wait for
	// the write-ahead log to grow, then kill.
	walBefore := fileSize(dbPath + "-wal")
	waitFor(t, "the import to write", func() bool { return fileSize(dbPath+"-wal") > walBefore+512<<10 })
	c.kill()
	pw.Close()

	checkIntegrity(t, dbPath)
	c = startChild(t, "--db.path="+dbPath, "--sync.interval=0")
	tok = login(t, c.URL, "N0CALL")
	var st awardtracker.Stats
	call(t, "GET", c.URL+"/api/qsos/stats", tok, nil, &st)
	if st.Total != 0 {
		t.Fatalf("after a killed import: %d QSOs, want 0", st.Total)
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
