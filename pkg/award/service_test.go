package award_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/award"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// fakeQSOs implements AwardFacts; any other QSOService method panics through
// the nil embedded interface, because the award service must not call them.
type fakeQSOs struct {
	awardtracker.QSOService
	facts   []awardtracker.AwardFact
	err     error
	gotUser int64
}

func (f *fakeQSOs) AwardFacts(_ context.Context, userID int64) ([]awardtracker.AwardFact, error) {
	f.gotUser = userID
	return f.facts, f.err
}

func TestService_Awards(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		qsos := &fakeQSOs{facts: []awardtracker.AwardFact{
			{DXCC: 291, State: "NY", CQZone: 5, Band: "2m", Grid: "FN30", ModeGroup: "CW", LoTW: true, Latest: recent},
			{DXCC: 230, DOK: "A01", CQZone: 14, Band: "2m", Grid: "JN48", ModeGroup: "CW", DCL: true, Latest: recent},
			{Band: "70cm", Grid: "JO62", ModeGroup: "PHONE", Satellite: true, LoTW: true, Latest: recent},
		}}
		got, err := award.NewService(qsos).Awards(context.Background(), 42)
		if err != nil {
			t.Fatalf("Awards() error = %v, want nil", err)
		}
		if qsos.gotUser != 42 {
			t.Errorf("AwardFacts user = %d, want 42", qsos.gotUser)
		}
		if want := award.All(qsos.facts); !reflect.DeepEqual(got, want) {
			t.Errorf("Awards() = %+v, want All(facts) = %+v", got, want)
		}
		confirmed := map[string]int{}
		for _, p := range got {
			confirmed[p.ID] = p.Confirmed
		}
		want := map[string]int{"dxcc": 1, "was": 1, "waz": 1, "vucc": 1, "vucc-sat": 1, "dld": 1}
		if !reflect.DeepEqual(confirmed, want) {
			t.Errorf("confirmed per award = %v, want %v", confirmed, want)
		}
	})

	t.Run("NoQSOs", func(t *testing.T) {
		got, err := award.NewService(&fakeQSOs{}).Awards(context.Background(), 1)
		if err != nil {
			t.Fatalf("Awards() error = %v, want nil", err)
		}
		if len(got) != len(awardtracker.AwardIDs) {
			t.Errorf("len(Awards()) = %d, want %d", len(got), len(awardtracker.AwardIDs))
		}
	})

	t.Run("ErrUnavailable", func(t *testing.T) {
		qsos := &fakeQSOs{err: awardtracker.Errorf(awardtracker.EUNAVAILABLE, "database is down")}
		got, err := award.NewService(qsos).Awards(context.Background(), 1)
		if code := awardtracker.ErrorCode(err); code != awardtracker.EUNAVAILABLE {
			t.Errorf("error code = %q (%v), want %q", code, err, awardtracker.EUNAVAILABLE)
		}
		if msg := awardtracker.ErrorMessage(err); msg != "database is down" {
			t.Errorf("error message = %q, want %q", msg, "database is down")
		}
		if got != nil {
			t.Errorf("Awards() = %v, want nil on error", got)
		}
	})
}
