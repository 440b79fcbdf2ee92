package award

import (
	"slices"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// wasTarget is every one of the 50 states (spec §4 "WAS").
const wasTarget = 50

// was computes Worked All States progress (spec §4 "WAS"):
//
//   - A fact counts for a state when adif.WASState accepts its STATE and
//     DXCC: one of the 50 states, with DC counted as MD, and DXCC 291, 6 or
//     110 only. A US QSO without a STATE cannot be credited (LoTW gives WAS
//     credit only when the partner's location has one) and is skipped.
//   - Confirmed means LoTW-confirmed: WAS is ARRL's award.
//   - No date rule: the spec gives none for WAS.
//   - The "modeGroup" breakdown gives the basis of the Phone/CW/Digital
//     endorsements, but not the two-way same-mode rule (APP_LoTW_2xQSL),
//     which the facts do not carry.
//   - Needed is the codes of the states not yet confirmed, sorted.
func was(facts []awardtracker.AwardFact) awardtracker.AwardProgress {
	all := newTally[string]()
	by := newBreakdown[string](dimBand, dimModeGroup)
	by.seed(dimModeGroup, modeGroups...)
	for i := range facts {
		f := &facts[i]
		state, ok := adif.WASState(f.State, f.DXCC)
		if !ok {
			continue
		}
		all.add(state, f.LoTW)
		by.add(dimBand, band(f), state, f.LoTW)
		by.add(dimModeGroup, modeGroup(f), state, f.LoTW)
	}

	needed := []string{}
	for _, s := range adif.USStates() {
		if !all.isConfirmed(s.Code) {
			needed = append(needed, s.Code)
		}
	}
	slices.Sort(needed)
	return progress(awardtracker.AwardWAS, "Worked All States", all.count(), wasTarget, by.counts(), needed)
}
