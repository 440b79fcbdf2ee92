package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// export downloads the user's export with query q and checks the answer's
// headers.
func (s *testServer) export(token, q string) []byte {
	s.t.Helper()
	req := s.URL() + "/api/qsos/export"
	if q != "" {
		req += "?" + q
	}
	resp, err := httpGet(req, token)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.status != 200 {
		s.t.Fatalf("export ?%s: status %d: %s", q, resp.status, resp.body)
	}
	if cd := resp.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`) || !strings.HasSuffix(cd, `.adi"`) {
		s.t.Errorf("Content-Disposition %q, want an attachment named *.adi", cd)
	}
	for i, b := range resp.body {
		if b > 126 || (b < 32 && b != '\n') {
			s.t.Fatalf("export byte %d is %#x, not printable ASCII: %q", i, b, resp.body[max(0, i-40):i+1])
		}
	}
	return resp.body
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func httpGet(url, token string) (*response, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// records returns an export's records, the header cut off.
func records(b []byte) string {
	_, recs, ok := bytes.Cut(b, []byte("<EOH>"))
	if !ok {
		panic("export without <EOH>")
	}
	return string(recs)
}

func (s *testServer) importBytes(token, source string, b []byte) awardtracker.ImportResult {
	s.t.Helper()
	st, body := s.do("POST", "/api/qsos/import?source="+source, token, bytes.NewReader(b))
	if st != 200 {
		s.t.Fatalf("import: status %d: %s", st, body)
	}
	var res awardtracker.ImportResult
	if err := json.Unmarshal(body, &res); err != nil {
		s.t.Fatal(err)
	}
	return res
}

func (s *testServer) awards(token string) []awardtracker.AwardProgress {
	s.t.Helper()
	var resp struct{ Awards []awardtracker.AwardProgress }
	s.json("GET", "/api/awards", token, nil, 200, &resp)
	return resp.Awards
}

// allQSOs lists every QSO of the user, as the API shows them.
func (s *testServer) allQSOs(token string) []awardtracker.QSO {
	s.t.Helper()
	var all []awardtracker.QSO
	for off := 0; ; off += 1000 {
		var page struct {
			QSOs  []awardtracker.QSO `json:"qsos"`
			Total int                `json:"total"`
		}
		s.json("GET", fmt.Sprintf("/api/qsos?limit=1000&offset=%d", off), token, nil, 200, &page)
		all = append(all, page.QSOs...)
		if len(all) >= page.Total {
			return all
		}
	}
}

// comparable strips what an export does not carry over (ids, times of the
// rows, the source that first reported a QSO, the time of day of a
// confirmation) and folds the country to ASCII as the export writes it.
func comparable(qs []awardtracker.QSO) []awardtracker.QSO {
	out := make([]awardtracker.QSO, len(qs))
	for i, q := range qs {
		q.ID, q.CreatedAt, q.UpdatedAt, q.Source = 0, time.Time{}, time.Time{}, ""
		q.Country = adif.ASCII(q.Country)
		for _, t := range []**time.Time{&q.LoTWConfirmedAt, &q.DCLConfirmedAt} {
			if *t != nil {
				d := (*t).UTC().Truncate(24 * time.Hour)
				*t = &d
			}
		}
		out[i] = q
	}
	slices.SortFunc(out, func(a, b awardtracker.QSO) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	return out
}

// roundTrip checks the promise for the log of token: its export,
// imported into a fresh account, gives the same statistics, award progress
// and QSOs, field for field, and exports to the same records; imported
// back into the same account it changes nothing.
func roundTrip(t *testing.T, s *testServer, token, fresh string) {
	t.Helper()
	exported := s.export(token, "")
	wantStats, wantAwards, wantQSOs := s.stats(token), s.awards(token), comparable(s.allQSOs(token))

	res := s.importBytes(fresh, "log", exported)
	if len(res.Rejected) != 0 || res.Imported != wantStats.Total {
		t.Fatalf("importing the export into a fresh account: %d imported, rejected %v; want %d, none rejected", res.Imported, res.Rejected, wantStats.Total)
	}
	gotStats := s.stats(fresh)
	gotStats.LastSync, wantStats.LastSync = awardtracker.LastSync{}, awardtracker.LastSync{}
	if !reflect.DeepEqual(gotStats, wantStats) {
		t.Errorf("stats of the fresh account:\n got %+v\nwant %+v", gotStats, wantStats)
	}
	if got := s.awards(fresh); !reflect.DeepEqual(got, wantAwards) {
		t.Errorf("award progress of the fresh account:\n got %+v\nwant %+v", got, wantAwards)
	}
	if got := comparable(s.allQSOs(fresh)); !reflect.DeepEqual(got, wantQSOs) {
		for i := range min(len(got), len(wantQSOs)) {
			if !reflect.DeepEqual(got[i], wantQSOs[i]) {
				t.Errorf("QSO %d of the fresh account:\n got %+v\nwant %+v", i, got[i], wantQSOs[i])
				break
			}
		}
		t.Errorf("the fresh account has %d QSOs, want %d", len(got), len(wantQSOs))
	}
	if again := s.export(fresh, ""); records(again) != records(exported) {
		t.Errorf("the fresh account's export differs from the original's")
	}

	res = s.importBytes(token, "log", exported)
	if res.Imported != 0 || res.Updated != 0 || res.Duplicates != wantStats.Total || len(res.Rejected) != 0 {
		t.Errorf("importing the export back: %+v, want %d duplicates and nothing else", res, wantStats.Total)
	}
	if got := s.stats(token); got.Total != wantStats.Total {
		t.Errorf("after importing the export back: %d QSOs, want %d", got.Total, wantStats.Total)
	}
}

func TestExport_RoundTripGenerated(t *testing.T) {
	s := newTestServer(t, options{})
	for _, n := range []int{0, 1, 3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			owner := fmt.Sprintf("N%dGEN", n)
			tok := s.register(owner)
			u, _, err := gormstore.NewUserService(s.db).FindUserByCallsign(context.Background(), owner)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				if _, err := gormstore.NewQSOService(s.db).ImportQSOs(context.Background(), u.ID, awardtracker.SourceLog,
					demo.QSOs(demo.Options{QSOs: n, StationCallsign: owner}), awardtracker.ImportOptions{}); err != nil {
					t.Fatal(err)
				}
				// The demo's confirmations as LoTW reports them: a LoTW
				// source, mode groups from LoTW, times of day.
				s.importFile(tok, "lotw", "lotw-report.adi")
			}
			roundTrip(t, s, tok, s.register(owner+"/P"))
		})
	}
}

