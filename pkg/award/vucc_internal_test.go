package award

import (
	"testing"

	"github.com/awardtracker/awardtracker/pkg/adif"
)

// TestVUCCBands guards the hand-written band table against typos and order
// slips: every name must be an ADIF band from 6m up, in ascending frequency.
func TestVUCCBands(t *testing.T) {
	lower := map[string]float64{}
	for _, b := range adif.Bands() {
		lower[b.Name] = b.LowerMHz
	}
	prev := 0.0
	for _, b := range vuccBands {
		mhz, ok := lower[b.name]
		if !ok {
			t.Errorf("VUCC band %q is not an ADIF band", b.name)
			continue
		}
		if mhz < 50 || mhz <= prev {
			t.Errorf("VUCC band %q starts at %v MHz after %v MHz, want >= 50 and ascending", b.name, mhz, prev)
		}
		prev = mhz
	}
}

func TestGrid4(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"JO62", "JO62", true},
		{"jo62qm", "JO62", true},
		{" rr99 ", "RR99", true},
		{"AA00aa00", "AA00", true},
		{"", "", false},
		{"JO6", "", false},
		{"SA00", "", false}, // fields run A-R
		{"JOO2", "", false},
		{"0J62", "", false},
		{"Jö62", "", false},
	}
	for _, tt := range tests {
		got, ok := grid4(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("grid4(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
