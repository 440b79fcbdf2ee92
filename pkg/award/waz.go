package award

import (
	"strconv"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// wazZones is the number of CQ zones, all of which WAZ needs (spec §4 "WAZ").
const wazZones = 40

// waz computes CQ Worked All Zones progress (spec §4 "WAZ"):
//
//   - A fact counts for its CQ zone when the zone is 1–40; 0 (unknown) and
//     anything else are skipped.
//   - Confirmed means LoTW-confirmed: CQ accepts LoTW for WAZ. The spec notes
//     that LoTW may infer a zone from the entity (APP_LoTW_CQZ_Inferred) and
//     that some programs then refuse credit; the facts do not say which zones
//     were inferred, so every zone counts.
//   - No date rule: the spec gives none for WAZ.
//   - Needed is the zone numbers not yet confirmed, in ascending order.
func waz(facts []awardtracker.AwardFact) awardtracker.AwardProgress {
	all := newTally[int]()
	by := newBreakdown[int](dimBand, dimModeGroup)
	by.seed(dimModeGroup, modeGroups...)
	for i := range facts {
		f := &facts[i]
		if f.CQZone < 1 || f.CQZone > wazZones {
			continue
		}
		all.add(f.CQZone, f.LoTW)
		by.add(dimBand, band(f), f.CQZone, f.LoTW)
		by.add(dimModeGroup, modeGroup(f), f.CQZone, f.LoTW)
	}

	needed := []string{}
	for z := 1; z <= wazZones; z++ {
		if !all.isConfirmed(z) {
			needed = append(needed, strconv.Itoa(z))
		}
	}
	return progress(awardtracker.AwardWAZ, "Worked All Zones", all.count(), wazZones, by.counts(), needed)
}
