package postgres

// The fleet's cache invalidations over LISTEN/NOTIFY live here, beside the
// connection pool, rather than in a package of their own: they are
// PostgreSQL's own mechanism, they need pgx (this package's driver) and the
// pool Open returned, and nothing else would use such a package.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/gormstore"
)

// NotifyChannel is the channel every replica listens on.
const NotifyChannel = "awardtracker_cache"

// lagBuckets run from a loopback delivery (well under a millisecond) to a
// few seconds, past which the invalidation is late enough to show on a
// dashboard whatever its exact value.
var lagBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// NotifierOptions configure NewNotifier.
type NotifierOptions struct {
	// Registerer receives the notifier's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger receives failed notifications and lost connections; nil
	// discards them.
	Logger *slog.Logger
	// ReconnectDelay is the wait before the listener reconnects after
	// losing its connection (default 1s).
	ReconnectDelay time.Duration
	// Now is the clock that stamps payloads and measures the lag (default
	// time.Now).
	Now func() time.Time
}

// Notifier carries the statistics and award caches' invalidations between
// the replicas of a fleet. As Options.Notifier it adds pg_notify to every
// write that changed a user's QSOs, inside the write's transaction, so that
// the notification is delivered exactly when the write commits; Listen
// applies the other replicas' on a connection of its own (LISTEN holds a
// session, so it cannot share the pool), reconnecting through
// github.com/jackc/pgxlisten when that connection is lost.
//
// A payload is "<user id> <reason> <commit time, µs since 1970> <sender>":
// the sender (random, per Notifier) lets a replica skip its own
// notifications, which its cache.QSOService applied after the write; the
// commit time (taken just before COMMIT) gives the lag. Nothing else (no
// callsign) travels.
type Notifier struct {
	dsn      string
	sender   string
	log      *slog.Logger
	now      func() time.Time
	delay    time.Duration
	pid      atomic.Uint32
	connects atomic.Uint64
	m        notifyMetrics
}

var _ gormstore.ChangeNotifier = (*Notifier)(nil)

// NewNotifier returns the notifier of a replica whose database is at dsn:
// pass it to Open, and run Listen.
func NewNotifier(dsn string, opts NotifierOptions) (*Notifier, error) {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	n := &Notifier{dsn: dsn, sender: hex.EncodeToString(id[:]), log: opts.Logger,
		now: opts.Now, delay: opts.ReconnectDelay, m: newNotifyMetrics(opts.Registerer)}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.delay == 0 {
		n.delay = time.Second
	}
	return n, nil
}

// NotifySQL is pg_notify of userID's invalidation, stamped now: the last
// statement of the write's transaction, just before its COMMIT.
func (n *Notifier) NotifySQL(userID int64, reason string) (string, []any) {
	return "SELECT pg_notify(?, ?)", []any{NotifyChannel, encodePayload(userID, reason, n.now(), n.sender)}
}

// Notified counts a notification whose transaction committed. One whose
// transaction rolled back was never delivered, and nothing had changed.
func (n *Notifier) Notified(err error) {
	if err == nil {
		n.m.sent.Inc()
	}
}

// Listen applies the other replicas' invalidations to d until ctx is done,
// and returns ctx's error. Whenever it (re)connects, it drops all of d's
// caches once LISTEN is in place: notifications sent while it was not
// listening are lost, and it cannot know whose they were. A lost
// connection drops them at once too, and it reconnects after the
// ReconnectDelay.
func (n *Notifier) Listen(ctx context.Context, d awardtracker.CacheDropper) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			conn, err := pgx.Connect(ctx, n.dsn)
			return conn, scrub(n.dsn, err)
		},
		// The handlers below never return errors, so that pgxlisten calls
		// this only when the connection failed or was lost.
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() != nil {
				return
			}
			n.m.up.Set(0)
			n.pid.Store(0)
			// Until it listens again, invalidations are lost; what is
			// cached now may already be stale.
			d.DropAllCaches()
			n.log.Warn("Cache invalidation listener lost its connection; all caches dropped", "err", scrub(n.dsn, err), "retry_in", n.delay)
		},
		ReconnectDelay: n.delay,
	}
	l.Handle(NotifyChannel, &handler{n: n, d: d})
	return l.Listen(ctx)
}

