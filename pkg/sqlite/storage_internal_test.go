package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

func TestStorageFailure(t *testing.T) {
	for _, tc := range []struct {
		err        error
		reason     string
		unwritable bool
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, gormstore.ReasonDiskFull, true},
		{fmt.Errorf("commit: %w", sqlite3.Error{Code: sqlite3.ErrIoErr}), gormstore.ReasonIOError, true},
		{sqlite3.Error{Code: sqlite3.ErrReadonly}, gormstore.ReasonReadOnly, true},
		{sqlite3.Error{Code: sqlite3.ErrCantOpen}, gormstore.ReasonReadOnly, true},
		{sqlite3.Error{Code: sqlite3.ErrCorrupt}, gormstore.ReasonCorrupt, true},
		{sqlite3.Error{Code: sqlite3.ErrBusy}, gormstore.ReasonBusy, false},
		{awardtracker.WrapError(awardtracker.EUNAVAILABLE, "gone", errFileGone), gormstore.ReasonFileGone, true},
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, "", false},
		{context.Canceled, "", false},
		{awardtracker.Errorf(awardtracker.EINVALID, "bad record"), "", false},
		{nil, "", false},
	} {
		reason, unwritable := storageFailure(tc.err)
		if reason != tc.reason || unwritable != tc.unwritable {
			t.Errorf("storageFailure(%v) = %q, %v; want %q, %v", tc.err, reason, unwritable, tc.reason, tc.unwritable)
		}
	}
}
