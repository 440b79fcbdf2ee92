package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/awardtracker/awardtracker/internal/disktest"
	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
)

// dbPath returns the file the test server's database lives in.
func (s *testServer) dbPath() string {
	s.t.Helper()
	var seq int
	var name, file string
	if err := s.db.SQLDB().QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		s.t.Fatal(err)
	}
	return file
}

// wantUnavailable checks for a 503 with the unavailable code.
func wantUnavailable(t *testing.T, what string, st int, body []byte) {
	t.Helper()
	var e struct{ Error, Code string }
	_ = json.Unmarshal(body, &e)
	if st != 503 || e.Code != "unavailable" {
		t.Errorf("%s: %d %s, want 503 unavailable", what, st, body)
	}
}

// wantHealth checks /api/health and /readyz.
func wantHealth(t *testing.T, s *testServer, status int, health string) {
	t.Helper()
	st, body := s.do("GET", "/api/health", "", nil)
	var h struct{ Status string }
	if err := json.Unmarshal(body, &h); err != nil || st != status || h.Status != health {
		t.Errorf("/api/health: %d %s, want %d with status %q", st, body, status, health)
	}
	if st, body := s.do("GET", "/readyz", "", nil); st != status {
		t.Errorf("/readyz: %d %s, want %d", st, body, status)
	}
}

func registerBody(call string) *bytes.Reader {
	return bytes.NewReader([]byte(`{"callsign":"` + call + `","password":"correct horse"}`))
}

// TestWrites_DiskFull: with the disk refusing writes, a sign-up answers 503
// (never 201 with a token for a user that is not stored) and health and
// readiness say so until a write succeeds again.
func TestWrites_DiskFull(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	var list struct{ QSOs []struct{ ID int64 } }
	s.json("GET", "/api/qsos?limit=1", tok, nil, 200, &list)
	wantHealth(t, s, 200, "ok")
	restore := disktest.Full(t, 0)
	st, body := s.do("POST", "/api/auth/register", "", registerBody("N0GHST"), "Content-Type", "application/json")
	wantUnavailable(t, "register on a full disk", st, body)
	st, body = s.do("DELETE", fmt.Sprintf("/api/qsos/%d", list.QSOs[0].ID), tok, nil)
	wantUnavailable(t, "delete on a full disk", st, body)
	wantHealth(t, s, 503, "error")
	restore()
	if st, body := s.do("POST", "/api/auth/login", "", registerBody("N0GHST"), "Content-Type", "application/json"); st != 401 {
		t.Errorf("login as the refused sign-up: %d %s, want 401", st, body)
	}
	s.register("N0GHST")        // a write that succeeds...
	wantHealth(t, s, 200, "ok") // ...clears the failure
}

// TestWrites_DatabaseGone: with the database file deleted or replaced,
// writes answer 503 instead of going to a file no restart will see, and
// work again when the file is back.
func TestWrites_DatabaseGone(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	path := s.dbPath()
	own, err := adiftest.ReadFile("own-log.adi")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Rename(f, f+".away"); err != nil {
			t.Fatal(err)
		}
	}
	st, body := s.do("POST", "/api/auth/register", "", registerBody("N1NEW"), "Content-Type", "application/json")
	wantUnavailable(t, "register with the database gone", st, body)
	st, body = s.do("POST", "/api/qsos/import?source=log", tok, bytes.NewReader(own))
	wantUnavailable(t, "import with the database gone", st, body)
	wantHealth(t, s, 503, "error")
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Rename(f+".away", f); err != nil {
			t.Fatal(err)
		}
	}
	wantHealth(t, s, 200, "ok")
	s.register("N1NEW")
	if res := s.importFile(tok, "log", "own-log.adi"); res.Imported == 0 {
		t.Errorf("import with the database back: %+v", res)
	}
}
