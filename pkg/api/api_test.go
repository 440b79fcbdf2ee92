package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// TestAuth: the auth routes decode strictly and map the auth service's
// answers; the rules behind those answers (passwords, callsigns, unique
// accounts) are pkg/auth's and pkg/sqlite's tests.
func TestAuth(t *testing.T) {
	s := newMockServer(t)
	tok := s.user(1, "DL1ABC")
	s.Auth.LoginFromFn = func(_ context.Context, _, call, password string) (*awardtracker.User, string, error) {
		if !strings.EqualFold(call, "DL1ABC") || password != "correct horse" {
			return nil, "", awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "wrong callsign or password")
		}
		return &awardtracker.User{ID: 1, Callsign: "DL1ABC"}, tok, nil
	}
	s.Auth.RegisterFn = func(_ context.Context, call, _ string) (*awardtracker.User, string, error) {
		if strings.EqualFold(call, "DL1ABC") {
			return nil, "", awardtracker.Errorf(awardtracker.ECONFLICT, "callsign %s is taken", call)
		}
		return &awardtracker.User{ID: 2, Callsign: strings.ToUpper(call)}, s.user(2, strings.ToUpper(call)), nil
	}
	s.Stats.StatsFn = func(context.Context, int64) (*awardtracker.Stats, error) { return &awardtracker.Stats{}, nil }
	t.Run("Login", func(t *testing.T) {
		st, body := s.do("POST", "/api/auth/login", "", strings.NewReader(`{"callsign":"dl1abc","password":"correct horse"}`), "Content-Type", "application/json")
		var resp struct{ Token string }
		if err := json.Unmarshal(body, &resp); err != nil || st != 200 || resp.Token == "" {
			t.Fatalf("login: %d %s, want 200 with a token", st, body)
		}
		if st, body := s.do("GET", "/api/qsos/stats", resp.Token, nil); st != 200 {
			t.Errorf("with the login's token: %d %s, want 200", st, body)
		}
	})
	for name, tc := range map[string]struct {
		path, body, ct string
		status         int
	}{
		"ErrWrongPassword": {"/api/auth/login", `{"callsign":"DL1ABC","password":"wrong horse"}`, "application/json", 401},
		"ErrDuplicate":     {"/api/auth/register", `{"callsign":"dl1abc","password":"correct horse"}`, "application/json", 409},
		"ErrBadJSON":       {"/api/auth/register", `{"callsign":`, "application/json", 400},
		"ErrUnknownField":  {"/api/auth/register", `{"callsign":"K1A","password":"correct horse","admin":true}`, "application/json", 400},
		"ErrWrongType":     {"/api/auth/register", `{"callsign":1,"password":"correct horse"}`, "application/json", 400},
		"ErrTwoObjects":    {"/api/auth/register", `{"callsign":"K1A","password":"correct horse"}{}`, "application/json", 400},
		"ErrEmptyBody":     {"/api/auth/login", ``, "application/json", 400},
		"ErrContentType":   {"/api/auth/login", `callsign=K1A`, "application/x-www-form-urlencoded", 400},
		"ErrOversized":     {"/api/auth/register", `{"callsign":"K1A","password":"` + strings.Repeat("x", 70<<10) + `"}`, "application/json", 413},
	} {
		t.Run(name, func(t *testing.T) {
			st, body := s.do("POST", tc.path, "", strings.NewReader(tc.body), "Content-Type", tc.ct)
			if st != tc.status {
				t.Fatalf("status %d (%s), want %d", st, body, tc.status)
			}
			var e struct{ Error, Code string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || e.Code == "" {
				t.Errorf("error body %s: want {error, code}", body)
			}
		})
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		for _, path := range []string{"/api/qsos", "/api/qsos/stats", "/api/awards", "/api/awards/dxcc"} {
			if st, _ := s.do("GET", path, "", nil); st != 401 {
				t.Errorf("GET %s without token: %d, want 401", path, st)
			}
			if st, _ := s.do("GET", path, "not-a-token", nil); st != 401 {
				t.Errorf("GET %s with a bad token: %d, want 401", path, st)
			}
		}
		if st, _ := s.do("GET", "/api/qsos/stats", tok, nil); st != 200 {
			t.Errorf("with token: %d, want 200", st)
		}
	})
}

