package award_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// vuccAllNeeded is VUCC's Needed for a user without QSOs.
var vuccAllNeeded = []string{
	"6m: 100 more grids", "2m: 100 more grids", "1.25m: 50 more grids", "70cm: 50 more grids",
	"33cm: 25 more grids", "23cm: 25 more grids", "13cm: 10 more grids", "9cm: 5 more grids",
	"6cm: 5 more grids", "3cm: 5 more grids", "1.25cm: 5 more grids", "6mm: 5 more grids",
	"4mm: 5 more grids", "2.5mm: 5 more grids", "2mm: 5 more grids", "1mm: 5 more grids",
	"submm: 5 more grids",
}

// vuccNeeded returns vuccAllNeeded with some bands' lines replaced, or removed
// where the replacement is "".
func vuccNeeded(lines map[string]string) []string {
	out := []string{}
	for _, l := range vuccAllNeeded {
		b, _, _ := strings.Cut(l, ":")
		r, ok := lines[b]
		switch {
		case !ok:
			out = append(out, l)
		case r != "":
			out = append(out, r)
		}
	}
	return out
}

// gridFacts returns n facts with distinct grids on band.
func gridFacts(band string, n int, lotw bool) []awardtracker.AwardFact {
	var out []awardtracker.AwardFact
	for i := range n {
		out = append(out, awardtracker.AwardFact{Band: band, Grid: fmt.Sprintf("J%c%02d", 'A'+i/100, i%100), ModeGroup: "DATA", LoTW: lotw, Latest: recent})
	}
	return out
}

func TestVUCC(t *testing.T) {
	tests := []struct {
		name  string
		facts []awardtracker.AwardFact
		want  want
	}{
		{
			name: "grids are normalised to 4 upper-case characters",
			facts: []awardtracker.AwardFact{
				{Band: "2m", Grid: "jo62qm", LoTW: true, Latest: recent},
				{Band: "2M", Grid: "JO62", Latest: recent},
				{Band: "2m", Grid: " Jo62Qm12 ", Latest: recent},
				{Band: "2m", Grid: "JN58", Latest: recent},
			},
			want: want{
				worked: 2, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"2m": c(2, 1)},
					"bestBand": {"2m": c(2, 1)},
				},
				needed: vuccNeeded(map[string]string{"2m": "2m: 99 more grids"}),
			},
		},
		{
			name: "invalid grids are ignored",
			facts: []awardtracker.AwardFact{
				{Band: "6m", Grid: "", LoTW: true, Latest: recent},
				{Band: "6m", Grid: "JO6", LoTW: true, Latest: recent},
				{Band: "6m", Grid: "ZZ99", LoTW: true, Latest: recent},
				{Band: "6m", Grid: "J062", LoTW: true, Latest: recent},
				{Band: "6m", Grid: "JOAB", LoTW: true, Latest: recent},
			},
			want: want{
				target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {},
					"bestBand": {"6m": c(0, 0)},
				},
				needed: vuccAllNeeded,
			},
		},
		{
			name: "bands below 6m, 4m, 5m and unknown bands are ignored",
			facts: []awardtracker.AwardFact{
				{Band: "10m", Grid: "JO62", LoTW: true, Latest: recent},
				{Band: "8m", Grid: "JO62", LoTW: true, Latest: recent},
				{Band: "5m", Grid: "JO62", LoTW: true, Latest: recent},
				{Band: "4m", Grid: "JO62", LoTW: true, Latest: recent},
				{Band: "", Grid: "JO62", LoTW: true, Latest: recent},
				{Band: "sat", Grid: "JO62", LoTW: true, Latest: recent},
			},
			want: want{
				target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {},
					"bestBand": {"6m": c(0, 0)},
				},
				needed: vuccAllNeeded,
			},
		},
		{
			name: "QSOs before 1983 are ignored",
			facts: []awardtracker.AwardFact{
				{Band: "6m", Grid: "JO62", LoTW: true, Latest: time.Date(1982, 12, 31, 23, 59, 59, 0, time.UTC)},
				{Band: "6m", Grid: "JO63", LoTW: true, Latest: time.Date(1983, 1, 1, 0, 0, 0, 0, time.UTC)},
			},
			want: want{
				worked: 1, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"6m": c(1, 1)},
					"bestBand": {"6m": c(1, 1)},
				},
				needed: vuccNeeded(map[string]string{"6m": "6m: 99 more grids"}),
			},
		},
		{
			name: "DCL confirmation does not count",
			facts: []awardtracker.AwardFact{
				{Band: "2m", Grid: "JO62", DCL: true, Latest: recent},
			},
			want: want{
				worked: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"2m": c(1, 0)},
					"bestBand": {"2m": c(1, 0)},
				},
				needed: vuccAllNeeded,
			},
		},
		{
			name:  "best band is the largest share of its target",
			facts: append(gridFacts("6m", 10, true), gridFacts("13cm", 9, true)...),
			want: want{
				worked: 9, confirmed: 9, target: 10,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"6m": c(10, 10), "13cm": c(9, 9)},
					"bestBand": {"13cm": c(9, 9)},
				},
				needed: vuccNeeded(map[string]string{"6m": "6m: 90 more grids", "13cm": "13cm: 1 more grid"}),
			},
		},
		{
			name:  "equal confirmed shares: more worked wins",
			facts: append(gridFacts("6m", 3, false), gridFacts("70cm", 2, false)...),
			want: want{
				worked: 2, target: 50,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"6m": c(3, 0), "70cm": c(2, 0)},
					"bestBand": {"70cm": c(2, 0)},
				},
				needed: vuccAllNeeded,
			},
		},
		{
			name:  "equal shares: lower band wins",
			facts: append(gridFacts("2m", 4, true), gridFacts("6m", 4, true)...),
			want: want{
				worked: 4, confirmed: 4, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"6m": c(4, 4), "2m": c(4, 4)},
					"bestBand": {"6m": c(4, 4)},
				},
				needed: vuccNeeded(map[string]string{"6m": "6m: 96 more grids", "2m": "2m: 96 more grids"}),
			},
		},
		{
			name:  "a complete band completes the award and leaves Needed",
			facts: append(gridFacts("23cm", 25, true), gridFacts("2m", 99, true)...),
			want: want{
				worked: 25, confirmed: 25, target: 25, complete: true,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"2m": c(99, 99), "23cm": c(25, 25)},
					"bestBand": {"23cm": c(25, 25)},
				},
				needed: vuccNeeded(map[string]string{"2m": "2m: 1 more grid", "23cm": ""}),
			},
		},
		{
			name: "satellite QSOs do not count on their band",
			facts: []awardtracker.AwardFact{
				{Band: "13cm", Grid: "KO85", Satellite: true, LoTW: true, Latest: recent},
				{Band: "2m", Grid: "JO62", Satellite: true, LoTW: true, Latest: recent},
				{Band: "2m", Grid: "JO63", LoTW: true, Latest: recent},
			},
			want: want{
				worked: 1, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"2m": c(1, 1)},
					"bestBand": {"2m": c(1, 1)},
				},
				needed: vuccNeeded(map[string]string{"2m": "2m: 99 more grids"}),
			},
		},
		{
			name:  "100 grids on 6m",
			facts: gridFacts("6m", 100, true),
			want: want{
				worked: 100, confirmed: 100, target: 100, complete: true,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":     {"6m": c(100, 100)},
					"bestBand": {"6m": c(100, 100)},
				},
				needed: vuccNeeded(map[string]string{"6m": ""}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, progressOf(t, awardtracker.AwardVUCC, tt.facts), tt.want)
		})
	}
}

