package award_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// recent is a QSO date every award accepts.
var recent = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// want is what a table test expects of one award's progress.
type want struct {
	worked, confirmed, target int
	complete                  bool
	// breakdown, when non-nil, must equal the progress's breakdown.
	breakdown map[string]map[string]awardtracker.Count
	// needed, when non-nil, must equal Needed exactly; otherwise neededLen,
	// neededHas and neededNot check a long list.
	needed               []string
	neededLen            int
	neededHas, neededNot []string
	deleted              []string
}

func check(t *testing.T, got awardtracker.AwardProgress, w want) {
	t.Helper()
	if got.Worked != w.worked || got.Confirmed != w.confirmed || got.Target != w.target || got.Complete != w.complete {
		t.Errorf("worked/confirmed/target/complete = %d/%d/%d/%v, want %d/%d/%d/%v",
			got.Worked, got.Confirmed, got.Target, got.Complete, w.worked, w.confirmed, w.target, w.complete)
	}
	if w.breakdown != nil && !reflect.DeepEqual(got.Breakdown, w.breakdown) {
		t.Errorf("breakdown = %v, want %v", got.Breakdown, w.breakdown)
	}
	if got.Needed == nil {
		t.Errorf("needed is nil, want non-nil")
	}
	if w.needed != nil {
		if !slices.Equal(got.Needed, w.needed) {
			t.Errorf("needed = %q, want %q", got.Needed, w.needed)
		}
	} else if len(got.Needed) != w.neededLen {
		t.Errorf("len(needed) = %d, want %d", len(got.Needed), w.neededLen)
	}
	for _, n := range w.neededHas {
		if !slices.Contains(got.Needed, n) {
			t.Errorf("needed lacks %q, want it listed", n)
		}
	}
	for _, n := range w.neededNot {
		if slices.Contains(got.Needed, n) {
			t.Errorf("needed lists %q, want it absent", n)
		}
	}
	if !slices.Equal(got.Deleted, w.deleted) {
		t.Errorf("deleted = %q, want %q", got.Deleted, w.deleted)
	}
}

// modes is a "modeGroup" breakdown, which always holds all three groups.
func modes(cw, phone, data awardtracker.Count) map[string]awardtracker.Count {
	return map[string]awardtracker.Count{"CW": cw, "PHONE": phone, "DATA": data}
}

// c is a Count.
func c(total, confirmed int) awardtracker.Count {
	return awardtracker.Count{Total: total, Confirmed: confirmed}
}

func progressOf(t *testing.T, id string, facts []awardtracker.AwardFact) awardtracker.AwardProgress {
	t.Helper()
	p, err := award.Progress(id, facts)
	if err != nil {
		t.Fatalf("Progress(%q) error = %v, want nil", id, err)
	}
	if p.ID != id {
		t.Fatalf("Progress(%q).ID = %q, want %q", id, p.ID, id)
	}
	return p
}

func TestProgress_EveryAwardID(t *testing.T) {
	for _, id := range awardtracker.AwardIDs {
		t.Run(id, func(t *testing.T) {
			p := progressOf(t, id, nil)
			if p.Name == "" || p.Target <= 0 {
				t.Errorf("name/target = %q/%d, want a name and a positive target", p.Name, p.Target)
			}
			if p.Breakdown == nil {
				t.Fatal("breakdown is nil, want non-nil")
			}
			for dim, m := range p.Breakdown {
				if m == nil {
					t.Errorf("breakdown[%q] is nil, want non-nil", dim)
				}
			}
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if s := string(b); strings.Contains(s, "null") || !strings.Contains(s, `"needed":[`) {
				t.Errorf("JSON = %s, want no null and needed as an array", s)
			}
		})
	}
}

func TestProgress_ErrNotFound(t *testing.T) {
	for _, id := range []string{"", "wae", "DXCC"} {
		_, err := award.Progress(id, nil)
		if got := awardtracker.ErrorCode(err); got != awardtracker.ENOTFOUND {
			t.Errorf("Progress(%q) error code = %q (%v), want %q", id, got, err, awardtracker.ENOTFOUND)
		}
	}
}

