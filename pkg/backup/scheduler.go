package backup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Scheduled backups are named awardtracker-<UTC time>.db, so that names
// sort by age and say when they were taken.
const (
	namePrefix = "awardtracker-"
	nameSuffix = ".db"
	nameStamp  = "20060102T150405Z"
)

// Options configure a Scheduler.
type Options struct {
	Dir      string        // where backups go (created 0700 if missing)
	Interval time.Duration // how often Run takes one
	Keep     int           // how many of the newest backups to keep (at least 1)
	Source   Source
	// Registerer receives the backup metrics; required.
	Registerer prometheus.Registerer
	Logger     *slog.Logger     // nil discards
	Now        func() time.Time // the clock; nil means time.Now
}

// Scheduler takes a backup every interval and prunes old ones.
type Scheduler struct {
	opts    Options
	metrics *metrics
	newest  time.Time // when the newest backup in the directory was taken at New
}

// New checks opts, creates the directory, removes temporary files a crash
// left there, and registers the metrics, with the last success set from
// the newest backup already in the directory (so that a restart does not
// forget how old the newest backup is).
func New(opts Options) (*Scheduler, error) {
	switch {
	case opts.Dir == "":
		return nil, errors.New("backup: no directory")
	case opts.Interval <= 0:
		return nil, errors.New("backup: the interval must be positive")
	case opts.Keep < 1:
		return nil, errors.New("backup: keep at least one backup")
	case opts.Source == nil || opts.Registerer == nil:
		return nil, errors.New("backup: a source and a registerer are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	m.interval.Set(opts.Interval.Seconds())
	s := &Scheduler{opts: opts, metrics: m}
	s.removeTemps()
	backups, err := s.list()
	if err != nil {
		return nil, err
	}
	if n := len(backups); n > 0 {
		newest := backups[n-1]
		s.newest = newest.taken
		m.lastSuccess.Set(float64(newest.taken.Unix()))
		if fi, err := os.Stat(newest.path); err == nil {
			m.size.Set(float64(fi.Size()))
		}
	}
	return s, nil
}

// Run takes a backup every interval until ctx is done. The first is due
// one interval after the newest backup already in the directory (at once
// if there is none, or it is older), so that restarts neither skip backups
// nor add any: a service restarted more often than the interval still
// takes one per interval. A failed backup is logged and counted, and the
// next one is due an interval later; Run never gives up.
func (s *Scheduler) Run(ctx context.Context) {
	wait := s.newest.Add(s.opts.Interval).Sub(s.opts.Now())
	t := time.NewTimer(min(max(wait, 0), s.opts.Interval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Once(ctx) // logged and counted by Once
			t.Reset(s.opts.Interval)
		}
	}
}

// Once takes one backup now, then removes the oldest beyond Keep, and
// returns the new backup's path.
func (s *Scheduler) Once(ctx context.Context) (string, error) {
	started := s.opts.Now()
	path := filepath.Join(s.opts.Dir, namePrefix+started.UTC().Format(nameStamp)+nameSuffix)
	size, err := WriteFile(ctx, s.opts.Source, path)
	s.metrics.duration.Set(s.opts.Now().Sub(started).Seconds())
	if err != nil {
		s.metrics.failures.Inc()
		s.metrics.lastRun.Set(0)
		s.opts.Logger.Error("Backup failed", "err", err)
		return "", err
	}
	s.metrics.lastRun.Set(1)
	s.metrics.lastSuccess.Set(float64(started.Unix()))
	s.metrics.size.Set(float64(size))
	s.opts.Logger.Info("Backup written", "path", path, "bytes", size, "duration", s.opts.Now().Sub(started))
	if err := s.prune(); err != nil {
		// The backup itself is fine; the disk fills up slowly, and the
		// next run tries again.
		s.opts.Logger.Warn("Cannot remove old backups", "err", err)
	}
	return path, nil
}

type stored struct {
	path  string
	taken time.Time
}

// list returns the backups in the directory, oldest first. Files that are
// not named like a backup (temporary files, the operator's own) are left
// alone.
func (s *Scheduler) list() ([]stored, error) {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	var out []stored
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), namePrefix)
		if stamp, ok2 := strings.CutSuffix(stamp, nameSuffix); ok && ok2 && e.Type().IsRegular() {
			if t, err := time.Parse(nameStamp, stamp); err == nil {
				out = append(out, stored{filepath.Join(s.opts.Dir, e.Name()), t})
			}
		}
	}
	slices.SortFunc(out, func(a, b stored) int { return cmp.Compare(a.path, b.path) })
	return out, nil
}

func (s *Scheduler) prune() error {
	backups, err := s.list()
	if err != nil {
		return err
	}
	var errs []error
	for len(backups) > s.opts.Keep {
		if err := os.Remove(backups[0].path); err != nil {
			errs = append(errs, err)
		}
		backups = backups[1:]
	}
	return errors.Join(errs...)
}

// removeTemps deletes what a backup interrupted by a crash or a kill left
// behind. It runs when the service starts, before its first backup.
func (s *Scheduler) removeTemps() {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if isTemp(e.Name()) {
			os.Remove(filepath.Join(s.opts.Dir, e.Name()))
		}
	}
}