// corpusDir is ../shared/adif-corpus beside the repository, or
// $AWARDTRACKER_ADIF_CORPUS.
func corpusDir(t *testing.T) string {
	dir := os.Getenv("AWARDTRACKER_ADIF_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "adif-corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no ADIF corpus at %s (set AWARDTRACKER_ADIF_CORPUS): %v", dir, err)
	}
	return dir
}

// TestExport_RoundTripCorpus runs the round trip over every real file of
// the corpus, each imported as what it is (LoTW reports as LoTW).
func TestExport_RoundTripCorpus(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.adi"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .adi files in %s: %v", dir, err)
	}
	s := newTestServer(t, options{})
	for i, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			src := "log"
			if strings.HasPrefix(name, "lotw-") {
				src = "lotw"
			}
			tok := s.register(fmt.Sprintf("K%dCRP", i))
			st, body := s.do("POST", "/api/qsos/import?source="+src, tok, bytes.NewReader(b))
			if st != 200 {
				t.Fatalf("importing the corpus file: %d: %s", st, body)
			}
			roundTrip(t, s, tok, s.register(fmt.Sprintf("K%dCRP/P", i)))
		})
	}
}

// TestExport_Filters: the list's filters and since select the same QSOs
// in the export as in the list; bad values are refused; the export needs
// a token and shows only the user's own QSOs.
func TestExport_Filters(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	s.importFile(tok, "lotw", "lotw-report.adi")
	other := s.register("N0OTHER")

	count := func(b []byte) int { return strings.Count(string(b), "<EOR>") }
	for _, q := range []string{"", "band=17M", "mode=ft8", "confirmed=true", "confirmed=false", "call=K8RD", "band=20m&confirmed=false"} {
		var page struct{ Total int }
		s.json("GET", "/api/qsos?limit=1&"+q, tok, nil, 200, &page)
		if got := count(s.export(tok, q)); got != page.Total || (q == "" && got != 12) {
			t.Errorf("export ?%s: %d records, the list has %d", q, got, page.Total)
		}
	}
	all := s.allQSOs(tok)
	cut := all[len(all)/2].Start // newest first: an older QSO
	want := 0
	for _, q := range all {
		if !q.Start.Before(cut.Truncate(24 * time.Hour)) {
			want++
		}
	}
	for _, since := range []string{cut.Format("2006-01-02"), cut.Format("20060102")} {
		if got := count(s.export(tok, "since="+since)); got != want || got == len(all) {
			t.Errorf("export ?since=%s: %d records, want %d of %d", since, got, want, len(all))
		}
	}
	if got := count(s.export(other, "")); got != 0 {
		t.Errorf("another user's export has %d records, want 0", got)
	}
	for _, bad := range []string{"since=yesterday", "since=2024-13-01", "band=21m", "confirmed=maybe"} {
		if st, body := s.do("GET", "/api/qsos/export?"+bad, tok, nil); st != 400 {
			t.Errorf("?%s: %d (%s), want 400", bad, st, body)
		}
	}
	if st, _ := s.do("GET", "/api/qsos/export", "", nil); st != 401 {
		t.Errorf("without a token: %d, want 401", st)
	}
	head := string(s.export(tok, "")[:300])
	for _, want := range []string{"<ADIF_VER:5>3.1.6", "<PROGRAMID:12>awardtracker", "<PROGRAMVERSION:", "<CREATED_TIMESTAMP:15>"} {
		if !strings.Contains(head, want) {
			t.Errorf("header lacks %s:\n%s", want, head)
		}
	}
}

