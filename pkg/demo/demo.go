// Package demo generates a realistic demo log: a few thousand QSOs spread
// over years, bands, modes and DXCC entities, partly confirmed through LoTW
// and DCL, so that a newcomer has real numbers to look at.
//
// The log is generated from a fixed seed: every run yields the same QSOs,
// which keeps the demo (and tests of it) reproducible. It does not touch
// storage; callers import the QSOs through awardtracker.QSOService.
package demo

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Callsign and Password are the demo account's login.
const (
	Callsign = "N0DEMO"
	Password = "demo-password"
)

// entity is a DXCC entity the generator works: its prefix for callsigns,
// its usual CQ and ITU zones, and a Maidenhead field for grids.
type entity struct {
	dxcc      int
	prefixes  []string
	cqz, ituz int
	field     string // two letters, e.g. "JO"
	weight    int    // how often it is worked, relative
}

// entities is a hand-picked list of often-worked entities (DXCC codes are
// checked against the ADIF table in the tests).
var entities = []entity{
	{291, []string{"K", "W", "N", "AA", "KD", "WB"}, 5, 8, "FN", 40},
	{1, []string{"VE", "VA"}, 5, 9, "FN", 6},
	{6, []string{"KL7"}, 1, 1, "BP", 1},
	{110, []string{"KH6"}, 31, 61, "BL", 1},
	{230, []string{"DL", "DK", "DJ", "DG", "DF", "DO"}, 14, 28, "JO", 30},
	{223, []string{"G", "M", "2E"}, 14, 27, "IO", 8},
	{227, []string{"F"}, 14, 27, "JN", 8},
	{248, []string{"I", "IZ"}, 15, 28, "JN", 8},
	{281, []string{"EA"}, 14, 37, "IN", 7},
	{263, []string{"PA", "PD"}, 14, 27, "JO", 6},
	{209, []string{"ON"}, 14, 27, "JO", 4},
	{269, []string{"SP", "SQ"}, 15, 28, "JO", 6},
	{503, []string{"OK", "OL"}, 15, 28, "JO", 5},
	{206, []string{"OE"}, 15, 28, "JN", 4},
	{287, []string{"HB9"}, 14, 28, "JN", 3},
	{284, []string{"SM", "SA"}, 14, 18, "JO", 4},
	{266, []string{"LA"}, 14, 18, "JP", 3},
	{224, []string{"OH"}, 15, 18, "KP", 3},
	{221, []string{"OZ"}, 14, 18, "JO", 3},
	{54, []string{"UA", "RA", "RN"}, 16, 29, "KO", 6},
	{15, []string{"UA9", "RA9"}, 17, 30, "MO", 2},
	{288, []string{"UR", "UT"}, 16, 29, "KN", 4},
	{236, []string{"SV"}, 20, 28, "KM", 2},
	{272, []string{"CT"}, 14, 37, "IM", 2},
	{245, []string{"EI"}, 14, 27, "IO", 2},
	{279, []string{"GM", "MM"}, 14, 27, "IO", 2},
	{294, []string{"GW", "MW"}, 14, 27, "IO", 1},
	{265, []string{"GI"}, 14, 27, "IO", 1},
	{239, []string{"HA"}, 15, 28, "JN", 3},
	{275, []string{"YO"}, 20, 28, "KN", 2},
	{212, []string{"LZ"}, 20, 28, "KN", 2},
	{497, []string{"9A"}, 15, 28, "JN", 2},
	{499, []string{"S5"}, 15, 28, "JN", 2},
	{504, []string{"OM"}, 15, 28, "JN", 2},
	{296, []string{"YU"}, 15, 28, "KN", 1},
	{146, []string{"LY"}, 15, 29, "KO", 1},
	{145, []string{"YL"}, 15, 29, "KO", 1},
	{52, []string{"ES"}, 15, 29, "KO", 1},
	{242, []string{"TF"}, 40, 17, "HP", 1},
	{222, []string{"OY"}, 14, 18, "IP", 1},
	{237, []string{"OX"}, 40, 5, "GP", 1},
	{259, []string{"JW"}, 40, 18, "JQ", 1},
	{29, []string{"EA8"}, 33, 36, "IL", 2},
	{256, []string{"CT3"}, 33, 36, "IM", 1},
	{149, []string{"CU"}, 14, 36, "HM", 1},
	{21, []string{"EA6"}, 14, 37, "JM", 1},
	{225, []string{"IS0"}, 15, 28, "JM", 1},
	{214, []string{"TK"}, 15, 28, "JN", 1},
	{215, []string{"5B"}, 20, 39, "KM", 1},
	{257, []string{"9H"}, 15, 28, "JM", 1},
	{254, []string{"LX"}, 14, 27, "JN", 1},
	{339, []string{"JA", "JH", "JR"}, 25, 45, "PM", 6},
	{318, []string{"BY", "BG"}, 24, 44, "OM", 2},
	{137, []string{"HL", "DS"}, 25, 44, "PM", 2},
	{386, []string{"BV"}, 24, 44, "PL", 1},
	{321, []string{"VR2"}, 24, 44, "OL", 1},
	{324, []string{"VU"}, 22, 41, "MK", 2},
	{381, []string{"9V"}, 28, 54, "OJ", 1},
	{299, []string{"9M2"}, 28, 54, "OJ", 1},
	{327, []string{"YB"}, 28, 54, "OI", 1},
	{375, []string{"DU"}, 27, 50, "PK", 1},
	{387, []string{"HS"}, 26, 49, "OK", 1},
	{336, []string{"4X", "4Z"}, 20, 39, "KM", 1},
	{390, []string{"TA"}, 20, 39, "KN", 1},
	{391, []string{"A6"}, 21, 39, "LL", 1},
	{378, []string{"HZ"}, 21, 39, "LL", 1},
	{130, []string{"UN"}, 17, 30, "MN", 1},
	{150, []string{"VK"}, 30, 59, "QF", 4},
	{170, []string{"ZL"}, 32, 60, "RF", 2},
	{108, []string{"PY", "PU"}, 11, 15, "GG", 3},
	{100, []string{"LU"}, 13, 14, "GF", 2},
	{112, []string{"CE"}, 12, 14, "FF", 1},
	{116, []string{"HK"}, 9, 12, "FJ", 1},
	{136, []string{"OA"}, 10, 12, "FH", 1},
	{144, []string{"CX"}, 13, 14, "GF", 1},
	{148, []string{"YV"}, 9, 12, "FK", 1},
	{50, []string{"XE"}, 6, 10, "DL", 2},
	{70, []string{"CO", "CM"}, 8, 11, "EL", 1},
	{202, []string{"KP4"}, 8, 11, "FK", 1},
	{462, []string{"ZS"}, 38, 57, "KF", 1},
	{478, []string{"SU"}, 34, 38, "KL", 1},
	{446, []string{"CN"}, 33, 37, "IM", 1},
	{430, []string{"5Z"}, 37, 48, "KI", 1},
}