func TestAll(t *testing.T) {
	facts := benchFacts(500)
	got := award.All(facts)
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, awardtracker.AwardIDs) {
		t.Fatalf("ids = %q, want %q", ids, awardtracker.AwardIDs)
	}
	for i, id := range awardtracker.AwardIDs {
		p, err := award.Progress(id, facts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], p) {
			t.Errorf("All()[%d] = %+v, want Progress(%q) = %+v", i, got[i], id, p)
		}
	}
}

// TestAll_ZeroFacts: a user without QSOs has nothing worked and needs
// everything.
func TestAll_ZeroFacts(t *testing.T) {
	current := 0
	for _, e := range adif.DXCCEntities() {
		if !e.Deleted {
			current++
		}
	}
	if current != 340 {
		t.Errorf("adif lists %d current entities, want 340 (spec §3.6)", current)
	}
	neededLen := map[string]int{
		awardtracker.AwardDXCC:    current,
		awardtracker.AwardWAS:     50,
		awardtracker.AwardWAZ:     40,
		awardtracker.AwardVUCC:    17,
		awardtracker.AwardVUCCSat: 1,
		awardtracker.AwardDLD:     0,
	}
	for _, facts := range [][]awardtracker.AwardFact{nil, {}} {
		for _, p := range award.All(facts) {
			if p.Worked != 0 || p.Confirmed != 0 || p.Complete {
				t.Errorf("%s: worked/confirmed/complete = %d/%d/%v, want 0/0/false", p.ID, p.Worked, p.Confirmed, p.Complete)
			}
			if len(p.Needed) != neededLen[p.ID] || p.Needed == nil {
				t.Errorf("%s: len(needed) = %d, want %d", p.ID, len(p.Needed), neededLen[p.ID])
			}
			if p.Deleted != nil {
				t.Errorf("%s: deleted = %q, want nil", p.ID, p.Deleted)
			}
		}
	}
}

// benchFacts returns n facts spread over entities, bands, modes, states,
// zones, grids and DOKs the way a large log might be, always the same ones.
func benchFacts(n int) []awardtracker.AwardFact {
	r := rand.New(rand.NewPCG(1, 2))
	entities := adif.DXCCEntities()
	states := adif.USStates()
	bands := []string{"160m", "80m", "40m", "30m", "20m", "17m", "15m", "12m", "10m", "6m", "2m", "70cm", "23cm"}
	groups := []awardtracker.ModeGroup{awardtracker.ModeGroupCW, awardtracker.ModeGroupPhone, awardtracker.ModeGroupData}
	facts := make([]awardtracker.AwardFact, n)
	for i := range facts {
		f := awardtracker.AwardFact{
			DXCC:      entities[r.IntN(len(entities))].Code,
			Band:      bands[r.IntN(len(bands))],
			ModeGroup: groups[r.IntN(len(groups))],
			CQZone:    1 + r.IntN(40),
			Grid:      fmt.Sprintf("%c%c%02d", 'A'+r.IntN(18), 'A'+r.IntN(18), r.IntN(100)),
			LoTW:      r.IntN(2) == 0,
			DCL:       r.IntN(3) == 0,
			Latest:    time.Date(1980+r.IntN(46), 1, 1, 0, 0, 0, 0, time.UTC),
			QSOs:      1 + r.IntN(5),
		}
		switch r.IntN(4) {
		case 0:
			f.DXCC = 291
			f.State = states[r.IntN(len(states))].Code
		case 1:
			f.DXCC = 230
			f.DOK = fmt.Sprintf("%c%02d", 'A'+r.IntN(26), r.IntN(60))
		}
		facts[i] = f
	}
	return facts
}

func BenchmarkAll(b *testing.B) {
	facts := benchFacts(5000)
	b.ReportAllocs()
	for b.Loop() {
		award.All(facts)
	}
}
