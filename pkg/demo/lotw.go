package demo

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// LoTWReport returns a report shaped like LoTW's answer to
// qso_qsl=yes&qso_qsldetail=yes&qso_withown=yes: a header with
// APP_LoTW_LASTQSL and APP_LoTW_NUMREC, one confirmed record for each of
// the first n demo QSOs LoTW has not confirmed yet (see Unconfirmed), the
// newest matched at rx, and the closing <APP_LoTW_EOF>. It also returns
// APP_LoTW_LASTQSL, the cursor a sync would store.
//
// The demo imports it as source lotw, which is what a LoTW sync does with
// a download: the confirmations arrive without any LoTW, real or fake.
//
// The ADI is written here rather than by a library: it is a handful of
// <NAME:LENGTH>value fields, and pkg/adif reads them back in the tests.
func LoTWReport(opts Options, n int, rx time.Time) (report []byte, lastQSL string) {
	rx = rx.UTC().Truncate(time.Second)
	lastQSL = rx.Format("2006-01-02 15:04:05")
	qsos := Unconfirmed(opts, n)
	var b bytes.Buffer
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "<%s:%d>%s\n", name, len(value), value)
		}
	}
	b.WriteString("ARRL Logbook of the World Status Report\n")
	fmt.Fprintf(&b, "Generated at %s\nfor %s (awardtracker demo, not from LoTW)\n\n", lastQSL, strings.ToLower(opts.withDefaults().StationCallsign))
	field("PROGRAMID", "LoTW")
	field("APP_LoTW_LASTQSL", lastQSL)
	field("APP_LoTW_NUMREC", fmt.Sprint(len(qsos)))
	b.WriteString("<eoh>\n\n")
	for i, q := range qsos {
		// Matched one minute apart, newest first, as LoTW lists them.
		matched := rx.Add(-time.Duration(i) * time.Minute)
		field("APP_LoTW_OWNCALL", q.StationCallsign)
		field("STATION_CALLSIGN", q.StationCallsign)
		field("CALL", q.Call)
		field("BAND", strings.ToUpper(q.Band))
		field("FREQ", fmt.Sprintf("%.5f", q.FreqMHz))
		field("MODE", q.Mode)
		field("SUBMODE", q.Submode)
		field("APP_LoTW_MODEGROUP", string(q.ModeGroup))
		field("QSO_DATE", q.Start.Format("20060102"))
		field("TIME_ON", q.Start.Format("150405"))
		field("QSL_RCVD", "Y")
		field("QSLRDATE", matched.Format("20060102"))
		field("APP_LoTW_RXQSL", matched.Format("2006-01-02 15:04:05"))
		field("DXCC", fmt.Sprint(q.DXCC))
		field("COUNTRY", q.Country)
		field("APP_LoTW_DXCC_ENTITY_STATUS", "Current")
		field("GRIDSQUARE", q.Grid)
		field("STATE", q.State)
		field("CQZ", fmt.Sprintf("%02d", q.CQZone))
		field("ITUZ", fmt.Sprintf("%02d", q.ITUZone))
		b.WriteString("<eor>\n\n")
	}
	b.WriteString("<APP_LoTW_EOF>\n")
	return b.Bytes(), lastQSL
}
