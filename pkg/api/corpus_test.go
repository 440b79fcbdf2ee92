package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// corpusSource is the import source a corpus file is imported as: LoTW
// reports as lotw, everything else as an own log.
func corpusSource(name string) string {
	if strings.HasPrefix(name, "lotw-report-") {
		return "lotw"
	}
	return "log"
}

// importCorpus posts a corpus file to the real import endpoint and wants 200.
func (s *testServer) importCorpus(dir, token, name string) awardtracker.ImportResult {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		s.t.Fatal(err)
	}
	st, body := s.do("POST", "/api/qsos/import?source="+corpusSource(name), token, bytes.NewReader(b))
	if st != 200 {
		s.t.Fatalf("import %s: status %d: %.300s", name, st, body)
	}
	var res awardtracker.ImportResult
	if err := json.Unmarshal(body, &res); err != nil {
		s.t.Fatal(err)
	}
	return res
}

func (s *testServer) award(token, id string) awardtracker.AwardProgress {
	s.t.Helper()
	var p awardtracker.AwardProgress
	s.json("GET", "/api/awards/"+id, token, nil, 200, &p)
	return p
}

// TestCorpus imports every real file of the corpus for a fresh user through
// the API. The expected counts are the (#10), worked out from the
// files by hand, or counted here by naiveRecords, a reader independent of
// pkg/adif; never a snapshot of what the code under test produced.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	s := newTestServer(t, options{maxImportBytes: 64 << 20})
	files, err := filepath.Glob(filepath.Join(dir, "*.adi"))
	if err != nil || len(files) != 29 {
		t.Fatalf("corpus holds %d .adi files (%v), want 29", len(files), err)
	}
	user := 0
	fresh := func() string {
		user++
		return s.register("T" + strconv.Itoa(user) + "EST")
	}

	t.Run("EveryFile200", func(t *testing.T) {
		for _, f := range files {
			name := filepath.Base(f)
			t.Run(name, func(t *testing.T) {
				s := *s
				s.t = t
				s.importCorpus(dir, fresh(), name)
			})
		}
	})

	// Files whose every record is one QSO (no duplicates among them), or
	// whose QSO count the issue gives.
	for _, tc := range []struct {
		name      string
		qsos      int
		confirmed int // LoTW-confirmed; -1: not checked
	}{
		{"lotw-report-k5dru-2022-allqsos-crlf.adi", 2899, 1714},
		{"lotw-report-2e0sql-2013.adi", 1993, 1993},
		{"xlog-2.0.11-kf4mdv.adi", 425, -1},
		{"wsjtx-2.6.1-kk7knb.adi", 528, -1},
		{"jtdx-bi1niz.adi", 2247, -1}, // 2,272 records, 25 of them exact duplicates
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := *s
			s.t = t
			tok := fresh()
			s.importCorpus(dir, tok, tc.name)
			st := s.stats(tok)
			if st.Total != tc.qsos || (tc.confirmed >= 0 && st.LoTWConfirmed != tc.confirmed) {
				t.Errorf("got %d QSOs, %d LoTW-confirmed; want %d, %d", st.Total, st.LoTWConfirmed, tc.qsos, tc.confirmed)
			}
		})
	}

	t.Run("K5DRUCountedIndependently", func(t *testing.T) {
		// The 2,899 and 1,714 are the records and QSL_RCVD=Y
		// records of the report: check the file says so.
		recs := naiveRecords(t, filepath.Join(dir, "lotw-report-k5dru-2022-allqsos-crlf.adi"))
		yes := 0
		for _, r := range recs {
			if r["QSL_RCVD"] == "Y" {
				yes++
			}
		}
		if len(recs) != 2899 || yes != 1714 {
			t.Errorf("naive reader: %d records, %d QSL_RCVD=Y; want 2899, 1714", len(recs), yes)
		}
	})

	t.Run("G8JFTOwnLogThenLoTW", func(t *testing.T) {
		s := *s
		s.t = t
		tok := fresh()
		own := s.importCorpus(dir, tok, "adifmaster-3.4-g8jft.adi")
		lotw := s.importCorpus(dir, tok, "lotw-report-g8jft-2022.adi")
		st := s.stats(tok)
		if st.Total != 660 || st.LoTWConfirmed != 267 || lotw.Imported != 0 {
			t.Errorf("got %d QSOs, %d LoTW-confirmed, LoTW import %+v (own log %+v); want 660, 267, none new",
				st.Total, st.LoTWConfirmed, lotw, own)
		}
		if n := len(naiveRecords(t, filepath.Join(dir, "lotw-report-g8jft-2022.adi"))); lotw.Updated+lotw.Duplicates != n {
			t.Errorf("LoTW import: %d updated + %d duplicates, want the report's %d records", lotw.Updated, lotw.Duplicates, n)
		}
	})

	t.Run("K9CTSTwoExportsOfOneLog", func(t *testing.T) {
		// N3FJP's export (HHMMSS, SSB) and QRZ's (HHMM, USB) of one log:
		// 932 QSOs together, not the 1,368 that importing both side by
		// side would make.
		s := *s
		s.t = t
		tok := fresh()
		s.importCorpus(dir, tok, "n3fjp-aclog-k9cts.adi")
		s.importCorpus(dir, tok, "qrzlogbook-k9cts.adi")
		if st := s.stats(tok); st.Total != 932 {
			t.Errorf("got %d QSOs, want 932", st.Total)
		}
	})

	t.Run("R3LOSatellite", func(t *testing.T) {
		s := *s
		s.t = t
		tok := fresh()
		const name = "lotw-report-r3lo-2026-sat-crlf.adi"
		s.importCorpus(dir, tok, name)
		// Satellite grids, counted independently: distinct 4-character
		// grids of the report's confirmed satellite records.
		grids := map[string]bool{}
		for _, r := range naiveRecords(t, filepath.Join(dir, name)) {
			if r["QSL_RCVD"] == "Y" && (r["PROP_MODE"] == "SAT" || r["SAT_NAME"] != "") && len(r["GRIDSQUARE"]) >= 4 {
				grids[r["GRIDSQUARE"][:4]] = true
			}
		}
		if len(grids) != 54 {
			t.Errorf("naive reader: %d satellite grids, want the issue's 54", len(grids))
		}
		vucc, sat := s.award(tok, "vucc"), s.award(tok, "vucc-sat")
		if c := vucc.Breakdown["band"]["13cm"]; c.Total != 0 || c.Confirmed != 0 {
			t.Errorf("13cm VUCC = %+v, want 0 grids", c)
		}
		if sat.Confirmed != 54 || sat.Worked != 54 || sat.Target != 100 || sat.Complete {
			t.Errorf("Satellite VUCC = %d/%d of %d (complete %v), want 54 confirmed of 54 worked, target 100",
				sat.Confirmed, sat.Worked, sat.Target, sat.Complete)
		}
	})
}