// TestImport is the acceptance case over HTTP: own log, then the
// LoTW report, confirms and adds nothing; counts are exact.
func TestImport(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	if res := s.importFile(tok, "log", "own-log.adi"); res.Imported != 12 || len(res.Rejected) != 0 {
		t.Fatalf("own log: %+v, want 12 imported", res)
	}
	if res := s.importFile(tok, "", "own-log.adi"); res.Imported != 0 || res.Duplicates != 12 {
		t.Fatalf("own log again: %+v, want 12 duplicates", res)
	}
	if res := s.importFile(tok, "lotw", "lotw-report.adi"); res.Imported != 0 || res.Updated != 6 {
		t.Fatalf("lotw: %+v, want 6 updated", res)
	}
	st := s.stats(tok)
	if st.Total != 12 || st.Confirmed != 6 || st.LoTWConfirmed != 6 || st.DXCC.Worked != 10 || st.DXCC.Confirmed != 6 || st.Bands["17m"].Total != 3 {
		t.Errorf("stats %+v, want 12 total, 6 LoTW-confirmed, 10 DXCC worked, 6 confirmed, 3 on 17m", st)
	}

	var page struct {
		QSOs  []awardtracker.QSO `json:"qsos"`
		Total int                `json:"total"`
	}
	s.json("GET", "/api/qsos?limit=2&confirmed=true", tok, nil, 200, &page)
	if page.Total != 6 || len(page.QSOs) != 2 || !page.QSOs[0].LoTWConfirmed {
		t.Errorf("confirmed page: %d of %d", len(page.QSOs), page.Total)
	}
	s.json("GET", "/api/qsos?band=17M&mode=ft8", tok, nil, 200, &page)
	if page.Total != 2 {
		t.Errorf("17m FT8: %d, want 2", page.Total)
	}

	t.Run("Multipart", func(t *testing.T) {
		tok := s.register("N0MP")
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("comment", "before the file")
		fw, _ := mw.CreateFormFile("file", "own-log.adi")
		b, err := adiftest.ReadFile("own-log.adi")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(b)
		mw.Close()
		st, body := s.do("POST", "/api/qsos/import", tok, &buf, "Content-Type", mw.FormDataContentType())
		if st != 200 || !strings.Contains(string(body), `"imported":12`) {
			t.Errorf("multipart: %d %s", st, body)
		}
	})

	t.Run("BadInputWritesNothing", func(t *testing.T) {
		tok := s.register("N0BAD")
		html, err := adiftest.ReadFile("lotw-report.adi")
		if err != nil {
			t.Fatal(err)
		}
		lastEOR := bytes.LastIndex(html, []byte("<eor>")) + len("<eor>\n")
		for name, body := range map[string]string{
			"HTML":            "<html><body><I>Username/password incorrect</I></body></html>",
			"Truncated":       string(html[:len(html)/2]),
			"CutAfterARecord": string(html[:lastEOR]), // well-formed, but no <APP_LoTW_EOF>
			"Binary":          "\x00\x01\x02\x03",
			"Empty":           "",
			"LengthTooLarge":  "<EOH><CALL:999999999>K1A<EOR>",
			"NoMultipart":     "--xyz--",
		} {
			ct := "application/octet-stream"
			if name == "NoMultipart" {
				ct = "multipart/form-data; boundary=xyz"
			}
			st, resp := s.do("POST", "/api/qsos/import?source=lotw", tok, strings.NewReader(body), "Content-Type", ct)
			if st != 400 {
				t.Errorf("%s: status %d (%s), want 400", name, st, resp)
			}
		}
		if st := s.stats(tok); st.Total != 0 {
			t.Errorf("after bad imports: %d QSOs, want 0", st.Total)
		}
		if st, _ := s.do("POST", "/api/qsos/import?source=eqsl", tok, strings.NewReader("<eoh>")); st != 400 {
			t.Errorf("unknown source: %d, want 400", st)
		}
	})

	t.Run("EmptyLoTWReports", func(t *testing.T) {
		// Both shapes LoTW answers "nothing new" in (issue 10).
		tok := s.register("N0EMPTY")
		const head = "ARRL Logbook of the World Status Report\nGenerated at 2022-12-05 12:20:18\nfor n0empty\n\n<PROGRAMID:4>LoTW\n"
		for name, body := range map[string]string{
			"NoHeader": head + "<APP_LoTW_EOF>\n\n",
			"NumRec0":  head + "<APP_LoTW_NUMREC:1>0\n\n<eoh>\n\n<APP_LoTW_EOF>\n",
		} {
			st, resp := s.do("POST", "/api/qsos/import?source=lotw", tok, strings.NewReader(body))
			if st != 200 || !strings.Contains(string(resp), `"imported":0`) {
				t.Errorf("%s: status %d (%s), want 200 with nothing imported", name, st, resp)
			}
		}
	})

	t.Run("CorpusFiles", func(t *testing.T) {
		// The real files behind issue 10's first two items, from
		// ../shared/adif-corpus (AWARDTRACKER_ADIF_CORPUS overrides).
		dir := os.Getenv("AWARDTRACKER_ADIF_CORPUS")
		if dir == "" {
			dir = "../../../shared/adif-corpus"
		}
		tok := s.register("N0CORPUS")
		for _, tc := range []struct {
			file, source string
			imported     string
		}{
			{"lotw-report-g8jft-empty.adi", "lotw", `"imported":0`},
			{"lotw-report-k0swe-2020-empty-numrec0.adi", "lotw", `"imported":0`},
			{"xlog-2.0.11-kf4mdv.adi", "log", `"imported":`},
		} {
			body, err := os.ReadFile(dir + "/" + tc.file)
			if err != nil {
				t.Skipf("corpus file not found: %v", err)
			}
			st, resp := s.do("POST", "/api/qsos/import?source="+tc.source, tok, bytes.NewReader(body))
			if st != 200 || !strings.Contains(string(resp), tc.imported) {
				t.Errorf("%s: status %d (%.200s), want 200 with %s", tc.file, st, resp, tc.imported)
			}
		}
	})

	t.Run("AngleBracketsInText", func(t *testing.T) {
		tok := s.register("N0TEXT")
		body := "ADIF Export from xlog\nCopyright (C) 2012 Andy Stewart <andystewart@comcast.net>\n<ADIF_VER:5>2.2.7\n<EOH>\n" +
			"<CALL:4>K1AB<QSO_DATE:8>20240101<TIME_ON:4>1200<BAND:3>20m<MODE:3>FT8<EOR>\n# <3 this contact\n" +
			"<CALL:4>K2AB<QSO_DATE:8>20240101<TIME_ON:4>1300<BAND:3>20m<MODE:3>FT8 <see https://x.y/z><EOR>\n"
		st, resp := s.do("POST", "/api/qsos/import", tok, strings.NewReader(body))
		if st != 200 || !strings.Contains(string(resp), `"imported":2`) {
			t.Errorf("status %d (%s), want 200 with 2 imported", st, resp)
		}
	})

	t.Run("RejectedRecords", func(t *testing.T) {
		tok := s.register("N0REJ")
		body := "<EOH>\n<CALL:4>K1AB<QSO_DATE:8>20240101<TIME_ON:4>1200<BAND:3>20m<MODE:3>FT8<EOR>\n" +
			"<QSO_DATE:8>20240101<TIME_ON:4>1200<BAND:3>20m<MODE:3>FT8<EOR>\n" +
			"<CALL:4>K2AB<QSO_DATE:8>20241301<TIME_ON:4>1200<BAND:3>20m<MODE:3>FT8<EOR>\n"
		st, resp := s.do("POST", "/api/qsos/import", tok, strings.NewReader(body))
		var res awardtracker.ImportResult
		json.Unmarshal(resp, &res)
		if st != 200 || res.Imported != 1 || len(res.Rejected) != 2 || res.Rejected[0].Record != 2 || res.Rejected[1].Record != 3 {
			t.Errorf("status %d, %s: want 1 imported, records 2 and 3 rejected", st, resp)
		}
	})
}