// satFacts returns n satellite facts with distinct grids on band.
func satFacts(band string, n int, lotw bool) []awardtracker.AwardFact {
	out := gridFacts(band, n, lotw)
	for i := range out {
		out[i].Satellite = true
	}
	return out
}

func TestVUCCSat(t *testing.T) {
	tests := []struct {
		name  string
		facts []awardtracker.AwardFact
		want  want
	}{
		{
			name: "only satellite QSOs count, all bands together",
			facts: []awardtracker.AwardFact{
				{Band: "13cm", Grid: "KO85", Satellite: true, LoTW: true, Latest: recent},
				{Band: "70cm", Grid: "ko85ab", Satellite: true, Latest: recent},
				{Band: "2m", Grid: "JO62", Satellite: true, Latest: recent},
				{Band: "2m", Grid: "JO63", LoTW: true, Latest: recent},
			},
			want: want{
				worked: 2, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band": {"13cm": c(1, 1), "70cm": c(1, 0), "2m": c(1, 0)},
				},
				needed: []string{"99 more grids"},
			},
		},
		{
			name: "before 1983, invalid grids and DCL confirmations do not count",
			facts: []awardtracker.AwardFact{
				{Band: "2m", Grid: "JO62", Satellite: true, LoTW: true, Latest: time.Date(1982, 12, 31, 0, 0, 0, 0, time.UTC)},
				{Band: "2m", Grid: "ZZ99", Satellite: true, LoTW: true, Latest: recent},
				{Band: "2m", Grid: "JO64", Satellite: true, DCL: true, Latest: recent},
			},
			want: want{
				worked: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{"band": {"2m": c(1, 0)}},
				needed:    []string{"100 more grids"},
			},
		},
		{
			name:  "99 grids: one more",
			facts: satFacts("13cm", 99, true),
			want: want{
				worked: 99, confirmed: 99, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{"band": {"13cm": c(99, 99)}},
				needed:    []string{"1 more grid"},
			},
		},
		{
			name:  "100 grids over two bands complete it",
			facts: append(satFacts("13cm", 60, true), satFacts("70cm", 100, true)[60:]...),
			want: want{
				worked: 100, confirmed: 100, target: 100, complete: true,
				breakdown: map[string]map[string]awardtracker.Count{"band": {"13cm": c(60, 60), "70cm": c(40, 40)}},
				needed:    []string{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, progressOf(t, awardtracker.AwardVUCCSat, tt.facts), tt.want)
		})
	}
}