// naiveTag matches an ADIF data specifier or EOR: the whole of what
// naiveRecords understands.
var naiveTag = regexp.MustCompile(`(?i)<([a-z0-9_]+)(?::(\d+)(?::[a-z])?)?>`)

// naiveRecords is a deliberately simple ADIF reader for cross-checking
// counts: it finds tags with a regular expression, takes each value's
// length in bytes, upper-cases names and trims values, and splits records
// at <EOR> after the header (<EOH>, if any). It knows nothing of the quirks
// pkg/adif handles, so it is only used on files without them (LoTW reports).
func naiveRecords(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(bytes.ToLower(b), []byte("<eoh>")); i >= 0 {
		b = b[i+5:]
	}
	var out []map[string]string
	rec := map[string]string{}
	for {
		m := naiveTag.FindSubmatchIndex(b)
		if m == nil {
			return out
		}
		name := strings.ToUpper(string(b[m[2]:m[3]]))
		switch {
		case name == "EOR":
			if len(rec) > 0 {
				out = append(out, rec)
			}
			rec = map[string]string{}
			b = b[m[1]:]
		case m[4] >= 0:
			n, _ := strconv.Atoi(string(b[m[4]:m[5]]))
			b = b[m[1]:]
			n = min(n, len(b))
			rec[name] = strings.TrimSpace(string(b[:n]))
			b = b[n:]
		default: // <EOH>, <APP_LoTW_EOF> and the like
			b = b[m[1]:]
		}
	}
}