type modeChoice struct {
	mode, submode string
	weight        int
}

var modes = []modeChoice{
	{"FT8", "", 45}, {"CW", "", 18}, {"SSB", "", 20}, {"MFSK", "FT4", 9}, {"RTTY", "", 4},
	{"PSK", "PSK31", 2}, {"FM", "", 1}, {"MFSK", "JS8", 1},
}

type bandChoice struct {
	band   string
	lo, hi float64 // MHz range used for FREQ
	weight int
}

var bands = []bandChoice{
	{"160m", 1.81, 1.85, 2}, {"80m", 3.5, 3.8, 7}, {"40m", 7.0, 7.2, 16}, {"30m", 10.1, 10.15, 8},
	{"20m", 14.0, 14.35, 24}, {"17m", 18.068, 18.168, 9}, {"15m", 21.0, 21.45, 10}, {"12m", 24.89, 24.99, 5},
	{"10m", 28.0, 29.7, 9}, {"6m", 50.0, 50.5, 6}, {"2m", 144.0, 144.5, 3}, {"70cm", 432.0, 432.5, 1},
}

// doks are DARC district-and-club codes the German stations carry.
var doks = []string{"A01", "A02", "B05", "B12", "C18", "D01", "E04", "F05", "F11", "G22", "H07", "I31",
	"K14", "L03", "M08", "N21", "O11", "P40", "Q02", "R01", "S07", "T09", "U12", "V05", "W36", "X01", "Y11", "Z24"}

