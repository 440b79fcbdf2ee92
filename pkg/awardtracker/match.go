package awardtracker

import (
	"strings"
	"time"
)

// MatchWindow is LoTW's tolerance between the start times of two records of
// the same contact.
const MatchWindow = 30 * time.Minute

// Match reports whether two records describe the same contact, by LoTW's own
// rule: same station callsign when both have one, same worked call and band,
// same mode group, and start times within MatchWindow.
func Match(a, b *QSO) bool {
	if a.StationCallsign != "" && b.StationCallsign != "" &&
		!strings.EqualFold(a.StationCallsign, b.StationCallsign) {
		return false
	}
	if !strings.EqualFold(a.Call, b.Call) || !strings.EqualFold(a.Band, b.Band) || a.ModeGroup != b.ModeGroup {
		return false
	}
	d := a.Start.Sub(b.Start)
	return d <= MatchWindow && d >= -MatchWindow
}