func TestImport_TooLarge(t *testing.T) {
	s := newTestServer(t, options{maxImportBytes: 1000})
	tok := s.register("N0BIG")
	b, err := adiftest.ReadFile("own-log.adi")
	if err != nil {
		t.Fatal(err)
	}
	st, body := s.do("POST", "/api/qsos/import", tok, bytes.NewReader(b))
	if st != 413 {
		t.Fatalf("status %d (%s), want 413", st, body)
	}
	if got := s.stats(tok); got.Total != 0 {
		t.Errorf("%d QSOs after a refused import, want 0", got.Total)
	}
}

// TestStatsCache: the first request misses and queries the database, the
// second hits and does not, an import invalidates; /metrics and
// /api/health show the same numbers.
func TestStatsCache(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	queries := func() int64 {
		q, _ := s.tracker.Stats("qso_stats")
		return q.Count
	}
	n0 := queries()
	if st := s.stats(tok); st.Total != 12 {
		t.Fatalf("total %d", st.Total)
	}
	n1 := queries()
	if n1 <= n0 {
		t.Fatalf("first request did not query: qso_stats count %d → %d", n0, n1)
	}
	s.stats(tok)
	if n2 := queries(); n2 != n1 {
		t.Errorf("second request queried the database: %d → %d", n1, n2)
	}
	s.importFile(tok, "lotw", "lotw-report.adi")
	if st := s.stats(tok); st.Confirmed != 6 {
		t.Errorf("after import: confirmed %d, want 6 (stale cache?)", st.Confirmed)
	}
	if n3 := queries(); n3 <= n1 {
		t.Errorf("request after import did not query: %d → %d", n1, n3)
	}

	hits := s.value("awardtracker_cache_hits_total", "cache", "stats")
	misses := s.value("awardtracker_cache_misses_total", "cache", "stats")
	if hits != 1 || misses != 2 {
		t.Errorf("metrics: hits %v misses %v, want 1 and 2", hits, misses)
	}
	var h struct {
		Cache struct {
			HitRate    string `json:"hitRate"`
			StatsCache struct{ Size, Hits, Misses int }
		}
	}
	s.json("GET", "/api/health", "", nil, 200, &h)
	if h.Cache.StatsCache.Hits != 1 || h.Cache.StatsCache.Misses != 2 || h.Cache.StatsCache.Size != 1 || h.Cache.HitRate != "33%" {
		t.Errorf("health cache %+v, want 1 hit, 2 misses, size 1, 33%%", h.Cache)
	}
	if inv := s.value("awardtracker_cache_invalidations_total", "cache", "stats", "reason", "import"); inv != 2 {
		t.Errorf("import invalidations %v, want 2", inv)
	}
}

