package award

import (
	"slices"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// dxccTarget is the basic DXCC award: 100 current entities (spec §4).
const dxccTarget = 100

// dxccStart is the first day DXCC credits contacts (spec §4, [S39]); the
// statistics count from it too.
var dxccStart = awardtracker.DXCCStart

// dxcc computes DX Century Club progress (spec §4 "DXCC", §3.6):
//
//   - An entity is a DXCC code > 0 that the ADIF enumeration knows; unknown
//     codes cannot be named or classed current/deleted, so ARRL could not
//     credit them either and they are skipped.
//   - Only facts whose newest QSO (Latest) is on or after 1945-11-15 count.
//     All QSOs of a fact share the entity, so one valid QSO is enough. A zero
//     Latest is before the cut-off and is skipped.
//   - Worked, Confirmed, the breakdowns and Needed count current entities
//     only, so that every figure compares with the target and with the 340
//     on the list. Confirmed deleted entities are listed in Deleted by name
//     and counted nowhere: the spec wants them apart, and whether they count
//     depends on the deletion date, which the facts do not carry.
//   - Confirmed means LoTW-confirmed: DXCC is ARRL's award.
//   - Needed holds every current entity not yet confirmed, sorted by name.
//     It is long (340 for a new user, about 5 KB of JSON) but is exactly the
//     list a DXer works from; a cap would hide the entities that are nearest
//     (worked, awaiting confirmation) as readily as any other, so no cap.
func dxcc(facts []awardtracker.AwardFact) awardtracker.AwardProgress {
	all := newTally[int]()
	by := newBreakdown[int](dimBand, dimModeGroup)
	by.seed(dimModeGroup, modeGroups...)
	deleted := map[int]string{}
	for i := range facts {
		f := &facts[i]
		if f.DXCC <= 0 || f.Latest.Before(dxccStart) {
			continue
		}
		e, ok := adif.DXCCEntity(f.DXCC)
		if !ok {
			continue
		}
		if e.Deleted {
			if f.LoTW {
				deleted[e.Code] = e.Name
			}
			continue
		}
		all.add(e.Code, f.LoTW)
		by.add(dimBand, band(f), e.Code, f.LoTW)
		by.add(dimModeGroup, modeGroup(f), e.Code, f.LoTW)
	}

	needed := []string{}
	for _, e := range adif.DXCCEntities() {
		if !e.Deleted && !all.isConfirmed(e.Code) {
			needed = append(needed, e.Name)
		}
	}
	slices.Sort(needed)

	p := progress(awardtracker.AwardDXCC, "DX Century Club", all.count(), dxccTarget, by.counts(), needed)
	if len(deleted) > 0 {
		p.Deleted = make([]string, 0, len(deleted))
		for _, name := range deleted {
			p.Deleted = append(p.Deleted, name)
		}
		slices.Sort(p.Deleted)
	}
	return p
}
