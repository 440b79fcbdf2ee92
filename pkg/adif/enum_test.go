package adif

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// readCSV returns the rows of testdata/adif-3.1.6/name as maps keyed by the
// header's column names.
func readCSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "adif-3.1.6", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(all) < 2 {
		t.Fatalf("%s: %d rows, want a header and data", name, len(all))
	}
	var rows []map[string]string
	for _, rec := range all[1:] {
		row := make(map[string]string, len(rec))
		for i, col := range all[0] {
			row[col] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func TestDXCCTableMatchesSpec(t *testing.T) {
	rows := readCSV(t, "dxcc_entities.csv")
	want := map[int]Entity{}
	for _, r := range rows {
		code, err := strconv.Atoi(r["code"])
		if err != nil {
			t.Fatalf("bad code %q", r["code"])
		}
		if code == 0 {
			continue
		}
		want[code] = Entity{Code: code, Name: r["name"], Deleted: r["deleted"] == "true"}
	}
	got := DXCCEntities()
	if len(got) != len(want) {
		t.Errorf("DXCCEntities() has %d entities, want %d", len(got), len(want))
	}
	for i, e := range got {
		if i > 0 && got[i-1].Code >= e.Code {
			t.Errorf("DXCCEntities() not sorted at %d: %d after %d", i, e.Code, got[i-1].Code)
		}
		if w, ok := want[e.Code]; !ok {
			t.Errorf("entity %d %q is not in the spec", e.Code, e.Name)
		} else if e != w {
			t.Errorf("entity %d = %+v, want %+v", e.Code, e, w)
		}
	}
	for code, w := range want {
		if e, ok := DXCCEntity(code); !ok || e != w {
			t.Errorf("DXCCEntity(%d) = %+v, %v, want %+v, true", code, e, ok, w)
		}
	}
	var current, deleted int
	for _, e := range got {
		if e.Deleted {
			deleted++
		} else {
			current++
		}
	}
	if current != 340 || deleted != 62 {
		t.Errorf("%d current and %d deleted entities, want 340 and 62", current, deleted)
	}
	for _, code := range []int{0, -1, 73, 523, 1000} {
		if e, ok := DXCCEntity(code); ok {
			t.Errorf("DXCCEntity(%d) = %+v, true, want false", code, e)
		}
	}
	if e, _ := DXCCEntity(230); e.Name != "FEDERAL REPUBLIC OF GERMANY" || e.Deleted {
		t.Errorf("DXCCEntity(230) = %+v", e)
	}
	if e, _ := DXCCEntity(81); !e.Deleted {
		t.Errorf("DXCCEntity(81) = %+v, want deleted", e)
	}
	got[0].Name = "changed"
	if e, _ := DXCCEntity(got[0].Code); e.Name == "changed" {
		t.Error("DXCCEntities() exposes the table")
	}
}

func TestStatesTableMatchesSpec(t *testing.T) {
	rows := readCSV(t, "us_states.csv")
	want := map[string]State{}
	sawDC := false
	for _, r := range rows {
		dxcc, err := strconv.Atoi(r["dxcc"])
		if err != nil {
			t.Fatalf("bad dxcc %q", r["dxcc"])
		}
		if r["code"] == "DC" {
			sawDC = true
			continue
		}
		want[r["code"]] = State{Code: r["code"], Name: r["name"], DXCC: dxcc}
	}
	if !sawDC || len(want) != 50 {
		t.Fatalf("spec has %d states (DC seen: %v), want 50 and DC", len(want), sawDC)
	}
	got := USStates()
	if len(got) != 50 {
		t.Errorf("USStates() has %d states, want 50", len(got))
	}
	for i, s := range got {
		if i > 0 && got[i-1].Code >= s.Code {
			t.Errorf("USStates() not sorted at %d: %s after %s", i, s.Code, got[i-1].Code)
		}
		if w, ok := want[s.Code]; !ok {
			t.Errorf("state %s is not in the spec", s.Code)
		} else if s != w {
			t.Errorf("state %s = %+v, want %+v", s.Code, s, w)
		}
	}
	for _, s := range got {
		delete(want, s.Code)
	}
	for code := range want {
		t.Errorf("spec state %s missing from USStates()", code)
	}
}

func TestWASState(t *testing.T) {
	for _, tc := range []struct {
		code string
		dxcc int
		want string
		ok   bool
	}{
		{"OK", 291, "OK", true},
		{" ok ", 291, "OK", true},
		{"DC", 291, "MD", true},
		{"dc", 291, "MD", true},
		{"MD", 291, "MD", true},
		{"AK", 6, "AK", true},
		{"HI", 110, "HI", true},
		{"WI", 0, "", false},    // DXCC unknown
		{"ON", 1, "", false},    // a Canadian province
		{"NRW", 230, "", false}, // a German Bundesland
		{"PR", 291, "", false},  // not one of the 50
		{"XX", 291, "", false},
		{"", 291, "", false},
	} {
		got, ok := WASState(tc.code, tc.dxcc)
		if got != tc.want || ok != tc.ok {
			t.Errorf("WASState(%q, %d) = %q, %v, want %q, %v", tc.code, tc.dxcc, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBandsTableMatchesSpec(t *testing.T) {
	rows := readCSV(t, "bands.csv")
	got := Bands()
	if len(got) != len(rows) {
		t.Fatalf("Bands() has %d bands, want %d", len(got), len(rows))
	}
	for i, r := range rows {
		lo, err1 := strconv.ParseFloat(r["lower_mhz"], 64)
		hi, err2 := strconv.ParseFloat(r["upper_mhz"], 64)
		if err1 != nil || err2 != nil || r["import_only"] != "" {
			t.Fatalf("unexpected spec row %v", r)
		}
		w := Band{Name: r["band"], LowerMHz: lo, UpperMHz: hi}
		if got[i] != w {
			t.Errorf("Bands()[%d] = %+v, want %+v", i, got[i], w)
		}
		if i > 0 && got[i-1].UpperMHz >= got[i].LowerMHz {
			t.Errorf("band %s overlaps %s", got[i].Name, got[i-1].Name)
		}
	}
}

func TestBandForFreq(t *testing.T) {
	for _, tc := range []struct {
		mhz  float64
		want string
		ok   bool
	}{
		{14.074, "20m", true},
		{14.0, "20m", true},  // edges are inclusive
		{14.35, "20m", true}, //
		{14.351, "", false},
		{0.1360, "2190m", true},
		{1.840, "160m", true},
		{21.074, "15m", true},
		{50.313, "6m", true},
		{54.0, "6m", true},
		{54.0000005, "", false}, // the gap ADIF leaves between 6m and 5m
		{60.0, "5m", true},
		{144.174, "2m", true},
		{432.1, "70cm", true},
		{10368.1, "3cm", true},
		{0, "", false},
		{-14.074, "", false},
		{100, "", false},
	} {
		got, ok := BandForFreq(tc.mhz)
		if got != tc.want || ok != tc.ok {
			t.Errorf("BandForFreq(%v) = %q, %v, want %q, %v", tc.mhz, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNormalizeBand(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"20M", "20m", true},
		{"20m", "20m", true},
		{" 70CM ", "70cm", true},
		{"1.25M", "1.25m", true},
		{"SUBMM", "submm", true},
		{"21m", "", false},
		{"20", "", false},
		{"", "", false},
	} {
		got, ok := NormalizeBand(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeBand(%q) = %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// knownSubmodeErrata are submodes that the spec's Mode table lists but its
// Submode table (submodes.csv) lacks. The tables keep them: loggers write
// them, and the Mode table is the one ADIF validators read. If a newer CSV
// adds them, this list must shrink, which the test enforces.
var knownSubmodeErrata = []string{
	"PSK125C12", "PSK125R", "PSK250C6", "PSK250R", "PSK500C2", "PSK500C4",
	"PSK500R", "PSK800C2", "PSK1000C2", "PSK1000R",
}

// splitSpecSubmodes splits the Mode table's submode list, repairing the
// comma missing between MFSK128 and MFSK128L in the ADIF spec itself (the
// Submode table lists them separately).
func splitSpecSubmodes(s string) []string {
	var out []string
	for _, sub := range strings.Split(s, ",") {
		switch {
		case sub == "":
		case sub == "MFSK128 MFSK128L":
			out = append(out, "MFSK128", "MFSK128L")
		default:
			out = append(out, sub)
		}
	}
	return out
}

func TestModesTableMatchesSpec(t *testing.T) {
	specModes := readCSV(t, "modes.csv")
	if len(modes) != len(specModes) {
		t.Errorf("table has %d modes, want %d", len(modes), len(specModes))
	}
	for _, r := range specModes {
		d := modeIndex[r["mode"]]
		if d == nil {
			t.Errorf("spec mode %q missing from the table", r["mode"])
			continue
		}
		if d.importOnly != (r["import_only"] == "true") {
			t.Errorf("mode %s importOnly = %v, want %q", d.name, d.importOnly, r["import_only"])
		}
		if want := splitSpecSubmodes(r["submodes"]); !slices.Equal(d.submodes, want) {
			t.Errorf("mode %s submodes = %q, want %q", d.name, d.submodes, want)
		}
	}
	seen := map[string]bool{}
	for _, d := range modes {
		if seen[d.name] {
			t.Errorf("mode %s listed twice", d.name)
		}
		seen[d.name] = true
		if d.name != strings.ToUpper(d.name) {
			t.Errorf("mode %s not upper case", d.name)
		}
	}

	specSubs := readCSV(t, "submodes.csv")
	inCSV := map[string]bool{}
	for _, r := range specSubs {
		inCSV[r["submode"]] = true
		if got := submodeParent[r["submode"]]; got != r["mode"] {
			t.Errorf("submode %s has parent %q, want %q", r["submode"], got, r["mode"])
		}
		if r["import_only"] != "" {
			t.Errorf("unexpected import-only submode %v", r)
		}
	}
	var extra []string
	n := 0
	for _, d := range modes {
		for _, s := range d.submodes {
			n++
			if !inCSV[s] {
				extra = append(extra, s)
			}
		}
	}
	if n != len(submodeParent) {
		t.Errorf("%d submodes in the table but %d distinct: one has two parents", n, len(submodeParent))
	}
	slices.Sort(extra)
	wantExtra := slices.Sorted(slices.Values(knownSubmodeErrata))
	if !slices.Equal(extra, wantExtra) {
		t.Errorf("submodes missing from submodes.csv = %q, want %q", extra, wantExtra)
	}
	for _, r := range specModes {
		if r["import_only"] == "true" && submodeParent[r["mode"]] == "" {
			// NormalizeMode relies on every import-only mode having a parent.
			t.Errorf("import-only mode %s is no submode", r["mode"])
		}
	}
}

func TestNormalizeMode(t *testing.T) {
	for _, tc := range []struct {
		mode, sub    string
		wantM, wantS string
		ok           bool
	}{
		{"CW", "", "CW", "", true},
		{"cw", "", "CW", "", true},
		{"FT8", "", "FT8", "", true},
		{"MFSK", "FT4", "MFSK", "FT4", true},
		{"mfsk", "ft4", "MFSK", "FT4", true},
		{"FT4", "", "MFSK", "FT4", true}, // older loggers
		{"FT4", "FT4", "MFSK", "FT4", true},
		{"", "FT4", "MFSK", "FT4", true},
		{"SSB", "USB", "SSB", "USB", true},
		{"USB", "", "SSB", "USB", true},
		{"PSK31", "", "PSK", "PSK31", true}, // import-only mode
		{"PSK", "PSK31", "PSK", "PSK31", true},
		{"JT65", "JT65B", "JT65", "JT65B", true},
		{"JT65B", "", "JT65", "JT65B", true}, // import-only mode
		{"C4FM", "", "DIGITALVOICE", "C4FM", true},
		{"PCW", "", "CW", "PCW", true},
		{"MFSK", "MFSK128L", "MFSK", "MFSK128L", true}, // the spec's missing comma
		{"PSK", "PSK125R", "PSK", "PSK125R", true},     // missing from submodes.csv
		{"OLIVIA", "olivia 8/250", "OLIVIA", "OLIVIA 8/250", true},
		{"DATA", "", "DATA", "", true}, // LoTW's non-ADIF mode
		{"data", "", "DATA", "", true},
		{"SSB", "FT4", "MFSK", "FT4", true}, // the submode names its parent
		{"XYZ", "", "", "", false},
		{"", "", "", "", false},
		{"MFSK", "FT2", "", "", false},
		{"XYZ", "FT4", "", "", false},
	} {
		m, s, ok := NormalizeMode(tc.mode, tc.sub)
		if m != tc.wantM || s != tc.wantS || ok != tc.ok {
			t.Errorf("NormalizeMode(%q, %q) = %q, %q, %v, want %q, %q, %v",
				tc.mode, tc.sub, m, s, ok, tc.wantM, tc.wantS, tc.ok)
		}
	}
	// Every mode and submode of the tables normalises.
	for _, d := range modes {
		if _, _, ok := NormalizeMode(d.name, ""); !ok {
			t.Errorf("NormalizeMode(%q, \"\") failed", d.name)
		}
		for _, s := range d.submodes {
			if m, got, ok := NormalizeMode(d.name, s); m != d.name || got != s || !ok {
				t.Errorf("NormalizeMode(%q, %q) = %q, %q, %v", d.name, s, m, got, ok)
			}
		}
	}
}

func TestModeGroupOf(t *testing.T) {
	const (
		cw    = awardtracker.ModeGroupCW
		phone = awardtracker.ModeGroupPhone
		data  = awardtracker.ModeGroupData
	)
	for _, tc := range []struct {
		mode, sub string
		want      awardtracker.ModeGroup
	}{
		{"CW", "", cw},
		{"PCW", "", cw},
		{"SSB", "", phone},
		{"SSB", "LSB", phone},
		{"USB", "", phone},
		{"AM", "", phone},
		{"FM", "", phone},
		{"DIGITALVOICE", "FREEDV", phone},
		{"DSTAR", "", phone},
		{"FT8", "", data},
		{"FT4", "", data},
		{"MFSK", "FT4", data},
		{"RTTY", "", data},
		{"PSK31", "", data},
		{"SSTV", "", data}, // LoTW's IMAGE group
		{"DATA", "", data},
		{"XYZ", "", data},
	} {
		if got := ModeGroupOf(tc.mode, tc.sub); got != tc.want {
			t.Errorf("ModeGroupOf(%q, %q) = %s, want %s", tc.mode, tc.sub, got, tc.want)
		}
	}
}