// TestIsolation: user B cannot read or change user A's data.
func TestIsolation(t *testing.T) {
	s := newTestServer(t, options{})
	a, b := s.register("N0AAA"), s.register("N0BBB")
	s.importFile(a, "log", "own-log.adi")
	var page struct {
		QSOs  []awardtracker.QSO `json:"qsos"`
		Total int                `json:"total"`
	}
	s.json("GET", "/api/qsos", a, nil, 200, &page)
	id := page.QSOs[0].ID
	if st := s.stats(b); st.Total != 0 {
		t.Errorf("B sees %d QSOs", st.Total)
	}
	s.json("GET", "/api/qsos", b, nil, 200, &page)
	if page.Total != 0 {
		t.Errorf("B lists %d QSOs", page.Total)
	}
	if st, _ := s.do("DELETE", fmt.Sprintf("/api/qsos/%d", id), b, nil); st != 404 {
		t.Errorf("B deleting A's QSO: %d, want 404", st)
	}
	if st := s.stats(a); st.Total != 12 {
		t.Errorf("A has %d QSOs after B's attempt", st.Total)
	}
	if st, _ := s.do("DELETE", fmt.Sprintf("/api/qsos/%d", id), a, nil); st != 204 {
		t.Errorf("A deleting its QSO: %d, want 204", st)
	}
	if st := s.stats(a); st.Total != 11 {
		t.Errorf("A has %d QSOs after delete, want 11 (cache invalidated?)", st.Total)
	}
}

