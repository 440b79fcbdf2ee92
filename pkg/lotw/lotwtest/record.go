package lotwtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
)

// Record is one QSO as LoTW knows it. Fields left empty are not sent.
type Record struct {
	StationCallsign string // own call (STATION_CALLSIGN, APP_LoTW_OWNCALL with qso_withown)
	Call            string
	Band            string // sent upper case, e.g. "20M"
	Freq            string // MHz as LoTW writes it, e.g. "14.06100"
	Mode            string // ADIF mode: FT4 is "MFSK" with Submode "FT4"
	Submode         string
	LoTWMode        string // APP_LoTW_MODE, for a mode ADIF cannot express (MODE=DATA)
	ModeGroup       string // CW, PHONE, DATA or IMAGE
	Start           time.Time
	RxQSO           time.Time // when the QSO was uploaded or changed at LoTW
	Confirmed       bool      // QSL_RCVD=Y
	RxQSL           time.Time // when the QSL was matched; set when Confirmed

	// The partner's station data, sent with qso_qsldetail=yes on confirmed records.
	DXCC         int
	Country      string
	EntityStatus string // "Current" or "Deleted"
	Prefix       string
	Grid         string
	State        string
	County       string // "OK,OKLAHOMA"
	CQZ          string // zero-padded, as LoTW sends it
	ITUZ         string
	IOTA         string
	CQZInferred  bool
	TwoXQSL      string // APP_LoTW_2xQSL

	// The own station's data, sent with qso_mydetail=yes.
	MyDXCC  int
	MyGrid  string
	MyState string
	MyCQZ   string
	MyITUZ  string
}

// The samples are adiftest's, the one copy every package's tests read.
var sampleReport, sampleOwnLog = mustSample("lotw-report.adi"), mustSample("own-log.adi")

func mustSample(name string) []byte {
	b, err := adiftest.ReadFile(name)
	if err != nil {
		panic("lotwtest: " + err.Error())
	}
	return b
}

// SampleOwnLog returns an own log (a desktop logger's ADIF export) holding
// the QSOs the sample report confirms, and a few it does not: importing it
// and then syncing shows confirmations being matched rather than added.
func SampleOwnLog() []byte { return bytes.Clone(sampleOwnLog) }

// SampleReport returns the bundled sample report (synthetic calls, shaped like
// a real answer to qso_qsl=yes&qso_qsldetail=yes&qso_withown=yes).
func SampleReport() []byte { return bytes.Clone(sampleReport) }

// SampleRecords returns the records of the bundled sample report.
func SampleRecords() []Record {
	recs, err := ParseRecords(bytes.NewReader(sampleReport))
	if err != nil {
		panic("lotwtest: bundled sample: " + err.Error())
	}
	return recs
}

// NewSampleServer starts a fake LoTW with one account holding the sample
// records.
func NewSampleServer(login, password string) *Server {
	s := NewServer()
	s.AddAccount(login, password)
	s.AddRecords(login, SampleRecords()...)
	return s
}

// ParseRecords reads the records of a LoTW report (or any ADIF file with
// the same fields), to serve them again.
func ParseRecords(r io.Reader) ([]Record, error) {
	ar := adif.NewReader(r)
	var out []Record
	for {
		rec, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		x, err := fromADIF(rec)
		if err != nil {
			return nil, fmt.Errorf("lotwtest: record %d: %w", len(out)+1, err)
		}
		out = append(out, x)
	}
}