// PID returns the server process id of the listening connection, 0 while
// there is none (for logs and for tests that terminate it).
func (n *Notifier) PID() uint32 { return n.pid.Load() }

// Sender returns the id this replica's payloads carry.
func (n *Notifier) Sender() string { return n.sender }

// handler is pgxlisten's Handler and BacklogHandler of NotifyChannel.
type handler struct {
	n *Notifier
	d awardtracker.CacheDropper
}

// HandleBacklog runs after every LISTEN, the first one included: whatever
// was sent before it was missed.
//
// The counters move before the drop, so that whoever sees the drop sees
// them too.
func (h *handler) HandleBacklog(_ context.Context, _ string, conn *pgx.Conn) error {
	if h.n.connects.Add(1) > 1 {
		h.n.m.reconnects.Inc()
	}
	h.n.pid.Store(conn.PgConn().PID())
	h.n.m.up.Set(1)
	h.d.DropAllCaches()
	h.n.log.Info("Listening for cache invalidations", "channel", NotifyChannel, "backend_pid", conn.PgConn().PID())
	return nil
}

func (h *handler) HandleNotification(_ context.Context, nt *pgconn.Notification, _ *pgx.Conn) error {
	p, err := decodePayload(nt.Payload)
	if err != nil {
		// Not from a replica of this version: nothing to drop, and not a
		// reason to drop everything either.
		h.n.m.received.WithLabelValues("invalid").Inc()
		h.n.log.Warn("Cache invalidation not understood", "err", err)
		return nil
	}
	if p.sender == h.n.sender {
		return nil // applied before it was sent
	}
	h.d.DropUserCaches(p.userID, p.reason)
	// Clocks of two hosts may disagree: a negative lag is counted as 0.
	h.n.m.lag.Observe(max(h.n.now().Sub(p.committed), 0).Seconds())
	h.n.m.received.WithLabelValues("applied").Inc()
	return nil
}

// payload is one decoded notification.
type payload struct {
	userID    int64
	reason    string
	committed time.Time
	sender    string
}

func encodePayload(userID int64, reason string, committed time.Time, sender string) string {
	return strconv.FormatInt(userID, 10) + " " + reason + " " + strconv.FormatInt(committed.UnixMicro(), 10) + " " + sender
}

func decodePayload(s string) (payload, error) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return payload{}, fmt.Errorf("cache invalidation %q: want 4 fields", s)
	}
	id, err1 := strconv.ParseInt(f[0], 10, 64)
	us, err2 := strconv.ParseInt(f[2], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return payload{}, fmt.Errorf("cache invalidation %q: %w", s, err)
	}
	return payload{userID: id, reason: f[1], committed: time.UnixMicro(us), sender: f[3]}, nil
}

// notifyMetrics are the notifier's series; the names sit with the caches'
// (awardtracker_cache_*), whose invalidations they carry.
type notifyMetrics struct {
	sent       prometheus.Counter
	received   *prometheus.CounterVec
	reconnects prometheus.Counter
	up         prometheus.Gauge
	lag        prometheus.Histogram
}

func newNotifyMetrics(reg prometheus.Registerer) notifyMetrics {
	m := notifyMetrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "awardtracker_cache_notifications_sent_total",
			Help: "Cache invalidations sent to the other replicas (NOTIFY in a write's transaction that committed).",
		}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "awardtracker_cache_notifications_received_total",
			Help: "Other replicas' cache invalidations received, by outcome (applied, invalid); this replica's own are not counted.",
		}, []string{"outcome"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "awardtracker_cache_listener_reconnects_total",
			Help: "Times the cache invalidation listener listened again after losing its connection (each dropped all caches).",
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "awardtracker_cache_listener_up",
			Help: "1 while the cache invalidation listener listens, 0 otherwise.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "awardtracker_cache_invalidation_lag_seconds",
			Help:    "Time from a write's commit on another replica to this replica dropping the user's caches.",
			Buckets: lagBuckets,
		}),
	}
	for _, o := range []string{"applied", "invalid"} {
		m.received.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.received, m.reconnects, m.up, m.lag)
	}
	return m
}
