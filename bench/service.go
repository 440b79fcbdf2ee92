package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Options configure Open.
type Options struct {
	// DBPath is the SQLite file; it is created if missing.
	DBPath string
	// DBURL, a postgres:// URL, puts the storage on PostgreSQL instead.
	DBURL string
	// Logger receives the service's logs, request lines included; nil
	// discards them.
	Logger *slog.Logger
	// BcryptCost defaults to bcrypt's default, the service's.
	BcryptCost int
	// LoTWURL is where the LoTW client downloads (a fake LoTW on
	// loopback); empty: nowhere reachable. SecretsKey seals stored
	// credentials (empty: none can be stored).
	LoTWURL    string
	SecretsKey string
}

// unlimited is a rate no benchmark reaches. The rate limiters run as in
// production, so their cost is part of every request, but their refusals
// are not (production allows 20 requests/s per client address, and wrk is
// one address).
const unlimited = "1000000000/s:1073741824"

// Open runs the service as internal/app assembles it for cmd/awardtracker,
// so that benchmarks measure, and /metrics exports, what production does.
// What differs: nothing listens (benchmarks drive Server.Handler()), the
// rate limits are out of reach, and no scheduled sync runs; should one
// ever be started, the LoTW and DCL URLs lead nowhere off loopback.
func Open(ctx context.Context, opts Options) (*app.Main, error) {
	if opts.LoTWURL == "" {
		opts.LoTWURL = "http://127.0.0.1:1/lotwuser/lotwreport.adi"
	}
	m := app.New(app.Config{
		DBPath:   opts.DBPath,
		DBURL:    opts.DBURL,
		CacheTTL: 5 * time.Minute, // --cache.ttl's default
		RateAPI:  unlimited, RateAuth: unlimited, RateHealth: unlimited,
		LoTWURL:    opts.LoTWURL,
		DCLURL:     "http://127.0.0.1:1/api/adiexport",
		SecretsKey: opts.SecretsKey,
		BcryptCost: opts.BcryptCost,
	}, opts.Logger, nil)
	if err := m.Run(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// placeholderHash stands in for a bcrypt hash: fixtures create thousands of
// users, and hashing is not what they measure. Nobody logs in as them.
var placeholderHash = bytes.Repeat([]byte("x"), 60)

// CreateUsers creates n users named <prefix><i> and returns their ids.
func CreateUsers(ctx context.Context, users awardtracker.UserService, prefix string, n int) ([]int64, error) {
	ids := make([]int64, n)
	for i := range n {
		u, err := users.CreateUser(ctx, fmt.Sprintf("%s%d", prefix, i), placeholderHash)
		if err != nil {
			return nil, err
		}
		ids[i] = u.ID
	}
	return ids, nil
}

// TempDBPath is a database file name in dir.
func TempDBPath(dir, name string) string { return filepath.Join(dir, name+".db") }
