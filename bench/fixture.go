package bench

import (
	"context"
	"fmt"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
)

// Fill imports n generated QSOs (plus the fixed QSOs that every demo log
// ends with: demo.Count) for the user in one import, as an ADIF upload would.
// seed picks the log; the same seed gives the same QSOs.
func Fill(ctx context.Context, qsos awardtracker.QSOService, userID int64, station string, n int, seed uint64) error {
	res, err := qsos.ImportQSOs(ctx, userID, awardtracker.SourceLog,
		demo.QSOs(demo.Options{QSOs: n, StationCallsign: station, Seed: seed}), awardtracker.ImportOptions{})
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		return fmt.Errorf("bench: %d generated QSOs rejected, first: %+v", len(res.Rejected), res.Rejected[0])
	}
	return nil
}

// Owner is one user of a database that Populate builds.
type Owner struct {
	Callsign string
	QSOs     int
	ID       int64 // set by Populate
}

// Populate creates the owners and gives each its QSOs, in rounds: every
// round imports a slice of every owner's log, so that the rows of one user
// end up spread over the whole table, as they do when many users import and
// sync over months. (One import per user would store each log contiguously
// and flatter every per-user query.)
func Populate(ctx context.Context, users awardtracker.UserService, qsos awardtracker.QSOService, owners []Owner, rounds int) error {
	for i := range owners {
		u, err := users.CreateUser(ctx, owners[i].Callsign, placeholderHash)
		if err != nil {
			return err
		}
		owners[i].ID = u.ID
	}
	for r := range rounds {
		for i, o := range owners {
			n := o.QSOs / rounds
			if r == rounds-1 {
				n = o.QSOs - n*(rounds-1)
			}
			if n == 0 {
				continue
			}
			// A seed per owner and round: every slice is a different
			// part of the owner's log.
			seed := uint64(i+1)<<16 | uint64(r+1)
			if err := Fill(ctx, qsos, o.ID, o.Callsign, n, seed); err != nil {
				return fmt.Errorf("bench: populate %s round %d: %w", o.Callsign, r, err)
			}
		}
	}
	return nil
}

// GrowthOwners are the owners of a database of about total QSOs in which
// the measured user ("TARGET", userQSOs QSOs) sits among others with
// perUser QSOs each. big, if not zero, adds one more user ("BIG") with that
// many QSOs, counted in total.
func GrowthOwners(total, userQSOs, big, perUser int) []Owner {
	owners := []Owner{{Callsign: "TARGET", QSOs: userQSOs}}
	rest := total - userQSOs
	if big > 0 {
		owners = append(owners, Owner{Callsign: "BIG", QSOs: big})
		rest -= big
	}
	for i := 0; rest > 0; i++ {
		n := min(perUser, rest)
		owners = append(owners, Owner{Callsign: fmt.Sprintf("OTHER%d", i), QSOs: n})
		rest -= n
	}
	return owners
}
