package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/awardtracker/awardtracker/"

// allowed are the adapter-to-adapter imports of non-test code, each with
// its reason. Leaf helpers (adif's reader and reference tables, spool,
// redact) are shared on purpose; everything else talks through the domain.
var allowed = map[string]map[string]string{
	"pkg/api": {
		"pkg/adif": "band names in the QSO filter are the ADIF table's",
	},
	"pkg/award": {
		"pkg/adif": "the DXCC rules need the entity table (current or deleted)",
	},
	"pkg/gormstore": {
		"pkg/adif":  "statistics count deleted DXCC entities from the entity table",
		"pkg/perf":  "every query is timed by a perf.Tracker through GORM callbacks",
		"pkg/match": "imports decide each record with the one matching implementation",
	},
	"pkg/sqlite": {
		"pkg/gormstore": "the storage is gormstore's; sqlite supplies the engine (Dialect)",
		"pkg/perf":      "Options carry the perf.Tracker through to gormstore",
	},
	"pkg/sqlite/sqlitetest": {
		"pkg/sqlite": "it opens a throwaway SQLite database for other packages' tests",
	},
	"pkg/postgres": {
		"pkg/gormstore": "the storage is gormstore's; postgres supplies the engine (Dialect)",
		"pkg/redact":    "the URL's password must never reach an error message",
	},
	"pkg/gormstore/storetest": {
		"pkg/gormstore":     "the conformance suite tests gormstore's services on each engine",
		"pkg/adif":          "sample files are imported through the real ADIF reader",
		"pkg/adif/adiftest": "the sample files are the one copy the tests read",
		"pkg/award":         "statistics must agree with the DXCC award",
		"pkg/demo":          "the benchmarks import generated logs",
	},
	"pkg/lotw": {
		"pkg/adif":   "a LoTW report is ADIF",
		"pkg/spool":  "reports are spooled to disk before they are parsed",
		"pkg/redact": "the password must never reach an error message",
	},
	"pkg/dcl": {
		"pkg/adif":   "a DCL answer carries ADIF",
		"pkg/redact": "the key must never reach an error message",
	},
	"pkg/importer": {
		"pkg/adif":  "it parses uploads",
		"pkg/spool": "uploads are spooled to disk before they are parsed",
	},
	"pkg/demo": {
		"pkg/adif": "the generated log uses the ADIF mode, state and DXCC tables",
	},
	"pkg/syncer": {
		"pkg/secret": "stored credentials are sealed",
	},
	"pkg/lotw/lotwtest": {
		"pkg/adif":          "the fake LoTW writes ADIF",
		"pkg/adif/adiftest": "the sample report and LoTW's HTML answers are the one copy the tests read",
	},
	"pkg/dcl/dcltest": {
		"pkg/adif":          "the fake DCL writes ADIF",
		"pkg/adif/adiftest": "the sample answer is the one copy the tests read",
		"pkg/dcl":           "the fake decodes the client's own request type",
	},
}

type listedPackage struct {
	ImportPath string
	Imports    []string
}

// listPackages runs go list over the module, from its root.
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// TestImportGraph checks every non-test import between our packages.
func TestImportGraph(t *testing.T) {
	var bad []string
	sawDomain := false
	for _, p := range listPackages(t) {
		from, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok || !strings.HasPrefix(from, "pkg/") {
			continue // cmd/, internal/, bench/: the assembly may know everything
		}
		for _, imp := range p.Imports {
			to, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			switch {
			case from == "pkg/awardtracker":
				bad = append(bad, from+" -> "+to+": the domain imports nothing of ours")
			case to == "pkg/awardtracker":
			case !strings.HasPrefix(to, "pkg/"):
				bad = append(bad, from+" -> "+to+": pkg/ never imports the assembly")
			case allowed[from][to] == "":
				bad = append(bad, from+" -> "+to+": adapters talk through pkg/awardtracker (or add the edge, with its reason, to allowed)")
			}
		}
		sawDomain = sawDomain || from == "pkg/awardtracker"
	}
	if !sawDomain {
		t.Fatal("go list did not list pkg/awardtracker")
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

// TestImportGraph_AllowedEdgesExist keeps the allowed list from outliving
// the imports it excuses.
func TestImportGraph_AllowedEdgesExist(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			seen[strings.TrimPrefix(p.ImportPath, module)+" -> "+strings.TrimPrefix(imp, module)] = true
		}
	}
	for from, tos := range allowed {
		for to := range tos {
			if !seen[from+" -> "+to] {
				t.Errorf("allowed edge %s -> %s is not imported any more: remove it", from, to)
			}
		}
	}
}
