package awardtracker_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func TestMatch(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	base := awardtracker.QSO{StationCallsign: "N0CALL", Call: "DL1ABC", Band: "20m", ModeGroup: awardtracker.ModeGroupData, Start: t0}
	with := func(f func(q *awardtracker.QSO)) awardtracker.QSO {
		q := base
		f(&q)
		return q
	}
	for _, tc := range []struct {
		name string
		b    awardtracker.QSO
		want bool
	}{
		{"Same", base, true},
		{"30MinLater", with(func(q *awardtracker.QSO) { q.Start = t0.Add(30 * time.Minute) }), true},
		{"30MinEarlier", with(func(q *awardtracker.QSO) { q.Start = t0.Add(-30 * time.Minute) }), true},
		{"31MinLater", with(func(q *awardtracker.QSO) { q.Start = t0.Add(31 * time.Minute) }), false},
		{"CaseOfCallAndBand", with(func(q *awardtracker.QSO) { q.Call, q.Band = "dl1abc", "20M" }), true},
		{"OtherCall", with(func(q *awardtracker.QSO) { q.Call = "DL1ABD" }), false},
		{"OtherBand", with(func(q *awardtracker.QSO) { q.Band = "40m" }), false},
		{"OtherModeGroup", with(func(q *awardtracker.QSO) { q.ModeGroup = awardtracker.ModeGroupCW }), false},
		{"OtherStation", with(func(q *awardtracker.QSO) { q.StationCallsign = "N0CALL/P" }), false},
		{"NoStation", with(func(q *awardtracker.QSO) { q.StationCallsign = "" }), true},
		{"SatelliteAndNot", with(func(q *awardtracker.QSO) { q.PropMode, q.SatName = "SAT", "QO-100" }), false},
		{"SatNameOnly", with(func(q *awardtracker.QSO) { q.SatName = "AO-7" }), false},
		{"OtherPropModeNotSatellite", with(func(q *awardtracker.QSO) { q.PropMode = "EME" }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := awardtracker.Match(&base, &tc.b); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
			if got := awardtracker.Match(&tc.b, &base); got != tc.want {
				t.Errorf("Match (swapped) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatch_Satellite(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	sat := func(prop, name string) *awardtracker.QSO {
		return &awardtracker.QSO{Call: "DL1ABC", Band: "70cm", ModeGroup: awardtracker.ModeGroupPhone, Start: t0, PropMode: prop, SatName: name}
	}
	for _, tc := range []struct {
		name string
		a, b *awardtracker.QSO
		want bool
	}{
		{"SameSatellite", sat("SAT", "FO-29"), sat("SAT", "FO-29"), true},
		{"OtherSatellite", sat("SAT", "FO-29"), sat("SAT", "AO-51"), false},
		{"NameOnlyOnOneSide", sat("", "FO-29"), sat("SAT", "FO-29"), true},
		{"NameCase", sat("SAT", "fo-29"), sat("SAT", "FO-29"), true},
		{"PropModeWithoutName", sat("SAT", ""), sat("SAT", "FO-29"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := awardtracker.Match(tc.a, tc.b); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
			if got := awardtracker.Match(tc.b, tc.a); got != tc.want {
				t.Errorf("Match (swapped) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRecordKey_Duplicate(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 41, 15, 0, time.UTC)
	base := awardtracker.RecordKey{Station: "N0CALL", Call: "YO9HP", Band: "20m", Mode: "SSB", Start: t0, Seconds: true}
	with := func(f func(k *awardtracker.RecordKey)) awardtracker.RecordKey {
		k := base
		f(&k)
		return k
	}
	minute := func(k *awardtracker.RecordKey) { k.Start, k.Seconds = k.Start.Truncate(time.Minute), false }
	for _, tc := range []struct {
		name string
		b    awardtracker.RecordKey
		want bool
	}{
		{"Same", base, true},
		{"OneSecondLater", with(func(k *awardtracker.RecordKey) { k.Start = t0.Add(time.Second) }), false},
		{"12MinutesLater", with(func(k *awardtracker.RecordKey) { k.Start = t0.Add(12*time.Minute + 30*time.Second) }), false},
		{"HHMMSameMinute", with(minute), true},
		{"HHMMNextMinute", with(func(k *awardtracker.RecordKey) { minute(k); k.Start = k.Start.Add(time.Minute) }), false},
		{"BothHHMMSSZeroSeconds", with(func(k *awardtracker.RecordKey) { k.Start = t0.Truncate(time.Minute) }), false},
		{"NoStation", with(func(k *awardtracker.RecordKey) { k.Station = "" }), true},
		{"OtherStation", with(func(k *awardtracker.RecordKey) { k.Station = "N0CALL/P" }), false},
		{"OtherBand", with(func(k *awardtracker.RecordKey) { k.Band = "40m" }), false},
		{"OtherModeSameGroup", with(func(k *awardtracker.RecordKey) { k.Mode = "FM" }), false},
		{"PropMode", with(func(k *awardtracker.RecordKey) { k.PropMode = "SAT" }), false},
		{"SatName", with(func(k *awardtracker.RecordKey) { k.SatName = "FO-29" }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := base.Duplicate(tc.b); got != tc.want {
				t.Errorf("Duplicate = %v, want %v", got, tc.want)
			}
			if got := tc.b.Duplicate(base); got != tc.want {
				t.Errorf("Duplicate (swapped) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cause := errors.New("disk on fire")
	wrapped := fmt.Errorf("context: %w", awardtracker.WrapError(awardtracker.EUNAVAILABLE, "database unavailable", cause))
	for _, tc := range []struct {
		err        error
		code       awardtracker.Code
		msg        string
		wrapsCause bool
	}{
		{nil, "", "", false},
		{awardtracker.Errorf(awardtracker.EINVALID, "bad %s", "band"), awardtracker.EINVALID, "bad band", false},
		{wrapped, awardtracker.EUNAVAILABLE, "database unavailable", true},
		{cause, awardtracker.EINTERNAL, "internal error", true},
	} {
		if got := awardtracker.ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := awardtracker.ErrorMessage(tc.err); got != tc.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.msg)
		}
		if tc.wrapsCause && !errors.Is(tc.err, cause) {
			t.Errorf("%v does not wrap its cause", tc.err)
		}
	}
	if _, err := awardtracker.ParseSource("eqsl"); awardtracker.ErrorCode(err) != awardtracker.EINVALID {
		t.Errorf("ParseSource(eqsl) = %v", err)
	}
	if s, err := awardtracker.ParseSource(""); err != nil || s != awardtracker.SourceLog {
		t.Errorf("ParseSource(\"\") = %q, %v; want log", s, err)
	}
}
