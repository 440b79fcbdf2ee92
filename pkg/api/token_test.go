package api_test

import "testing"

// TestToken_BoundToAccount: a token whose user id now belongs to another
// account opens nothing, even after it was verified and cached. The id is
// freed the way a lost sign-up freed it (the ghost accounts of issue 14):
// neither the user row nor the AUTOINCREMENT sequence's step was stored.
func TestToken_BoundToAccount(t *testing.T) {
	s := newTestServer(t, options{})
	old := s.register("N0OLD")
	s.stats(old) // the token is verified and cached
	if _, err := s.db.SQLDB().Exec("DELETE FROM users; DELETE FROM sqlite_sequence WHERE name = 'users'"); err != nil {
		t.Fatal(err)
	}
	fresh := s.register("N0NEW") // gets the old account's id
	s.importFile(fresh, "log", "own-log.adi")
	for _, path := range []string{"/api/qsos/stats", "/api/qsos", "/api/awards"} {
		if st, body := s.do("GET", path, old, nil); st != 401 {
			t.Errorf("GET %s with the old account's token: %d %.200s, want 401", path, st, body)
		}
	}
	if st, body := s.do("DELETE", "/api/qsos/1", old, nil); st != 401 {
		t.Errorf("DELETE with the old account's token: %d %s, want 401", st, body)
	}
	if st := s.stats(fresh); st.Total != 12 {
		t.Errorf("the new account holds %d QSOs, want its 12", st.Total)
	}
}
