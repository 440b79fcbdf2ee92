package award_test

import (
	"slices"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// statesExcept returns the 50 state codes without the given ones.
func statesExcept(codes ...string) []string {
	var out []string
	for _, s := range adif.USStates() {
		if !slices.Contains(codes, s.Code) {
			out = append(out, s.Code)
		}
	}
	return out
}

func TestWAS(t *testing.T) {
	var fifty []awardtracker.AwardFact
	for _, s := range adif.USStates() {
		fifty = append(fifty, awardtracker.AwardFact{DXCC: s.DXCC, State: s.Code, Band: "20m", ModeGroup: "CW", LoTW: true, Latest: recent})
	}

	tests := []struct {
		name  string
		facts []awardtracker.AwardFact
		want  want
	}{
		{
			name: "confirmed and worked states",
			facts: []awardtracker.AwardFact{
				{DXCC: 291, State: "NY", Band: "20m", ModeGroup: "CW", LoTW: true, Latest: recent},
				{DXCC: 291, State: "NY", Band: "40m", ModeGroup: "PHONE", Latest: recent},
				{DXCC: 291, State: "TX", Band: "40m", ModeGroup: "DATA", Latest: recent},
			},
			want: want{
				worked: 2, confirmed: 1, target: 50,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {"20m": c(1, 1), "40m": c(2, 0)},
					"modeGroup": modes(c(1, 1), c(1, 0), c(1, 0)),
				},
				needed: statesExcept("NY"),
			},
		},
		{
			name: "DC counts as Maryland",
			facts: []awardtracker.AwardFact{
				{DXCC: 291, State: "DC", Band: "20m", ModeGroup: "CW", LoTW: true, Latest: recent},
				{DXCC: 291, State: "MD", Band: "20m", ModeGroup: "CW", Latest: recent},
			},
			want: want{
				worked: 1, confirmed: 1, target: 50,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {"20m": c(1, 1)},
					"modeGroup": modes(c(1, 1), c(0, 0), c(0, 0)),
				},
				needed: statesExcept("MD"),
			},
		},
		{
			name: "Alaska and Hawaii count, case and spaces do not matter",
			facts: []awardtracker.AwardFact{
				{DXCC: 6, State: "ak", Band: "20m", LoTW: true, Latest: recent},
				{DXCC: 110, State: " HI ", Band: "20m", LoTW: true, Latest: recent},
			},
			want: want{worked: 2, confirmed: 2, target: 50, needed: statesExcept("AK", "HI")},
		},
		{
			name: "US entity without a state is ignored",
			facts: []awardtracker.AwardFact{
				{DXCC: 291, Band: "20m", ModeGroup: "CW", LoTW: true, Latest: recent},
			},
			want: want{
				target: 50,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {},
					"modeGroup": modes(c(0, 0), c(0, 0), c(0, 0)),
				},
				needed: statesExcept(),
			},
		},
		{
			name: "states outside the USA, Alaska and Hawaii are ignored",
			facts: []awardtracker.AwardFact{
				{DXCC: 1, State: "ON", Band: "20m", LoTW: true, Latest: recent},   // Ontario
				{DXCC: 1, State: "NY", Band: "20m", LoTW: true, Latest: recent},   // wrong entity
				{DXCC: 291, State: "PR", Band: "20m", LoTW: true, Latest: recent}, // not a state
				{DXCC: 291, State: "XX", Band: "20m", LoTW: true, Latest: recent},
			},
			want: want{target: 50, needed: statesExcept()},
		},
		{
			name: "DCL confirmation does not count",
			facts: []awardtracker.AwardFact{
				{DXCC: 291, State: "NY", Band: "20m", DCL: true, Latest: recent},
			},
			want: want{worked: 1, target: 50, needed: statesExcept()},
		},
		{
			name:  "50 confirmed states complete the award",
			facts: fifty,
			want:  want{worked: 50, confirmed: 50, target: 50, complete: true, needed: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, progressOf(t, awardtracker.AwardWAS, tt.facts), tt.want)
		})
	}
}