func fromADIF(r adif.Record) (Record, error) {
	x := Record{
		StationCallsign: first(r.Get("STATION_CALLSIGN"), r.Get("APP_LoTW_OWNCALL")),
		Call:            r.Get("CALL"), Band: r.Get("BAND"), Freq: r.Get("FREQ"),
		Mode: r.Get("MODE"), Submode: r.Get("SUBMODE"), LoTWMode: r.Get("APP_LoTW_MODE"),
		ModeGroup: r.Get("APP_LoTW_MODEGROUP"),
		Confirmed: strings.EqualFold(r.Get("QSL_RCVD"), "Y"),
		Country:   r.Get("COUNTRY"), EntityStatus: r.Get("APP_LoTW_DXCC_ENTITY_STATUS"),
		Prefix: r.Get("PFX"), Grid: r.Get("GRIDSQUARE"), State: r.Get("STATE"), County: r.Get("CNTY"),
		CQZ: r.Get("CQZ"), ITUZ: r.Get("ITUZ"), IOTA: r.Get("IOTA"),
		CQZInferred: strings.HasPrefix(strings.ToUpper(r.Get("APP_LoTW_CQZ_Inferred")), "Y"),
		TwoXQSL:     r.Get("APP_LoTW_2xQSL"),
		MyGrid:      r.Get("MY_GRIDSQUARE"), MyState: r.Get("MY_STATE"),
		MyCQZ: r.Get("MY_CQ_ZONE"), MyITUZ: r.Get("MY_ITU_ZONE"),
	}
	x.DXCC, _ = strconv.Atoi(r.Get("DXCC"))
	x.MyDXCC, _ = strconv.Atoi(r.Get("MY_DXCC"))
	var err error
	if x.Start, err = time.Parse("20060102150405", r.Get("QSO_DATE")+padTime(r.Get("TIME_ON"))); err != nil {
		return x, fmt.Errorf("QSO_DATE/TIME_ON: %w", err)
	}
	if v := r.Get("APP_LoTW_RXQSO"); v != "" {
		if x.RxQSO, err = time.Parse(TimeLayout, v); err != nil {
			return x, fmt.Errorf("APP_LoTW_RXQSO: %w", err)
		}
	} else {
		x.RxQSO = x.Start
	}
	if x.Confirmed {
		if x.RxQSL, err = time.Parse(TimeLayout, r.Get("APP_LoTW_RXQSL")); err != nil {
			return x, fmt.Errorf("APP_LoTW_RXQSL: %w", err)
		}
	}
	return x, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func padTime(t string) string {
	for len(t) < 6 {
		t += "0"
	}
	return t
}

// Generated returns record i of a synthetic report that can be as long as
// wanted: confirmed, unique calls, bands and modes in rotation, and QSL
// times one minute apart going back from 2026-11-01 (newest first).
func Generated(i int) Record {
	type bm struct{ band, freq, mode, sub, group string }
	rota := [...]bm{
		{"20M", "14.07400", "FT8", "", "DATA"},
		{"40M", "7.03000", "CW", "", "CW"},
		{"6M", "50.31300", "MFSK", "FT4", "DATA"},
		{"17M", "18.15000", "SSB", "USB", "PHONE"},
		{"80M", "3.58000", "RTTY", "", "DATA"},
	}
	b := rota[i%len(rota)]
	rxqsl := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(i) * time.Minute)
	start := rxqsl.Add(-48*time.Hour - time.Duration(i%977)*time.Second)
	return Record{
		StationCallsign: "N0CALL", Call: genCall(i), Band: b.band, Freq: b.freq,
		Mode: b.mode, Submode: b.sub, ModeGroup: b.group,
		Start: start, RxQSO: rxqsl.Add(-time.Hour), Confirmed: true, RxQSL: rxqsl,
		DXCC: 291, Country: "UNITED STATES OF AMERICA", EntityStatus: "Current", Prefix: "W1",
		Grid: "FN31", State: "CT", County: "CT,HARTFORD", CQZ: "05", ITUZ: "08",
	}
}

// genCall makes a distinct, plausible US call for every i.
func genCall(i int) string {
	var suffix [3]byte
	n := i
	for k := 2; k >= 0; k-- {
		suffix[k] = byte('A' + n%26)
		n /= 26
	}
	return fmt.Sprintf("W%d%s%s", n%10, string(rune('A'+(n/10)%26)), suffix[:])
}

// report writes one answer.
type report struct {
	q      query
	now    time.Time
	n      int
	newest *Record
	each   func(yield func(*Record) bool)
	fault  Fault
	empty  EmptyShape
}

func (p *report) write(w *bufio.Writer) error {
	q := &p.q
	fmt.Fprintf(w, "ARRL Logbook of the World Status Report\nGenerated at %s\nfor %s\nQuery:\n",
		p.now.UTC().Format(TimeLayout), strings.ToLower(q.login))
	supplied := "(system supplied default)"
	if q.userSince {
		supplied = "(user supplied value)"
	}
	if q.qslOnly {
		fmt.Fprintf(w, "    QSL ONLY: YES\nQSL RX SINCE: %s %s\n\n", q.sinceText, supplied)
	} else {
		fmt.Fprintf(w, "    QSL ONLY: NO\nQSO RX SINCE: %s %s\n\n", q.sinceText, supplied)
	}
	field(w, "PROGRAMID", "LoTW", "")
	if p.n == 0 && p.empty == EmptyNoHeader {
		_, err := w.WriteString("\n<APP_LoTW_EOF>\n\n")
		return err
	}
	if p.newest != nil {
		if q.qslOnly {
			field(w, "APP_LoTW_LASTQSL", p.newest.RxQSL.Format(TimeLayout), "")
		} else {
			field(w, "APP_LoTW_LASTQSORX", p.newest.RxQSO.Format(TimeLayout), "")
		}
	}
	numrec := p.n
	if p.fault == FaultNumRecMismatch && p.n > 0 {
		numrec = p.n + 1
	}
	w.WriteString("\n")
	field(w, "APP_LoTW_NUMREC", strconv.Itoa(numrec), "")
	w.WriteString("\n<eoh>\n\n")
	send := p.n
	if p.fault == FaultTruncated {
		send = p.n / 2
	}
	sent := 0
	if q.qsoQuery && send > 0 {
		for rec := range p.each {
			if !q.match(rec) {
				continue
			}
			p.record(w, rec)
			if _, err := w.WriteString("<eor>\n\n"); err != nil {
				return err
			}
			if sent++; sent == send {
				break
			}
		}
	}
	if p.fault == FaultTruncated {
		return nil
	}
	_, err := w.WriteString("\n<APP_LoTW_EOF>\n")
	return err
}

