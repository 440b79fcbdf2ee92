package cache_test

import (
	"testing"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// DropUserCaches applies a peer's invalidation under the peer's reason;
// DropAllCaches drops everything as reconnect.
func TestCaches_Drop(t *testing.T) {
	e := newCachedEnv(t)
	e.importADIF(t, oneQSO, awardtracker.ImportOptions{})
	if got := e.total(t); got != 1 {
		t.Fatalf("total = %d, want 1", got)
	}
	e.caches.DropUserCaches(e.user, "sync")
	e.wantInvalidations(t, "sync", 1)
	e.caches.DropUserCaches(e.user, "from-the-future")
	e.wantInvalidations(t, "other", 1)
	e.total(t)
	e.caches.DropAllCaches()
	e.wantInvalidations(t, "reconnect", 1)
	for _, c := range e.caches.CacheCounters() {
		if c.Size != 0 {
			t.Errorf("%s holds %d items after DropAllCaches, want 0", c.Name, c.Size)
		}
	}
}