func TestAwards(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	s.importFile(tok, "lotw", "lotw-report.adi")
	var all struct{ Awards []awardtracker.AwardProgress }
	s.json("GET", "/api/awards", tok, nil, 200, &all)
	if len(all.Awards) != 6 || all.Awards[4].ID != "vucc-sat" {
		t.Fatalf("%d awards (%+v), want 6 with vucc-sat fifth", len(all.Awards), all.Awards)
	}
	var dxcc awardtracker.AwardProgress
	s.json("GET", "/api/awards/dxcc", tok, nil, 200, &dxcc)
	// Confirmed by LoTW: Asiatic Russia, Japan, Australia, USA, Mexico, and
	// entity 8 (Aldabra, deleted: listed apart, not counted).
	if dxcc.ID != "dxcc" || dxcc.Confirmed != 5 || dxcc.Worked != 9 || dxcc.Target != 100 || len(dxcc.Needed) != 340-5 ||
		len(dxcc.Deleted) != 1 || dxcc.Deleted[0] != "ALDABRA" {
		t.Errorf("dxcc = %+v", dxcc)
	}
	// The statistics give the award's figures under dxcc.award, beside the
	// log's own (Aldabra included, and counted as deleted).
	if code, body := s.do("GET", "/api/qsos/stats", tok, nil); code != 200 ||
		!strings.Contains(string(body), `"dxcc":{"worked":10,"confirmed":6,"deleted":1,"award":{"worked":9,"confirmed":5}}`) {
		t.Errorf("stats %d %s, want dxcc {worked 10, confirmed 6, deleted 1, award {worked 9, confirmed 5}}", code, body)
	}
	if st, _ := s.do("GET", "/api/awards/wae", tok, nil); st != 404 {
		t.Errorf("unknown award: %d, want 404", st)
	}
}

// TestHealth_Compatible: same keys and JSON types as the old service.
func TestHealth_Compatible(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.importFile(tok, "log", "own-log.adi")
	s.stats(tok)
	s.stats(tok)
	want, err := os.ReadFile("testdata/health-compat.json")
	if err != nil {
		t.Fatal(err)
	}
	st, got := s.do("GET", "/api/health", "", nil)
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	var g, w any
	json.Unmarshal(got, &g)
	json.Unmarshal(want, &w)
	if diff := shapeDiff("", g, w); diff != "" {
		t.Errorf("shape differs: %s\ngot  %s", diff, got)
	}
	var h struct {
		Status      string
		Timestamp   string
		Performance struct {
			TotalQueries int
			AvgTime      string
			TopSlowest   []struct {
				Query, AvgTime, P95Time string
				Count                   int
			}
		}
		Cache struct{ TTL int }
	}
	json.Unmarshal(got, &h)
	if h.Status != "ok" || h.Performance.TotalQueries == 0 || !strings.HasSuffix(h.Performance.AvgTime, "ms") ||
		len(h.Performance.TopSlowest) == 0 || len(h.Performance.TopSlowest) > 5 || h.Cache.TTL != 300000 {
		t.Errorf("health %s", got)
	}
	if len(h.Timestamp) != len("2025-01-21T06:37:58.109Z") || !strings.HasSuffix(h.Timestamp, "Z") {
		t.Errorf("timestamp %q not ISO-8601 like the old service", h.Timestamp)
	}

	s.db.Close()
	st, got = s.do("GET", "/api/health", "", nil)
	if st != 503 || !strings.Contains(string(got), `"status":"error"`) {
		t.Errorf("database closed: %d %s, want 503 error", st, got)
	}
	if st, _ := s.do("GET", "/readyz", "", nil); st != 503 {
		t.Errorf("readyz with database closed: %d, want 503", st)
	}
	if st, _ := s.do("GET", "/livez", "", nil); st != 200 {
		t.Errorf("livez: %d, want 200", st)
	}
}