// TestExport_ErrDatabase: an export that cannot read the database answers
// 503 with the error body, not a 200 whose file is empty or cut short.
func TestExport_ErrDatabase(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	// The user is found, reading the QSOs fails.
	if _, err := s.db.SQLDB().Exec("ALTER TABLE qsos RENAME TO qsos_away"); err != nil {
		t.Fatal(err)
	}
	resp, err := httpGet(s.URL()+"/api/qsos/export", tok)
	if err != nil {
		t.Fatal(err)
	}
	if resp.status != 500 || resp.header.Get("Content-Disposition") != "" || bytes.Contains(resp.body, []byte("<EOH>")) {
		t.Errorf("export with the QSOs unreadable: %d %q %s, want a 500 error and no file", resp.status, resp.header.Get("Content-Disposition"), resp.body)
	}
	if _, err := s.db.SQLDB().Exec("ALTER TABLE qsos_away RENAME TO qsos"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(s.export(tok, "")), "<EOR>"); n != 12 {
		t.Errorf("export after the table is back: %d records, want 12", n)
	}
	s.db.Close()
	st, body := s.do("GET", "/api/qsos/export", tok, nil)
	if st != 503 || !strings.Contains(string(body), `"code":"unavailable"`) {
		t.Errorf("export with the database closed: %d %s, want 503 unavailable", st, body)
	}
}

// TestExport_Concurrent: more exports at once than are written at a time
// all get their whole file.
func TestExport_Concurrent(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	want := records(s.export(tok, ""))
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			resp, err := httpGet(s.URL()+"/api/qsos/export", tok)
			if err != nil || resp.status != 200 {
				t.Errorf("export: %v %v", resp, err)
				return
			}
			if got := records(resp.body); got != want {
				t.Errorf("a concurrent export differs:\n got %q\nwant %q", got, want)
			}
		})
	}
	wg.Wait()
}
