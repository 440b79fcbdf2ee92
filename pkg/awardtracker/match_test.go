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