// shapeDiff compares JSON values by keys and types only; arrays by their
// first element when both have one.
func shapeDiff(path string, got, want any) string {
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		return fmt.Sprintf("%s: got %T, want %T", path, got, want)
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k := range w {
			if _, ok := g[k]; !ok {
				return fmt.Sprintf("%s.%s missing", path, k)
			}
			if d := shapeDiff(path+"."+k, g[k], w[k]); d != "" {
				return d
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s.%s extra", path, k)
			}
		}
	}
	return ""
}

func TestOperatorEndpoints(t *testing.T) {
	t.Run("Disabled", func(t *testing.T) {
		s := newTestServer(t, options{})
		st, body := s.do("GET", "/api/admin/performance", "", nil)
		if st != 403 || !strings.Contains(string(body), "--web.operator-token") {
			t.Errorf("%d %s, want 403 saying how to enable", st, body)
		}
	})
	t.Run("Enabled", func(t *testing.T) {
		s := newTestServer(t, options{operatorToken: "op-secret"})
		tok := s.register("N0CALL")
		s.importFile(tok, "log", "own-log.adi")
		s.stats(tok)
		if st, _ := s.do("GET", "/api/admin/cache", "", nil); st != 401 {
			t.Errorf("no token: %d, want 401", st)
		}
		if st, _ := s.do("GET", "/api/admin/cache", "wrong", nil); st != 401 {
			t.Errorf("wrong token: %d, want 401", st)
		}
		if st, _ := s.do("GET", "/api/admin/performance", "op-secret", nil); st != 200 {
			t.Errorf("bearer: %d, want 200", st)
		}
		st, body := s.do("GET", "/api/admin/performance/slow?threshold=0s", "", nil, "X-API-Key", "op-secret")
		if st != 200 || !strings.Contains(string(body), "qso_stats") {
			t.Errorf("slow: %d %s", st, body)
		}
		if st, _ := s.do("GET", "/api/admin/performance/slow?threshold=fast", "op-secret", nil); st != 400 {
			t.Errorf("bad threshold: %d, want 400", st)
		}
		st, body = s.do("POST", "/api/admin/cache/invalidate?callsign=n0call", "op-secret", nil)
		if st != 200 || !strings.Contains(string(body), "N0CALL") {
			t.Errorf("invalidate user: %d %s", st, body)
		}
		if inv := s.value("awardtracker_cache_invalidations_total", "cache", "stats", "reason", "manual"); inv != 1 {
			t.Errorf("manual invalidations %v, want 1", inv)
		}
		if st, _ := s.do("POST", "/api/admin/cache/invalidate", "op-secret", nil); st != 200 {
			t.Errorf("invalidate all: %d", st)
		}
		if st, _ := s.do("POST", "/api/admin/cache/invalidate?callsign=K9NONE", "op-secret", nil); st != 404 {
			t.Errorf("unknown callsign: %d, want 404", st)
		}
		// With a token set, /metrics and the detailed health need it.
		if st, _ := s.do("GET", "/metrics", "", nil); st != 401 {
			t.Errorf("/metrics without token: %d, want 401", st)
		}
		if st, _ := s.do("GET", "/metrics", "op-secret", nil); st != 200 {
			t.Errorf("/metrics with token: %d, want 200", st)
		}
		_, body = s.do("GET", "/api/health", "", nil)
		if strings.Contains(string(body), "performance") || !strings.Contains(string(body), `"uptime"`) {
			t.Errorf("public health: %s, want only status, timestamp, uptime", body)
		}
		_, body = s.do("GET", "/api/health", "", nil, "X-API-Key", "op-secret")
		if !strings.Contains(string(body), "performance") {
			t.Errorf("operator health: %s, want details", body)
		}
	})
}

