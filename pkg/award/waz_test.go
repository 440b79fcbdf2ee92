package award_test

import (
	"strconv"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// zonesFrom returns the zone numbers from..40 as strings.
func zonesFrom(from int) []string {
	out := []string{}
	for z := from; z <= 40; z++ {
		out = append(out, strconv.Itoa(z))
	}
	return out
}

func TestWAZ(t *testing.T) {
	var forty []awardtracker.AwardFact
	for z := 1; z <= 40; z++ {
		forty = append(forty, awardtracker.AwardFact{CQZone: z, Band: "15m", ModeGroup: "PHONE", LoTW: true, Latest: recent})
	}

	tests := []struct {
		name  string
		facts []awardtracker.AwardFact
		want  want
	}{
		{
			name: "confirmed and worked zones",
			facts: []awardtracker.AwardFact{
				{CQZone: 1, Band: "20m", ModeGroup: "CW", LoTW: true, Latest: recent},
				{CQZone: 1, Band: "40m", ModeGroup: "CW", Latest: recent},
				{CQZone: 2, Band: "40m", ModeGroup: "DATA", Latest: recent},
			},
			want: want{
				worked: 2, confirmed: 1, target: 40,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {"20m": c(1, 1), "40m": c(2, 0)},
					"modeGroup": modes(c(1, 1), c(0, 0), c(1, 0)),
				},
				needed: zonesFrom(2),
			},
		},
		{
			name: "zones outside 1-40 are ignored",
			facts: []awardtracker.AwardFact{
				{CQZone: 0, Band: "20m", LoTW: true, Latest: recent},
				{CQZone: 41, Band: "20m", LoTW: true, Latest: recent},
				{CQZone: -1, Band: "20m", LoTW: true, Latest: recent},
			},
			want: want{
				target: 40,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {},
					"modeGroup": modes(c(0, 0), c(0, 0), c(0, 0)),
				},
				needed: zonesFrom(1),
			},
		},
		{
			name: "DCL confirmation does not count",
			facts: []awardtracker.AwardFact{
				{CQZone: 14, Band: "20m", DCL: true, Latest: recent},
			},
			want: want{worked: 1, target: 40, needed: zonesFrom(1)},
		},
		{
			name:  "39 zones leave zone 40",
			facts: forty[:39],
			want:  want{worked: 39, confirmed: 39, target: 40, needed: []string{"40"}},
		},
		{
			name:  "40 confirmed zones complete the award",
			facts: forty,
			want:  want{worked: 40, confirmed: 40, target: 40, complete: true, needed: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, progressOf(t, awardtracker.AwardWAZ, tt.facts), tt.want)
		})
	}
}