func (p *report) record(w *bufio.Writer, r *Record) {
	q := &p.q
	if q.withOwn {
		field(w, "APP_LoTW_OWNCALL", r.StationCallsign, "")
		field(w, "STATION_CALLSIGN", r.StationCallsign, "")
	}
	if q.myDetail {
		if r.MyDXCC != 0 {
			field(w, "MY_DXCC", strconv.Itoa(r.MyDXCC), "")
		}
		field(w, "MY_GRIDSQUARE", r.MyGrid, "")
		field(w, "MY_STATE", r.MyState, "")
		field(w, "MY_CQ_ZONE", r.MyCQZ, "")
		field(w, "MY_ITU_ZONE", r.MyITUZ, "")
	}
	callComment := ""
	if p.fault == FaultUTF8Comment {
		callComment = "Zürich – 東京"
	}
	field(w, "CALL", r.Call, callComment)
	field(w, "BAND", strings.ToUpper(r.Band), "")
	field(w, "FREQ", r.Freq, "")
	field(w, "MODE", r.Mode, "")
	field(w, "SUBMODE", r.Submode, "")
	field(w, "APP_LoTW_MODE", r.LoTWMode, "")
	field(w, "APP_LoTW_MODEGROUP", r.ModeGroup, "")
	field(w, "QSO_DATE", r.Start.UTC().Format("20060102"), "")
	field(w, "APP_LoTW_RXQSO", r.RxQSO.UTC().Format(TimeLayout), "QSO record inserted/modified at LoTW")
	field(w, "TIME_ON", r.Start.UTC().Format("150405"), "")
	field(w, "APP_LoTW_QSO_TIMESTAMP", r.Start.UTC().Format("2006-01-02T15:04:05Z"), "QSO Date & Time; ISO-8601")
	if !r.Confirmed {
		field(w, "QSL_RCVD", "N", "")
		return
	}
	field(w, "QSL_RCVD", "Y", "")
	field(w, "QSLRDATE", r.RxQSL.UTC().Format("20060102"), "")
	field(w, "APP_LoTW_RXQSL", r.RxQSL.UTC().Format(TimeLayout), "QSL record matched/modified at LoTW")
	if !q.qslDetail {
		return
	}
	if r.DXCC != 0 {
		field(w, "DXCC", strconv.Itoa(r.DXCC), titleCase(r.Country))
	}
	field(w, "COUNTRY", r.Country, "")
	field(w, "APP_LoTW_DXCC_ENTITY_STATUS", r.EntityStatus, "")
	field(w, "PFX", r.Prefix, "")
	field(w, "APP_LoTW_2xQSL", r.TwoXQSL, "")
	field(w, "GRIDSQUARE", r.Grid, "")
	field(w, "STATE", r.State, r.State)
	field(w, "CNTY", r.County, r.State)
	field(w, "CQZ", r.CQZ, "")
	if r.CQZInferred {
		field(w, "APP_LoTW_CQZ_Inferred", "Y", "from DXCC entity and PAS")
	}
	field(w, "ITUZ", r.ITUZ, "")
	field(w, "IOTA", r.IOTA, "")
}

// field writes one line; empty values are left out, as LoTW does.
func field(w *bufio.Writer, name, value, comment string) {
	if value == "" {
		return
	}
	w.WriteByte('<')
	w.WriteString(name)
	w.WriteByte(':')
	w.WriteString(strconv.Itoa(len(value)))
	w.WriteByte('>')
	w.WriteString(value)
	if comment != "" {
		w.WriteString(" // ")
		w.WriteString(comment)
	}
	w.WriteByte('\n')
}

func titleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
