package award_test

import (
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// entityName returns the ADIF name of a DXCC code, so that tests do not copy
// the table's spelling.
func entityName(t *testing.T, code int) string {
	t.Helper()
	e, ok := adif.DXCCEntity(code)
	if !ok {
		t.Fatalf("adif.DXCCEntity(%d) not found", code)
	}
	return e.Name
}

// currentEntities returns the codes of the first n current entities.
func currentEntities(n int) []int {
	var codes []int
	for _, e := range adif.DXCCEntities() {
		if !e.Deleted && len(codes) < n {
			codes = append(codes, e.Code)
		}
	}
	return codes
}

func TestDXCC(t *testing.T) {
	const (
		canada  = 1
		germany = 230 // Federal Republic of Germany, current
		usa     = 291
		oldDL   = 81 // Germany, deleted
	)
	all := len(currentEntities(1000))
	dl, us, ve, old := entityName(t, germany), entityName(t, usa), entityName(t, canada), entityName(t, oldDL)
	var hundred []awardtracker.AwardFact
	for _, code := range currentEntities(100) {
		hundred = append(hundred, awardtracker.AwardFact{DXCC: code, Band: "20m", ModeGroup: "DATA", LoTW: true, Latest: recent})
	}

	tests := []struct {
		name  string
		facts []awardtracker.AwardFact
		want  want
	}{
		{
			name: "confirmed and worked entities",
			facts: []awardtracker.AwardFact{
				{DXCC: germany, Band: "20m", ModeGroup: "CW", LoTW: true, Latest: recent, QSOs: 3},
				{DXCC: germany, Band: "20m", ModeGroup: "CW", Latest: recent},
				{DXCC: usa, Band: "40m", ModeGroup: "PHONE", Latest: recent},
			},
			want: want{
				worked: 2, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {"20m": c(1, 1), "40m": c(1, 0)},
					"modeGroup": modes(c(1, 1), c(1, 0), c(0, 0)),
				},
				neededLen: all - 1, neededHas: []string{us, ve}, neededNot: []string{dl},
			},
		},
		{
			name: "band and mode group split, totals distinct",
			facts: []awardtracker.AwardFact{
				{DXCC: germany, Band: "20M", ModeGroup: "data", LoTW: true, Latest: recent},
				{DXCC: germany, Band: "40m", ModeGroup: "CW", Latest: recent},
				{DXCC: germany, Band: "2190m", ModeGroup: "CW", Latest: recent},
			},
			want: want{
				worked: 1, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {"20m": c(1, 1), "40m": c(1, 0), "2190m": c(1, 0)},
					"modeGroup": modes(c(1, 0), c(0, 0), c(1, 1)),
				},
				neededLen: all - 1, neededNot: []string{dl},
			},
		},
		{
			name: "unknown band and mode group count only in totals",
			facts: []awardtracker.AwardFact{
				{DXCC: germany, Band: "11m", ModeGroup: "IMAGE", LoTW: true, Latest: recent},
				{DXCC: usa, Latest: recent},
			},
			want: want{
				worked: 2, confirmed: 1, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {},
					"modeGroup": modes(c(0, 0), c(0, 0), c(0, 0)),
				},
				neededLen: all - 1,
			},
		},
		{
			name: "confirmed deleted entity is listed apart and not counted",
			facts: []awardtracker.AwardFact{
				{DXCC: oldDL, Band: "20m", ModeGroup: "CW", LoTW: true, Latest: recent},
				{DXCC: germany, Band: "20m", ModeGroup: "CW", Latest: recent},
			},
			want: want{
				worked: 1, confirmed: 0, target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {"20m": c(1, 0)},
					"modeGroup": modes(c(1, 0), c(0, 0), c(0, 0)),
				},
				neededLen: all, neededNot: []string{old},
				deleted: []string{old},
			},
		},
		{
			name: "worked deleted entity is not listed",
			facts: []awardtracker.AwardFact{
				{DXCC: oldDL, Band: "20m", LoTW: false, Latest: recent},
			},
			want: want{target: 100, neededLen: all},
		},
		{
			name: "QSOs before 1945-11-15 are ignored",
			facts: []awardtracker.AwardFact{
				{DXCC: germany, Band: "20m", LoTW: true, Latest: time.Date(1945, 11, 14, 23, 59, 59, 0, time.UTC)},
				{DXCC: usa, Band: "20m", LoTW: true, Latest: time.Date(1945, 11, 15, 0, 0, 0, 0, time.UTC)},
				{DXCC: canada, Band: "20m", LoTW: true}, // zero Latest
			},
			want: want{
				worked: 1, confirmed: 1, target: 100,
				neededLen: all - 1, neededHas: []string{dl, ve}, neededNot: []string{us},
			},
		},
		{
			name: "code 0, negative and unknown codes are ignored",
			facts: []awardtracker.AwardFact{
				{DXCC: 0, Band: "20m", LoTW: true, Latest: recent},
				{DXCC: -5, Band: "20m", LoTW: true, Latest: recent},
				{DXCC: 9999, Band: "20m", LoTW: true, Latest: recent},
			},
			want: want{
				target: 100,
				breakdown: map[string]map[string]awardtracker.Count{
					"band":      {},
					"modeGroup": modes(c(0, 0), c(0, 0), c(0, 0)),
				},
				neededLen: all,
			},
		},
		{
			name: "DCL confirmation does not count",
			facts: []awardtracker.AwardFact{
				{DXCC: germany, Band: "20m", DCL: true, DOK: "A01", Latest: recent},
			},
			want: want{worked: 1, target: 100, neededLen: all, neededHas: []string{dl}},
		},
		{
			name:  "100 confirmed entities complete the award",
			facts: hundred,
			want:  want{worked: 100, confirmed: 100, target: 100, complete: true, neededLen: all - 100},
		},
		{
			name:  "99 confirmed entities do not",
			facts: hundred[:99],
			want:  want{worked: 99, confirmed: 99, target: 100, neededLen: all - 99},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, progressOf(t, awardtracker.AwardDXCC, tt.facts), tt.want)
		})
	}
}

func TestDXCC_NeededSorted(t *testing.T) {
	p := progressOf(t, awardtracker.AwardDXCC, nil)
	for i := 1; i < len(p.Needed); i++ {
		if p.Needed[i-1] >= p.Needed[i] {
			t.Fatalf("needed[%d:%d] = %q, want strictly ascending names", i-1, i+1, p.Needed[i-1:i+1])
		}
	}
}