// pick returns a weighted random element.
func pick[T any](r *rand.Rand, xs []T, weight func(T) int) T {
	total := 0
	for _, x := range xs {
		total += weight(x)
	}
	n := r.IntN(total)
	for _, x := range xs {
		if n -= weight(x); n < 0 {
			return x
		}
	}
	return xs[len(xs)-1]
}

// Options shape the generated log.
type Options struct {
	QSOs            int       // how many (default 3000)
	StationCallsign string    // default Callsign
	Seed            uint64    // default 1
	End             time.Time // newest QSO (default 2026-11-01)
	Years           int       // span of the log (default 8)
}

// QSOs generates a log as an import stream. Confirmed QSOs carry what the
// confirmation would bring (DXCC, zones, state, grid, DOK).
func QSOs(opts Options) iter.Seq2[awardtracker.ImportRecord, error] {
	opts = opts.withDefaults()
	return func(yield func(awardtracker.ImportRecord, error) bool) {
		r := rand.New(rand.NewPCG(opts.Seed, 0xA1A1))
		states := adif.USStates()
		span := int64(opts.Years) * 365 * 24 * 3600
		for i := range opts.QSOs {
			q := generate(r, opts, states, span)
			if !yield(awardtracker.ImportRecord{Index: i + 1, QSO: q}, nil) {
				return
			}
		}
		// Two contacts from an old paper log, with the German Democratic
		// Republic: a deleted entity, which DXCC lists apart.
		for i, call := range []string{"Y21AB", "Y37XJ"} {
			start := time.Date(1985+i, 6, 12, 14, 30, 0, 0, time.UTC)
			at := time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)
			q := awardtracker.QSO{StationCallsign: opts.StationCallsign, Call: call, Start: start, Band: "20m",
				FreqMHz: 14.025, Mode: "CW", ModeGroup: awardtracker.ModeGroupCW, DXCC: 229, Country: "GERMAN DEMOCRATIC REPUBLIC",
				CQZone: 14, ITUZone: 28, Grid: "JO62", LoTWConfirmed: true, LoTWConfirmedAt: &at}
			if !yield(awardtracker.ImportRecord{Index: opts.QSOs + i + 1, QSO: q}, nil) {
				return
			}
		}
		// A dozen satellite contacts, for Satellite VUCC (band VUCC leaves
		// them out): 2m uplinks through three low-orbit satellites a US
		// station reaches, partners across North America. Made apart from
		// the random log so that they do not change it.
		for i, q := range satelliteQSOs(opts.StationCallsign) {
			if !yield(awardtracker.ImportRecord{Index: opts.QSOs + 3 + i, QSO: q}, nil) {
				return
			}
		}
	}
}

// satelliteGrids are the partners' grids of the satellite QSOs, one each.
var satelliteGrids = []string{"FN31", "FN42", "EM79", "EN52", "DM79", "CN87", "EL96", "FM18", "EM12", "DN70", "FN20", "EM48"}

// oldLogQSOs is how many contacts of the old paper log every log ends with.
const oldLogQSOs = 2

// Count is how many QSOs QSOs(opts) yields: the generated ones, then the
// old paper log's and the satellite QSOs that every demo log has.
func Count(opts Options) int {
	return opts.withDefaults().QSOs + oldLogQSOs + len(satelliteGrids)
}

func satelliteQSOs(station string) []awardtracker.QSO {
	sats := []struct {
		name, mode string
		mhz        float64
	}{{"RS-44", "SSB", 145.965}, {"SO-50", "FM", 145.85}, {"AO-7", "CW", 145.9}}
	out := make([]awardtracker.QSO, 0, len(satelliteGrids))
	for i, g := range satelliteGrids {
		s := sats[i%len(sats)]
		start := time.Date(2024, 3, 1+i, 18, 5, 0, 0, time.UTC)
		q := awardtracker.QSO{StationCallsign: station, Call: fmt.Sprintf("K%dS%c%c", i%10, 'A'+i, 'A'+i%3), Start: start,
			Band: "2m", FreqMHz: s.mhz, Mode: s.mode, ModeGroup: adif.ModeGroupOf(s.mode, ""), DXCC: 291,
			Country: "UNITED STATES OF AMERICA", Grid: g, PropMode: awardtracker.PropModeSatellite, SatName: s.name}
		if i%3 != 2 {
			at := start.Add(10 * 24 * time.Hour)
			q.LoTWConfirmed, q.LoTWConfirmedAt = true, &at
		}
		out = append(out, q)
	}
	return out
}

