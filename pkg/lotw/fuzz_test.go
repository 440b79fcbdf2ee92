package lotw_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/adif/adiftest"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/lotw"
)

// FuzzReport serves arbitrary bytes as LoTW's answer. The client must never
// panic, every failure must be a classified domain error, and a report it
// accepts must be complete: as many records as APP_LoTW_NUMREC says.
func FuzzReport(f *testing.F) {
	for _, name := range []string{"lotw-report.adi", "lotw-report-empty.adi", "lotw-report-empty-noeoh.adi", "lotw-report-truncated.adi", "lotw-bad-login.html", "lotw-rate-limited.html"} {
		b, err := adiftest.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(lotw.Preamble + "\n<APP_LoTW_NUMREC:1>1<eoh><CALL:4>K1AB<eor><APP_LoTW_EOF>"))
	f.Add([]byte(lotw.Preamble + "\nfor <n0call@example.org>\n<PROGRAMID:4>LoTW\n"))
	f.Add([]byte(lotw.Preamble + "\n<PROGRAMID:4>LoTW<APP_LoTW_EOF><CALL:4>K1AB<eor>"))
	var body []byte // fuzz iterations run one at a time within a process
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	c := lotw.New(lotw.Options{URL: srv.URL, SpoolDir: f.TempDir(), IdleTimeout: 10 * time.Second})
	f.Fuzz(func(t *testing.T, b []byte) {
		body = b
		rep, err := c.Fetch(context.Background(), "n0call", "secret-password", "")
		if err != nil {
			checkClassified(t, err)
			return
		}
		defer rep.Close()
		n := 0
		for _, err := range rep.Records() {
			if err != nil {
				checkClassified(t, err)
				return
			}
			n++
		}
		if n != rep.NumRec {
			t.Fatalf("accepted a report of %d records whose APP_LoTW_NUMREC is %d", n, rep.NumRec)
		}
	})
}

func checkClassified(t *testing.T, err error) {
	t.Helper()
	var ae *awardtracker.Error
	if !errors.As(err, &ae) {
		t.Fatalf("unclassified error %T: %v", err, err)
	}
	for _, known := range []error{lotw.ErrAuth, lotw.ErrRateLimited, lotw.ErrTruncated, lotw.ErrUnexpected, lotw.ErrUnavailable} {
		if errors.Is(err, known) {
			return
		}
	}
	t.Fatalf("error without a LoTW class: %v", err)
}
