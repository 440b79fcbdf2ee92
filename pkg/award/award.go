// Package award computes a user's progress towards the awards the service
// tracks (ARRL DXCC, WAS, VUCC and Satellite VUCC, CQ WAZ and DARC's DLD) as pure functions
// over awardtracker.AwardFact, plus a Service that loads the facts from a
// QSOService.
//
// The rules follow the project spec lotw-dcl-adif.md, §4 (award rules) and
// §3.6 (DXCC entity codes); each award's file says how and where it departs
// from or fills in the spec. What counts as a confirmation is decided by who
// issues the award: ARRL (DXCC, WAS, VUCC) and CQ (WAZ) accept LoTW, so those
// count fact.LoTW; DARC's DLD is confirmed through DCL, so it counts fact.DCL.
// "Worked" always counts every QSO, confirmed or not.
//
// The package does not read QSOs, cache results, or know award-specific
// details that the facts do not carry: no VUCC_GRIDS, no LoTW "2xQSL" flag
// (so no two-way mode WAS), no deletion dates of DXCC entities and no DOK
// validity windows. It reports progress; it does not
// decide what ARRL, CQ or DARC will finally credit.
package award

import (
	"slices"
	"strings"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Breakdown dimensions, shared by every award so that clients can render them
// alike.
const (
	dimBand      = "band"
	dimModeGroup = "modeGroup"
)

// modeGroups are seeded into every "modeGroup" breakdown so that a client
// always sees all three groups, with zero counts where nothing was worked.
var modeGroups = []string{
	string(awardtracker.ModeGroupCW),
	string(awardtracker.ModeGroupPhone),
	string(awardtracker.ModeGroupData),
}

// rules maps award ids to their rule.
var rules = map[string]func([]awardtracker.AwardFact) awardtracker.AwardProgress{
	awardtracker.AwardDXCC:    dxcc,
	awardtracker.AwardWAS:     was,
	awardtracker.AwardWAZ:     waz,
	awardtracker.AwardVUCC:    vucc,
	awardtracker.AwardVUCCSat: vuccSat,
	awardtracker.AwardDLD:     dld,
}

// Progress computes the progress of one award over a user's facts. It returns
// ENOTFOUND for an id that is not in awardtracker.AwardIDs.
func Progress(id string, facts []awardtracker.AwardFact) (awardtracker.AwardProgress, error) {
	rule, ok := rules[id]
	if !ok {
		return awardtracker.AwardProgress{}, awardtracker.Errorf(awardtracker.ENOTFOUND, "unknown award %q", id)
	}
	return rule(facts), nil
}

// All computes every tracked award over a user's facts, in
// awardtracker.AwardIDs order.
func All(facts []awardtracker.AwardFact) []awardtracker.AwardProgress {
	out := make([]awardtracker.AwardProgress, 0, len(awardtracker.AwardIDs))
	for _, id := range awardtracker.AwardIDs {
		// A tracked id without a rule is a programming error that
		// TestAll_EveryAwardID catches; skipping keeps the rest visible.
		if rule, ok := rules[id]; ok {
			out = append(out, rule(facts))
		}
	}
	return out
}

// tally counts distinct keys (entities, states, zones, grids, DOKs) worked and
// confirmed.
type tally[K comparable] struct {
	worked    map[K]struct{}
	confirmed map[K]struct{}
}

func newTally[K comparable]() *tally[K] {
	return &tally[K]{worked: map[K]struct{}{}, confirmed: map[K]struct{}{}}
}

func (t *tally[K]) add(k K, confirmed bool) {
	t.worked[k] = struct{}{}
	if confirmed {
		t.confirmed[k] = struct{}{}
	}
}

func (t *tally[K]) isConfirmed(k K) bool {
	_, ok := t.confirmed[k]
	return ok
}

func (t *tally[K]) count() awardtracker.Count {
	return awardtracker.Count{Total: len(t.worked), Confirmed: len(t.confirmed)}
}

// breakdown holds one tally per dimension and value, e.g. "band" → "20m".
type breakdown[K comparable] map[string]map[string]*tally[K]

// newBreakdown returns a breakdown with every dimension present, so that the
// JSON of an empty dimension is {} rather than missing.
func newBreakdown[K comparable](dims ...string) breakdown[K] {
	b := make(breakdown[K], len(dims))
	for _, d := range dims {
		b[d] = map[string]*tally[K]{}
	}
	return b
}

// seed adds empty tallies for values that must appear even when unworked.
func (b breakdown[K]) seed(dim string, values ...string) {
	for _, v := range values {
		b[dim][v] = newTally[K]()
	}
}

// add counts k under dim/value; an empty value (unknown band or mode group)
// is left out of the breakdown but still counts in the award's totals.
func (b breakdown[K]) add(dim, value string, k K, confirmed bool) {
	if value == "" {
		return
	}
	t, ok := b[dim][value]
	if !ok {
		t = newTally[K]()
		b[dim][value] = t
	}
	t.add(k, confirmed)
}

func (b breakdown[K]) counts() map[string]map[string]awardtracker.Count {
	out := make(map[string]map[string]awardtracker.Count, len(b))
	for dim, values := range b {
		m := make(map[string]awardtracker.Count, len(values))
		for v, t := range values {
			m[v] = t.count()
		}
		out[dim] = m
	}
	return out
}

// progress assembles an award's result; needed must be non-nil so that its
// JSON is [] rather than null.
func progress(id, name string, c awardtracker.Count, target int, by map[string]map[string]awardtracker.Count, needed []string) awardtracker.AwardProgress {
	return awardtracker.AwardProgress{
		ID:        id,
		Name:      name,
		Worked:    c.Total,
		Confirmed: c.Confirmed,
		Target:    target,
		Complete:  c.Confirmed >= target,
		Breakdown: by,
		Needed:    needed,
	}
}

// canonicalBands holds the ADIF band names, so that the usual case (storage
// already stores canonical lower-case bands) costs one map look-up instead of
// adif.NormalizeBand's case-folding scan: it was a quarter of BenchmarkAll.
var canonicalBands = func() map[string]bool {
	m := map[string]bool{}
	for _, b := range adif.Bands() {
		m[b.Name] = true
	}
	return m
}()

// band returns the fact's canonical band, or "" for a band ADIF does not
// know. It guards the breakdowns' keys against anything storage lets
// through, so they stay a bounded set.
func band(f *awardtracker.AwardFact) string {
	if canonicalBands[f.Band] {
		return f.Band
	}
	b, _ := adif.NormalizeBand(f.Band)
	return b
}

// modeGroup returns the fact's mode group, or "" for anything but the three
// LoTW groups.
func modeGroup(f *awardtracker.AwardFact) string {
	g := strings.ToUpper(strings.TrimSpace(string(f.ModeGroup)))
	if slices.Contains(modeGroups, g) {
		return g
	}
	return ""
}
