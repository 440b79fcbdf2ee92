package main

import "testing"

// The words the alert descriptions are built from: a wrong one would only
// show up in a promtool test's expected annotation.
func TestConfigWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{human("1h"), "hour"},
		{human("6h"), "6 hours"},
		{human("1d"), "day"},
		{human("3d"), "3 days"},
		{human("30d"), "30 days"},
		{humanCount("4m"), "4 minutes"},
		{humanCount("1h"), "1 hour"},
		{human(promDuration(2 * mixin.syncInterval)), "2 hours"},
		{budgetLeft("30d", 14.4), "2 days"},
		{budgetLeft("30d", 6), "5 days"},
		{budgetLeft("30d", 3), "10 days"},
		{budgetLeft("30d", 30), "1 day"},
		{ms(0.1), "100 ms"},
		{ms(0.25), "250 ms"},
		{pct(0.7), "70 %"},
		{pct(1 - 0.01), "99 %"},
		{num(14.4), "14.4"},
		{mixin.sel(`le="0.1"`), `{job="awardtracker", le="0.1"}`},
		{list([]string{"a", "b", "c"}), "a, b and c"},
		{list([]string{"a"}), "a"},
		{spelled(2), "two"},
		{spelled(12), "12"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestSLOWindows: every window of the burn-rate alerts has its record,
// shortest first and each once.
func TestSLOWindows(t *testing.T) {
	got := mixin.slo.sloWindows()
	want := []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
