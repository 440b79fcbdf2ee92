package adif

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// lotwReport generates a LoTW-style report of n confirmed records, shaped
// like adiftest's lotw-report.adi (preamble, comments, the EOF marker).
func lotwReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString("ARRL Logbook of the World Status Report\nGenerated at 2026-11-27 12:00:00\nfor n0call\nQuery:\n    QSL ONLY: YES\n")
	b.WriteString("QSL RX SINCE: 1900-01-01 00:00:00 (user supplied value)\n\n<PROGRAMID:4>LoTW\n")
	b.WriteString("<APP_LoTW_LASTQSL:19>2025-09-20 01:39:22\n\n")
	fmt.Fprintf(&b, "<APP_LoTW_NUMREC:%d>%d\n\n<eoh>\n", len(fmt.Sprint(n)), n)
	bands := []struct{ band, freq string }{{"20M", "14.07400"}, {"40M", "7.07400"}, {"6M", "50.31383"}, {"17M", "18.10007"}}
	modes := []struct{ mode, sub, group string }{{"FT8", "", "DATA"}, {"MFSK", "FT4", "DATA"}, {"CW", "", "CW"}, {"SSB", "", "PHONE"}}
	field := func(name, value string) { fmt.Fprintf(&b, "<%s:%d>%s\n", name, len(value), value) }
	for i := range n {
		bd, md := bands[i%len(bands)], modes[i/len(bands)%len(modes)]
		b.WriteString("\n")
		field("APP_LoTW_OWNCALL", "N0CALL")
		field("STATION_CALLSIGN", "N0CALL")
		field("CALL", fmt.Sprintf("K%dAB%c", i%10, 'A'+i%26))
		field("BAND", bd.band)
		field("FREQ", bd.freq)
		field("MODE", md.mode)
		if md.sub != "" {
			field("SUBMODE", md.sub)
		}
		field("APP_LoTW_MODEGROUP", md.group)
		field("QSO_DATE", fmt.Sprintf("20%02d%02d%02d", 10+i%15, 1+i%12, 1+i%28))
		b.WriteString("<APP_LoTW_RXQSO:19>2024-09-20 01:39:05 // QSO record inserted/modified at LoTW\n")
		field("TIME_ON", fmt.Sprintf("%02d%02d%02d", i%24, i%60, (i/60)%60))
		b.WriteString("<APP_LoTW_QSO_TIMESTAMP:20>2024-08-27T10:25:19Z // QSO Date & Time; ISO-8601\n")
		field("QSL_RCVD", "Y")
		field("QSLRDATE", "20250920")
		b.WriteString("<APP_LoTW_RXQSL:19>2025-09-20 01:39:22 // QSL record matched/modified at LoTW\n")
		b.WriteString("<DXCC:3>291 // United States Of America\n")
		field("COUNTRY", "UNITED STATES OF AMERICA")
		field("APP_LoTW_DXCC_ENTITY_STATUS", "Current")
		field("PFX", "K1")
		field("GRIDSQUARE", "FN42")
		b.WriteString("<STATE:2>MA // Massachusetts\n")
		field("CQZ", "05")
		field("ITUZ", "08")
		b.WriteString("<eor>\n")
	}
	b.WriteString("\n<APP_LoTW_EOF>\n")
	return b.Bytes()
}

const benchRecords = 100_000

func BenchmarkReader(b *testing.B) {
	data := lotwReport(benchRecords)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRecords || !r.SawEOFMarker() {
			b.Fatalf("read %d records, EOF marker %v", n, r.SawEOFMarker())
		}
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkRecords(b *testing.B) {
	data := lotwReport(benchRecords)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for rec, err := range Records(bytes.NewReader(data), awardtracker.SourceLoTW) {
			if err != nil || rec.Err != nil {
				b.Fatal(err, rec.Err)
			}
			n++
		}
		if n != benchRecords {
			b.Fatalf("read %d records", n)
		}
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func TestLoTWReportGenerator(t *testing.T) {
	recs, err := collect(t, bytes.NewReader(lotwReport(100)), awardtracker.SourceLoTW)
	if err != nil || len(recs) != 100 {
		t.Fatalf("got %d records, err %v", len(recs), err)
	}
	for _, r := range recs {
		if r.Err != nil || !r.QSO.LoTWConfirmed {
			t.Errorf("record %d = %+v", r.Index, r)
		}
	}
}

// BenchmarkReader_AngleBrackets reads text full of '<' that opens no tag:
// each '<' must cost about as much as any other byte, not a scan of the
// 1 KiB tag window (compare its MB/s with BenchmarkReader's).
func BenchmarkReader_AngleBrackets(b *testing.B) {
	for _, tc := range []struct{ name, unit string }{
		{"only", "<"},
		{"no-close", "<a:1 "},
		{"late-close", "<" + strings.Repeat("x", 900) + ">"},
	} {
		data := []byte("<eoh>" + strings.Repeat(tc.unit, (8<<20)/len(tc.unit)) + "<CALL:4>K1AB<eor>")
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r := NewReader(bytes.NewReader(data))
				n := 0
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 1 {
					b.Fatalf("read %d records, want 1", n)
				}
			}
		})
	}
}
