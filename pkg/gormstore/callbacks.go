package gormstore

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/perf"
)

// startKey is the context key under which the before-callback leaves the
// statement's start time (in the context rather than GORM's InstanceSet,
// which formats a key and boxes a value on every statement).
type startKey struct{}

// registerCallbacks times every GORM operation with the tracker. The query is
// named by the caller (perf.WithQuery, a bounded set such as "qso_stats"),
// else by operation and table ("query_qsos"); SQL text never becomes a label.
func registerCallbacks(g *gorm.DB, t *perf.Tracker, delay time.Duration) error {
	if t == nil && delay == 0 {
		return nil
	}
	before := func(db *gorm.DB) {
		db.Statement.Context = context.WithValue(db.Statement.Context, startKey{}, time.Now())
		if delay > 0 { // counted in the query's time: that is its point
			select {
			case <-time.After(delay):
			case <-db.Statement.Context.Done():
			}
		}
	}
	after := func(op string) func(*gorm.DB) {
		return func(db *gorm.DB) {
			if t == nil {
				return
			}
			start, ok := db.Statement.Context.Value(startKey{}).(time.Time)
			if !ok {
				return
			}
			name, ok := perf.QueryFrom(db.Statement.Context)
			if !ok {
				name = op + "_" + db.Statement.Table
			}
			t.Observe(name, time.Since(start))
		}
	}
	cb := g.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("perf:before_create", before),
		cb.Create().After("gorm:create").Register("perf:after_create", after("create")),
		cb.Query().Before("gorm:query").Register("perf:before_query", before),
		cb.Query().After("gorm:query").Register("perf:after_query", after("query")),
		cb.Update().Before("gorm:update").Register("perf:before_update", before),
		cb.Update().After("gorm:update").Register("perf:after_update", after("update")),
		cb.Delete().Before("gorm:delete").Register("perf:before_delete", before),
		cb.Delete().After("gorm:delete").Register("perf:after_delete", after("delete")),
		cb.Row().Before("gorm:row").Register("perf:before_row", before),
		cb.Row().After("gorm:row").Register("perf:after_row", after("row")),
		cb.Raw().Before("gorm:raw").Register("perf:before_raw", before),
		cb.Raw().After("gorm:raw").Register("perf:after_raw", after("raw")),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// errNoTransaction is what a create, update or delete outside DB.write
// fails with.
var errNoTransaction = errors.New("gormstore: write outside a transaction (use DB.write)")

// requireTransactions makes every GORM create, update and delete fail
// unless it runs in a transaction, that is inside DB.write: outside one, a
// failed implicit commit can be lost (see DB.write), so a write path that
// forgets DB.write fails in its first test instead of losing data on a full
// disk. Raw Exec statements are not covered (GORM routes them like
// queries); the migrations at Open are the only ones outside DB.write.
func requireTransactions(g *gorm.DB) error {
	check := func(db *gorm.DB) {
		if _, ok := db.Statement.ConnPool.(gorm.TxCommitter); !ok {
			_ = db.AddError(errNoTransaction)
		}
	}
	cb := g.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("awardtracker:tx_create", check),
		cb.Update().Before("gorm:update").Register("awardtracker:tx_update", check),
		cb.Delete().Before("gorm:delete").Register("awardtracker:tx_delete", check),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
