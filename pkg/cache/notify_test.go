package cache_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// notified records what QSOService tells the other replicas. The real
// notifier (package postgres) is tested against PostgreSQL there; here the
// question is only when the decorator calls it.
type notified struct {
	mu   sync.Mutex
	sent []string
}

func (n *notified) NotifyCacheInvalidation(_ context.Context, _ int64, reason string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, reason)
	return nil
}

func (n *notified) reasons() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.sent, ",")
}

func TestQSOService_Notifier(t *testing.T) {
	e := newCachedEnv(t)
	n := new(notified)
	e.qsos.WithNotifier(n)

	e.importADIF(t, oneQSO, awardtracker.ImportOptions{})
	// The same record again changes nothing: nobody needs to drop anything.
	e.importADIF(t, oneQSO, awardtracker.ImportOptions{})
	if got, want := n.reasons(), "import"; got != want {
		t.Fatalf("notified %q, want %q", got, want)
	}

	// A failed import wrote nothing and tells nobody.
	_, err := e.qsos.ImportQSOs(context.Background(), e.user, awardtracker.SourceLog,
		adif.Records(strings.NewReader("no ADIF here"), awardtracker.SourceLog), awardtracker.ImportOptions{})
	if err == nil {
		t.Fatal("import of a file without ADIF succeeded")
	}

	qsos, _, err := e.qsos.FindQSOs(context.Background(), e.user, awardtracker.QSOFilter{Limit: 10})
	if err != nil || len(qsos) != 1 {
		t.Fatalf("FindQSOs = %d QSOs, %v; want 1", len(qsos), err)
	}
	if err := e.qsos.DeleteQSO(context.Background(), e.user, qsos[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, want := n.reasons(), "import,delete"; got != want {
		t.Fatalf("notified %q, want %q", got, want)
	}
}

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