func (opts Options) withDefaults() Options {
	if opts.QSOs == 0 {
		opts.QSOs = 3000
	}
	if opts.StationCallsign == "" {
		opts.StationCallsign = Callsign
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.End.IsZero() {
		opts.End = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	if opts.Years == 0 {
		opts.Years = 8
	}
	return opts
}

func generate(r *rand.Rand, opts Options, states []adif.State, span int64) awardtracker.QSO {
	e := pick(r, entities, func(e entity) int { return e.weight })
	b := pick(r, bands, func(b bandChoice) int { return b.weight })
	m := pick(r, modes, func(m modeChoice) int { return m.weight })
	start := opts.End.Add(-time.Duration(r.Int64N(span)) * time.Second).Truncate(time.Second)
	prefix := e.prefixes[r.IntN(len(e.prefixes))]
	call := fmt.Sprintf("%s%d%c%c%c", prefix, r.IntN(10), 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26))
	if len(prefix) >= 3 && prefix[len(prefix)-1] >= '0' && prefix[len(prefix)-1] <= '9' {
		call = fmt.Sprintf("%s%c%c", prefix, 'A'+r.IntN(26), 'A'+r.IntN(26))
	}
	q := awardtracker.QSO{
		StationCallsign: opts.StationCallsign, Call: call, Start: start, Band: b.band,
		FreqMHz: float64(int((b.lo+r.Float64()*(b.hi-b.lo))*1e5)) / 1e5,
		Mode:    m.mode, Submode: m.submode, ModeGroup: adif.ModeGroupOf(m.mode, m.submode),
		DXCC: e.dxcc, CQZone: e.cqz, ITUZone: e.ituz,
		Grid: fmt.Sprintf("%s%d%d", e.field, r.IntN(10), r.IntN(10)),
	}
	if ent, ok := adif.DXCCEntity(e.dxcc); ok {
		q.Country = ent.Name
	}
	if e.dxcc == 291 {
		s := states[r.IntN(len(states))]
		q.State = s.Code
	}
	if e.dxcc == 6 {
		q.State = "AK"
	}
	if e.dxcc == 110 {
		q.State = "HI"
	}
	if e.dxcc == 230 {
		q.DOK = doks[r.IntN(len(doks))]
	}
	// LoTW confirms about 60% of contacts after a few weeks; DCL about half
	// of the German ones.
	if r.IntN(100) < 60 {
		at := start.Add(time.Duration(1+r.IntN(90)) * 24 * time.Hour).Truncate(24 * time.Hour)
		q.LoTWConfirmed, q.LoTWConfirmedAt = true, &at
	}
	if e.dxcc == 230 && r.IntN(100) < 50 {
		at := start.Add(time.Duration(1+r.IntN(60)) * 24 * time.Hour).Truncate(24 * time.Hour)
		q.DCLConfirmed, q.DCLConfirmedAt = true, &at
	}
	return q
}

// Unconfirmed returns n of the demo QSOs that LoTW has not confirmed yet,
// as the confirmations a LoTW report would bring for them: LoTWReport
// writes these, so that the demo shows confirmations arriving.
func Unconfirmed(opts Options, n int) []awardtracker.QSO {
	opts = opts.withDefaults()
	var out []awardtracker.QSO
	for rec := range QSOs(opts) {
		if len(out) == n {
			break
		}
		q := rec.QSO
		if q.LoTWConfirmed {
			continue
		}
		at := opts.End.Add(24 * time.Hour)
		q.LoTWConfirmed, q.LoTWConfirmedAt = true, &at
		out = append(out, q)
	}
	return out
}
