package importer_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/importer"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
	"github.com/awardtracker/awardtracker/pkg/sqlite/sqlitetest"
)

func newService(t *testing.T) (*importer.Service, *sqlite.QSOService, int64) {
	t.Helper()
	ctx := context.Background()
	db := sqlitetest.Open(t, sqlite.Options{})
	u, err := sqlite.NewUserService(db).CreateUser(ctx, "N0CALL", []byte("hash"))
	if err != nil {
		t.Fatal(err)
	}
	qsos := sqlite.NewQSOService(db)
	return importer.New(qsos, t.TempDir()), qsos, u.ID
}

func count(t *testing.T, qsos *sqlite.QSOService, uid int64) int {
	t.Helper()
	_, n, err := qsos.FindQSOs(context.Background(), uid, awardtracker.QSOFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// failingReader delivers some bytes, then fails as a dropped connection does.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

const twoQSOs = `<ADIF_VER:5>3.1.6<EOH>
<CALL:6>DL1ABC<QSO_DATE:8>20240501<TIME_ON:4>1200<BAND:3>20m<MODE:2>CW<EOR>
<CALL:5>K1ABC<QSO_DATE:8>20240502<TIME_ON:4>1300<BAND:3>40m<MODE:3>SSB<EOR>
`

func TestService_ImportADIF(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		s, qsos, uid := newService(t)
		res, err := s.ImportADIF(ctx, uid, awardtracker.SourceLog, strings.NewReader(twoQSOs))
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 2 || len(res.Rejected) != 0 {
			t.Fatalf("result %+v, want 2 imported", res)
		}
		if got := count(t, qsos, uid); got != 2 {
			t.Fatalf("%d QSOs stored, want 2", got)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, qsos, uid := newService(t)
		_, err := s.ImportADIF(ctx, uid, awardtracker.SourceLog, strings.NewReader("<html>not a log</html>"))
		if got := awardtracker.ErrorCode(err); got != awardtracker.EINVALID {
			t.Fatalf("code %q (%v), want %q", got, err, awardtracker.EINVALID)
		}
		if got := count(t, qsos, uid); got != 0 {
			t.Fatalf("%d QSOs stored, want 0", got)
		}
	})
	t.Run("ReaderFails", func(t *testing.T) {
		s, qsos, uid := newService(t)
		dropped := errors.New("connection reset")
		_, err := s.ImportADIF(ctx, uid, awardtracker.SourceLog, &failingReader{r: strings.NewReader(twoQSOs), err: dropped})
		if !errors.Is(err, dropped) || awardtracker.ErrorCode(err) != awardtracker.EUNAVAILABLE {
			t.Fatalf("err %v, want the reader's error under %s", err, awardtracker.EUNAVAILABLE)
		}
		// Nothing of a file that was not read whole is imported.
		if got := count(t, qsos, uid); got != 0 {
			t.Fatalf("%d QSOs stored, want 0", got)
		}
	})
}
