package award_test

import (
	"fmt"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func TestDLD(t *testing.T) {
	var hundred []awardtracker.AwardFact
	for i := range 100 {
		hundred = append(hundred, awardtracker.AwardFact{DXCC: 230, DOK: fmt.Sprintf("X%02d", i), Band: "80m", DCL: true, Latest: recent})
	}

	tests := []struct {
		name  string
		facts []awardtracker.AwardFact
		want  want
	}{
		{
			name: "DCL-confirmed and worked DOKs",
			facts: []awardtracker.AwardFact{
				{DXCC: 230, DOK: "A01", Band: "80m", ModeGroup: "PHONE", DCL: true, Latest: recent},
				{DXCC: 230, DOK: "A01", Band: "40m", Latest: recent},
				{DXCC: 230, DOK: "B02", Band: "40m", Latest: recent},
			},
			want: want{
				worked: 2, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band": {"80m": c(1, 1), "40m": c(2, 0)},
				},
				needed: []string{},
			},
		},
		{
			name: "LoTW-only confirmation does not count",
			facts: []awardtracker.AwardFact{
				{DXCC: 230, DOK: "A01", Band: "20m", LoTW: true, Latest: recent},
			},
			want: want{
				worked: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{"band": {"20m": c(1, 0)}},
				needed:    []string{},
			},
		},
		{
			name: "DOKs compare case-insensitively, empty ones are ignored",
			facts: []awardtracker.AwardFact{
				{DXCC: 230, DOK: "a01", Band: "20m", DCL: true, Latest: recent},
				{DXCC: 230, DOK: " A01 ", Band: "20m", Latest: recent},
				{DXCC: 230, DOK: "", Band: "20m", DCL: true, Latest: recent},
				{DXCC: 230, DOK: "  ", Band: "20m", DCL: true, Latest: recent},
			},
			want: want{
				worked: 1, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{"band": {"20m": c(1, 1)}},
				needed:    []string{},
			},
		},
		{
			name:  "100 DCL-confirmed DOKs complete the award",
			facts: hundred,
			want: want{
				worked: 100, confirmed: 100, target: 100, complete: true,
				breakdown: map[string]map[string]awardtracker.Count{"band": {"80m": c(100, 100)}},
				needed:    []string{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, progressOf(t, awardtracker.AwardDLD, tt.facts), tt.want)
		})
	}
}
