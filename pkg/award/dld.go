package award

import (
	"strings"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// dldTarget is the first DLD level (spec §4 "DLD": levels are commonly
// 100/200/... DOKs).
const dldTarget = 100

// dld computes Deutschland-Diplom progress (spec §4 "DLD"):
//
//   - A DOK is a non-empty DARC_DOK, compared case-insensitively (DOKs are
//     letters and digits, e.g. "A01").
//   - Confirmed means DCL-confirmed: DARC confirms DOKs through DCL, and a
//     LoTW confirmation says nothing about the DOK.
//   - Worked counts DOKs on any QSO.
//   - The spec leaves the exact rules open (Sonder-DOKs, band and mode
//     classes, DOK validity dates), so every DOK counts, on any band, at any
//     date, whatever the QSO's DXCC entity. Only the "band" breakdown is
//     given, for the per-band levels the spec mentions.
//   - Needed is always empty: there is no public list of valid DOKs to diff
//     against (and DOKs come and go, spec [S45]).
func dld(facts []awardtracker.AwardFact) awardtracker.AwardProgress {
	all := newTally[string]()
	by := newBreakdown[string](dimBand)
	for i := range facts {
		f := &facts[i]
		dok := strings.ToUpper(strings.TrimSpace(f.DOK))
		if dok == "" {
			continue
		}
		all.add(dok, f.DCL)
		by.add(dimBand, band(f), dok, f.DCL)
	}
	return progress(awardtracker.AwardDLD, "Deutschland-Diplom", all.count(), dldTarget, by.counts(), []string{})
}