// TestMetrics: bounded labels, /metrics not counted, promtool-clean.
func TestMetrics(t *testing.T) {
	s := newTestServer(t, options{})
	tok := s.register("N0CALL")
	s.stats(tok)
	series := func() int {
		n, err := testutil.GatherAndCount(s.reg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 20 {
		s.do("GET", fmt.Sprintf("/scan/%d/wp-admin.php?x=%d", i, i), "", nil)
		s.do("GET", fmt.Sprintf("/api/awards/%d", i), tok, nil)
		s.do(fmt.Sprintf("BREW%d", i), "/api/health", "", nil)
	}
	// A scrape reads the last sync success from the database: that
	// query's series appears with the first one, whatever the requests.
	series()
	before := series()
	for i := range 200 {
		s.do("GET", fmt.Sprintf("/random/%d", i), "", nil)
		s.do(fmt.Sprintf("BREW%d", i), "/api/health", "", nil)
		s.do("GET", fmt.Sprintf("/api/awards/x%d", i), tok, nil)
		s.do("GET", "/metrics", "", nil)
	}
	if after := series(); after != before {
		t.Errorf("series grew from %d to %d with random paths and methods", before, after)
	}
	_, body := s.do("GET", "/metrics", "", nil)
	m := string(body)
	for _, want := range []string{
		`awardtracker_http_requests_total{code="404",method="GET",route="unmatched"} 220`,
		// A known path asked with an unknown method is a 405, still unmatched.
		`awardtracker_http_requests_total{code="405",method="OTHER",route="unmatched"} 220`,
		`awardtracker_http_requests_total{code="404",method="GET",route="/api/awards/:id"} 220`,
		`awardtracker_cache_hits_total{cache="award"} 219`,
		`awardtracker_db_query_duration_seconds_bucket{query="qso_stats",le="0.1"}`,
		`awardtracker_db_query_duration_seconds_bucket{query="qso_stats",le="0.5"}`,
		// go_sql_ and process_ series are registered by cmd, whose
		// TestIsolation checks them.
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(m, `route="/metrics"`) {
		t.Error("/metrics counts itself")
	}
	if strings.Contains(m, "wp-admin") || strings.Contains(m, "N0CALL") {
		t.Error("raw paths or callsigns in labels")
	}
	promtoolCheck(t, body)
}

// promtoolCheck runs `promtool check metrics` on an exposition.
func promtoolCheck(t *testing.T, exposition []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run `make tools` (scripts/install-monitoring-tools.sh)")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// value returns the value of the series of a counter or gauge with the
// given label pairs, as gathered from the registry.
func (s *testServer) value(name string, labels ...string) float64 {
	s.t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	s.t.Fatalf("no series %s%v", name, labels)
	return 0
}

func TestMetrics_SeparateListener(t *testing.T) {
	s := newTestServer(t, options{metricsSeparate: true, operatorToken: "op"})
	if st, _ := s.do("GET", "/metrics", "op", nil); st != 404 {
		t.Errorf("/metrics on the API listener: %d, want 404", st)
	}
	for tok, want := range map[string]int{"": 401, "op": 200} {
		req, _ := http.NewRequest("GET", s.MetricsURL()+"/metrics", nil)
		if tok != "" {
			req.Header.Set("X-API-Key", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %q: %d, want %d", tok, resp.StatusCode, want)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, options{})
	resp, err := http.Get(s.URL() + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestRateLimits(t *testing.T) {
	s := newTestServer(t, options{authLimit: "3/m", healthLimit: "2/s:2", apiLimit: "1000/s"})
	for i := range 3 {
		if st, _ := s.do("POST", "/api/auth/login", "", strings.NewReader(`{"callsign":"K1A","password":"wrong horse"}`)); st != 401 {
			t.Fatalf("attempt %d: %d, want 401", i, st)
		}
	}
	req, _ := http.NewRequest("POST", s.URL()+"/api/auth/login", strings.NewReader(`{"callsign":"K1A","password":"wrong horse"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("4th login: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	s.do("GET", "/api/health", "", nil)
	s.do("GET", "/api/health", "", nil)
	if st, _ := s.do("GET", "/api/health", "", nil); st != 429 {
		t.Errorf("3rd health: %d, want 429", st)
	}
	if st, _ := s.do("GET", "/livez", "", nil); st != 200 {
		t.Errorf("livez is not limited: %d", st)
	}
	if got := s.value("awardtracker_http_rate_limited_total", "policy", "auth"); got != 1 {
		t.Errorf("auth rejections %v, want 1", got)
	}
}
