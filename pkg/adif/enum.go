package adif

import (
	"slices"
	"sort"
	"strings"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Entity is a DXCC entity of the ADIF DXCC Entity Code enumeration.
type Entity struct {
	Code    int
	Name    string // upper case, as ADIF spells it
	Deleted bool   // no longer counts for current DXCC totals
}

// DXCCEntity returns the entity with the given code. Code 0 ("not within any
// DXCC entity") is not an entity and reports false.
func DXCCEntity(code int) (Entity, bool) {
	i := sort.Search(len(dxccEntities), func(i int) bool { return dxccEntities[i].Code >= code })
	if i < len(dxccEntities) && dxccEntities[i].Code == code {
		return dxccEntities[i], true
	}
	return Entity{}, false
}

// DXCCEntities returns every entity, current and deleted, sorted by code. The
// slice is the caller's to keep or change.
func DXCCEntities() []Entity { return slices.Clone(dxccEntities[:]) }

// State is a US state of the ADIF Primary Administrative Subdivision
// enumeration for the USA, Alaska and Hawaii.
type State struct {
	Code string // two letters, upper case
	Name string
	DXCC int // 291 (USA), 6 (Alaska) or 110 (Hawaii)
}

// USStates returns the 50 states that count for WAS, sorted by code. The
// slice is the caller's.
func USStates() []State { return slices.Clone(usStates[:]) }

// WASState returns the WAS state a QSO's STATE and DXCC values count for:
// the upper-case state code, with DC counted as MD as ARRL's WAS rules do.
// It reports false unless dxcc is the USA (291), Alaska (6) or Hawaii (110)
// and code is one of the 50 states or DC: STATE holds other countries'
// subdivisions too (a Canadian "ON" is not a US state).
func WASState(code string, dxcc int) (string, bool) {
	if dxcc != 291 && dxcc != 6 && dxcc != 110 {
		return "", false
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "DC" {
		return "MD", true
	}
	for i := range usStates {
		if usStates[i].Code == code {
			return code, true
		}
	}
	return "", false
}

// Band is an amateur band of the ADIF Band enumeration; its edges are
// inclusive.
type Band struct {
	Name     string // lower case, e.g. "20m"
	LowerMHz float64
	UpperMHz float64
}

// Bands returns every ADIF band in ascending frequency. The slice is the
// caller's.
func Bands() []Band { return slices.Clone(bands[:]) }

// BandForFreq returns the band that contains the frequency, in MHz.
func BandForFreq(mhz float64) (string, bool) {
	for i := range bands {
		if mhz >= bands[i].LowerMHz && mhz <= bands[i].UpperMHz {
			return bands[i].Name, true
		}
	}
	return "", false
}

// NormalizeBand returns the canonical (lower-case) name of an ADIF band
// written in any case, e.g. LoTW's "20M" → "20m".
func NormalizeBand(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for i := range bands {
		if strings.EqualFold(bands[i].Name, s) {
			return bands[i].Name, true
		}
	}
	return "", false
}

// modeDef is one value of the ADIF Mode enumeration.
type modeDef struct {
	name       string
	submodes   []string
	importOnly bool // valid in old files only; also a submode of another mode
}

// lotwDataMode is the non-ADIF MODE that LoTW reports when it cannot map a
// mode to ADIF (it adds APP_LoTW_MODE=DATA).
const lotwDataMode = "DATA"

// modeIndex finds a mode by its upper-case name.
var modeIndex = func() map[string]*modeDef {
	m := make(map[string]*modeDef, len(modes))
	for i := range modes {
		m[modes[i].name] = &modes[i]
	}
	return m
}()

// submodeParent maps each upper-case submode to its mode.
var submodeParent = func() map[string]string {
	m := make(map[string]string, 200)
	for i := range modes {
		for _, s := range modes[i].submodes {
			m[s] = modes[i].name
		}
	}
	return m
}()

// NormalizeMode validates an ADIF MODE/SUBMODE pair and returns it in the
// form ADIF 3.1.6 exports: upper case, each submode under its own mode.
//
//   - A submode written as MODE (FT4, PSK31, JT65B, USB...) moves to SUBMODE
//     under its parent: MODE=FT4 → MFSK/FT4, as LoTW itself reports FT4.
//     Import-only modes are all such submodes.
//   - A known submode decides the mode, because it names exactly one
//     parent; a conflicting MODE is a logger's slip, not a reason to drop the QSO.
//   - LoTW's non-ADIF MODE=DATA is accepted as DATA.
//
// It reports false for a mode or submode that is in neither enumeration.
func NormalizeMode(mode, submode string) (m, sub string, ok bool) {
	mode = strings.ToUpper(strings.TrimSpace(mode))
	submode = strings.ToUpper(strings.TrimSpace(submode))
	if submode != "" {
		parent, known := submodeParent[submode]
		if !known {
			return "", "", false
		}
		if mode != "" && mode != lotwDataMode && modeIndex[mode] == nil && submodeParent[mode] == "" {
			return "", "", false
		}
		return parent, submode, true
	}
	if mode == lotwDataMode {
		return lotwDataMode, "", true
	}
	if d := modeIndex[mode]; d != nil && !d.importOnly {
		return mode, "", true
	}
	if parent, known := submodeParent[mode]; known {
		return parent, mode, true
	}
	return "", "", false
}

// ModeGroupOf returns LoTW's DXCC mode group of a mode: CW for CW, PHONE for
// SSB, AM, FM and DIGITALVOICE (with their submodes), DATA for the rest
// (LoTW's IMAGE group included, as the domain has no IMAGE group).
func ModeGroupOf(mode, submode string) awardtracker.ModeGroup {
	m, _, ok := NormalizeMode(mode, submode)
	if !ok {
		m = strings.ToUpper(strings.TrimSpace(mode))
	}
	switch m {
	case "CW":
		return awardtracker.ModeGroupCW
	case "SSB", "AM", "FM", "DIGITALVOICE":
		return awardtracker.ModeGroupPhone
	}
	return awardtracker.ModeGroupData
}
