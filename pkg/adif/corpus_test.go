package adif

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusDir finds the shared corpus of real ADIF files (../shared/adif-corpus
// beside the repository; AWARDTRACKER_ADIF_CORPUS overrides it) and skips
// the test when it is absent. The files are never copied into the project.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AWARDTRACKER_ADIF_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "adif-corpus")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Skipf("ADIF corpus not found at %s (set AWARDTRACKER_ADIF_CORPUS)", dir)
	}
	return dir
}

// corpusRecords is the number of non-empty <EOR>-terminated records in each
// corpus file as SOURCES.md states it, counted by the corpus's author
// without this package.
var corpusRecords = map[string]int{
	"adifspec-CreateADIFTestFiles_ADIF_316_test_QSOs_2025_08_27.adi": 6191,
	"adifspec-CreateADIFTestFiles_ADIF_315_test_QSOs_2024_11_28.adi": 6156,
	"log4om2-k9cts.adi":                        122,
	"n3fjp-aclog-k9cts.adi":                    438,
	"lotw-report-k9cts-2022.adi":               438,
	"qrzlogbook-k9cts.adi":                     931,
	"skcclogger-k9cts.adi":                     15,
	"lotw-report-k5dru-2022-allqsos-crlf.adi":  2899,
	"lotw-report-r3lo-2026-sat-crlf.adi":       85,
	"lotw-report-oh2lhe-2018-crlf.adi":         485,
	"lotw-report-g8jft-2022.adi":               267,
	"lotw-report-g8jft-empty.adi":              0,
	"adifmaster-3.4-g8jft.adi":                 660,
	"eqsl-inbox-g8jft.adi":                     373,
	"cloudlog-upload-noheader-sat.adi":         708,
	"lotw-report-2e0sql-2013.adi":              1993,
	"cloudlog-0.1-backup-adif2.2.adi":          3546,
	"remotehamradio-9a-f4myh.adi":              246,
	"smartsdr-2.9-n3pay.adi":                   578,
	"eqsl-derived-noheader-ki7mt.adi":          107,
	"wsjtx-2.6.1-kk7knb.adi":                   528,
	"wsjtx-2.6.1-dl8obf.adi":                   185,
	"wsjtx-2017-ei3kf.adi":                     558,
	"wsjtx-2015-kf4mdv.adi":                    74,
	"jtdx-bi1niz.adi":                          2272,
	"wsjtx-zh-gbk-b7-bg6vbm-crlf.adi":          1062,
	"xlog-2.0.11-kf4mdv.adi":                   425,
	"lotw-report-k0swe-2021-mode-data.adi":     4,
	"lotw-report-k0swe-2020-empty-numrec0.adi": 0,
}

// TestReader_Corpus reads every real file of the corpus and checks the
// Reader against two independent references: the record counts of
// SOURCES.md, and simpleCalls, a second reader too simple to share the
// Reader's mistakes, which must agree on the CALL of every record.
func TestReader_Corpus(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.adi"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(corpusRecords) {
		t.Errorf("%d .adi files in %s, want %d", len(files), dir, len(corpusRecords))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, ok := corpusRecords[name]
			if !ok {
				t.Fatalf("%s is not in the table of SOURCES.md counts", name)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			simple := simpleCalls(data)
			if len(simple) != want {
				t.Fatalf("the simple reader found %d records, SOURCES.md says %d", len(simple), want)
			}
			ar, _, recs, err := readAll(t, bytes.NewReader(data))
			if err != nil {
				t.Fatalf("got %v after %d records, want %d records", err, len(recs), want)
			}
			if len(recs) != want {
				t.Fatalf("got %d records, want %d", len(recs), want)
			}
			for i, rec := range recs {
				if got := rec.Get("CALL"); got != simple[i] {
					t.Errorf("record %d: CALL %q, the simple reader %q", i+1, got, simple[i])
				}
			}
			if strings.HasPrefix(name, "lotw-report-") && !ar.SawEOFMarker() {
				t.Error("SawEOFMarker() = false on a LoTW report")
			}
		})
	}
}

// simpleCalls is a deliberately simple ADI reader, written apart from Reader
// to check it: it walks the bytes, takes every <NAME:LENGTH[:TYPE]> as a
// field whose value is the next LENGTH bytes, <EOR> as the end of a record
// and <EOH> as the end of the header; any other '<' is text. It returns the
// first CALL of each record that has fields ("" when it has no CALL). It
// counts lengths in bytes only, which never reads past the start of the next
// tag: a length counted in characters is never longer in bytes.
func simpleCalls(data []byte) []string {
	var calls []string
	call, hasCall, fields := "", false, 0
	for i := 0; i < len(data); {
		if data[i] != '<' {
			i++
			continue
		}
		end := bytes.IndexByte(data[i+1:], '>')
		if end < 0 {
			break
		}
		tag := string(data[i+1 : i+1+end])
		parts := strings.Split(tag, ":")
		switch {
		case strings.EqualFold(tag, "EOR"):
			if fields > 0 {
				calls = append(calls, call)
			}
			call, hasCall, fields = "", false, 0
			i += end + 2
		case strings.EqualFold(tag, "EOH"):
			call, hasCall, fields = "", false, 0
			i += end + 2
		case len(parts) >= 2 && parts[0] != "" && !strings.ContainsAny(tag, "< \t\r\n") && isNumber(parts[1]):
			n, _ := strconv.Atoi(parts[1])
			start := i + end + 2
			stop := min(start+n, len(data))
			if strings.EqualFold(parts[0], "CALL") && !hasCall {
				call, hasCall = string(data[start:stop]), true
			}
			fields++
			i = stop
		default:
			i++
		}
	}
	return calls
}

func isNumber(s string) bool {
	if s == "" || len(s) > 7 {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil && s[0] != '-' && s[0] != '+'
}
