package award

import (
	"fmt"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// vuccBand is a band ARRL issues a VUCC for, and the grids its initial award
// needs (spec §4 "VUCC").
type vuccBand struct {
	name   string // canonical ADIF band name
	target int
}

// vuccBands lists, in ascending frequency, the ADIF bands from 6m up that
// ARRL has a VUCC for. ADIF's 5m and 4m are left out: neither is an amateur
// band ARRL awards VUCC on. Satellite QSOs count for Satellite VUCC
// (vuccSat) instead, never on the band they were logged on.
var vuccBands = []vuccBand{
	{"6m", 100},
	{"2m", 100},
	{"1.25m", 50},
	{"70cm", 50},
	{"33cm", 25},
	{"23cm", 25},
	{"13cm", 10},
	{"9cm", 5},
	{"6cm", 5},
	{"3cm", 5},
	{"1.25cm", 5},
	{"6mm", 5},
	{"4mm", 5},
	{"2.5mm", 5},
	{"2mm", 5},
	{"1mm", 5},
	{"submm", 5},
}

// dimBestBand names the band that VUCC's top-level figures describe.
const dimBestBand = "bestBand"

// vuccStart is the first day VUCC credits contacts (spec §4 "VUCC").
var vuccStart = time.Date(1983, 1, 1, 0, 0, 0, 0, time.UTC)

// vucc computes VHF/UHF Century Club progress (spec §4 "VUCC"):
//
//   - Each band is its own award (no crossband), counting distinct
//     4-character Maidenhead grids. Storage already cuts grids to four
//     upper-case characters; they are normalised again here and anything
//     that is not a valid field+square (AA00–RR99) is skipped. VUCC_GRIDS
//     (grid-line stations) are not in the facts, so only the main grid counts.
//   - Satellite QSOs (awardtracker.QSO.Satellite) do not count: ARRL credits
//     them to Satellite VUCC, not to the band of their uplink or downlink.
//   - Only facts whose newest QSO (Latest) is on or after 1983-01-01 count.
//   - Confirmed means LoTW-confirmed: VUCC is ARRL's award.
//   - A sum over bands would mean nothing (grids do not add across bands), so
//     Worked, Confirmed, Target and Complete are those of the best band: the
//     one whose confirmed grids are the largest share of its target, then the
//     largest share worked, then the lowest band. Breakdown["bestBand"] names
//     it. Complete therefore means "at least one VUCC earned".
//   - Breakdown["band"] has every VUCC band with a worked grid.
//   - Needed lists every band not yet complete, in frequency order, with what
//     it lacks ("6m: 37 more grids"): 17 short lines at most, and it shows a
//     user which band is nearest.
func vucc(facts []awardtracker.AwardFact) awardtracker.AwardProgress {
	perBand := make(map[string]*tally[string], len(vuccBands))
	for _, b := range vuccBands {
		perBand[b.name] = newTally[string]()
	}
	for i := range facts {
		f := &facts[i]
		if f.Satellite || f.Latest.Before(vuccStart) {
			continue
		}
		t, ok := perBand[band(f)]
		if !ok {
			continue
		}
		g, ok := grid4(f.Grid)
		if !ok {
			continue
		}
		t.add(g, f.LoTW)
	}

	bands := map[string]awardtracker.Count{}
	needed := []string{}
	best, bestCount := vuccBands[0], perBand[vuccBands[0].name].count()
	for _, b := range vuccBands {
		c := perBand[b.name].count()
		if c.Total > 0 {
			bands[b.name] = c
		}
		if lack := b.target - c.Confirmed; lack > 0 {
			unit := "grids"
			if lack == 1 {
				unit = "grid"
			}
			needed = append(needed, fmt.Sprintf("%s: %d more %s", b.name, lack, unit))
		}
		if closer(c, b.target, bestCount, best.target) {
			best, bestCount = b, c
		}
	}

	by := map[string]map[string]awardtracker.Count{
		dimBand:     bands,
		dimBestBand: {best.name: bestCount},
	}
	return progress(awardtracker.AwardVUCC, "VHF/UHF Century Club", bestCount, best.target, by, needed)
}

// vuccSatTarget is the grids Satellite VUCC's initial award needs.
const vuccSatTarget = 100

// vuccSat computes Satellite VUCC progress (spec §4 "VUCC"): distinct
// 4-character grids worked through a satellite, all bands together (a
// satellite QSO's uplink and downlink are on different bands anyway), from
// 1983-01-01, confirmed by LoTW. Breakdown["band"] shows the bands the QSOs
// were logged on, for information; Needed says how many grids are missing.
func vuccSat(facts []awardtracker.AwardFact) awardtracker.AwardProgress {
	all := newTally[string]()
	by := newBreakdown[string](dimBand)
	for i := range facts {
		f := &facts[i]
		if !f.Satellite || f.Latest.Before(vuccStart) {
			continue
		}
		g, ok := grid4(f.Grid)
		if !ok {
			continue
		}
		all.add(g, f.LoTW)
		by.add(dimBand, band(f), g, f.LoTW)
	}
	c := all.count()
	needed := []string{}
	if lack := vuccSatTarget - c.Confirmed; lack > 0 {
		unit := "grids"
		if lack == 1 {
			unit = "grid"
		}
		needed = append(needed, fmt.Sprintf("%d more %s", lack, unit))
	}
	return progress(awardtracker.AwardVUCCSat, "Satellite VUCC", c, vuccSatTarget, by.counts(), needed)
}

// closer reports whether a band with count c and target t is closer to its
// award than one with count bc and target bt. It compares shares by cross
// multiplication, which is exact where floats are not.
func closer(c awardtracker.Count, t int, bc awardtracker.Count, bt int) bool {
	if l, r := c.Confirmed*bt, bc.Confirmed*t; l != r {
		return l > r
	}
	return c.Total*bt > bc.Total*t
}

// grid4 returns the 4-character Maidenhead square of a locator of any case
// and length, and whether it is valid: field letters A–R, square digits.
func grid4(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 4 {
		return "", false
	}
	s = strings.ToUpper(s[:4])
	if s[0] < 'A' || s[0] > 'R' || s[1] < 'A' || s[1] > 'R' ||
		s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return "", false
	}
	return s, true
}
