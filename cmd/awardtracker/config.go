package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/ratelimit"
)

// config is everything the command line and the environment set: the
// service's configuration, and what this command does with it.
type config struct {
	app.Config
	// command is what to run: "serve" (the default), "backup" or
	// "migrate-db".
	command     string
	backupTo    string
	migrateFrom string // SQLite file
	migrateTo   string // PostgreSQL URL
	logLevel    string
	logFormat   string
}

// parseConfig reads flags, with AWARDTRACKER_<FLAG> environment variables
// as fallbacks (dots and dashes become underscores), like Prometheus's own
// exporters.
func parseConfig(args []string, stdout, stderr io.Writer) (*config, error) {
	var c config
	cli := kingpin.New("awardtracker", "Self-hosted award tracker for radio amateurs: QSOs, LoTW/DCL confirmations, award progress, Prometheus metrics.")
	cli.DefaultEnvars()
	cli.HelpFlag.Short('h')
	cli.UsageWriter(stdout)
	cli.ErrorWriter(stderr)
	exited := -1
	cli.Terminate(func(code int) { exited = code })

	cli.Flag("web.listen-address", "Address to serve the API and /metrics on.").Default(":3001").StringVar(&c.ListenAddress)
	cli.Flag("web.metrics-address", "If set, serve /metrics only on this separate address (e.g. an internal interface) instead of --web.listen-address.").StringVar(&c.MetricsAddress)
	cli.Flag("web.operator-token", "Token for the operator endpoints (/api/admin/...), sent as Authorization: Bearer or X-API-Key. When set, /metrics and the detailed /api/health need it too.").StringVar(&c.OperatorToken)
	cli.Flag("web.rate-limit.api", "Requests per client address to the whole /api: N/s, N/m or N/h, optional :burst; 0 disables.").Default("20/s:40").StringVar(&c.RateAPI)
	cli.Flag("web.rate-limit.auth", "Login and register attempts per client address (brute force), same syntax.").Default("5/m").StringVar(&c.RateAuth)
	cli.Flag("web.rate-limit.health", "Requests per client address to /api/health, same syntax.").Default("5/s:10").StringVar(&c.RateHealth)
	cli.Flag("web.max-body-bytes", "Largest JSON request body accepted.").Default("65536").Int64Var(&c.MaxBodyBytes)
	cli.Flag("web.max-import-bytes", "Largest ADIF upload accepted.").Default("67108864").Int64Var(&c.MaxImportBytes)
	cli.Flag("web.max-connections", "Most connections open at once on each listener; a new one closes the longest idle one, or waits while all are busy (0: no cap).").Default("1000").IntVar(&c.MaxConnections)
	var trustedProxies string
	cli.Flag("web.trusted-proxies", "Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Real-IP are believed (rate limits per client behind them). Empty: none; the connection's address counts.").StringVar(&trustedProxies)
	var dbURL string
	var dbPathSet bool
	cli.Flag("db.url", "Database: a postgres:// URL selects PostgreSQL (one database for several replicas); a file path or sqlite://PATH selects SQLite, as --db.path does.").StringVar(&dbURL)
	cli.Flag("db.path", "SQLite database file (created if missing); the same as --db.url=sqlite://PATH.").Default("data/awardtracker.db").IsSetByUser(&dbPathSet).StringVar(&c.DBPath)
	cli.Flag("demo", "Seed a demo account with a few thousand QSOs and a generated LoTW report confirming some of them, on a database that lacks it. Never in production: its password is public.").BoolVar(&c.Demo)
	cli.Flag("cache.ttl", "How long cached statistics and award progress stay valid (0 disables caching).").Default("5m").DurationVar(&c.CacheTTL)
	cli.Flag("log.level", "Log level: debug, info, warn or error.").Default("info").EnumVar(&c.logLevel, "debug", "info", "warn", "error")
	cli.Flag("log.format", "Log format: text or json.").Default("text").EnumVar(&c.logFormat, "text", "json")
	cli.Flag("sync.interval", "How often every user with stored credentials is synced from LoTW and DCL (0 disables).").Default("1h").DurationVar(&c.SyncInterval)
	cli.Flag("sync.concurrency", "How many LoTW/DCL syncs run at once; more wait their turn.").Default("4").IntVar(&c.SyncConcurrency)
	cli.Flag("sync.timeout", "Deadline of one sync, download and import together; a sync past it fails and writes nothing.").Default("1h").DurationVar(&c.SyncTimeout)
	cli.Flag("sync.rescue-after", "With PostgreSQL: a sync job running longer than this is taken for lost with its replica and run again by another one. Must be longer than --sync.timeout.").Default("1h15m").DurationVar(&c.SyncRescueAfter)
	cli.Flag("secrets.key", "Secret (at least 32 characters) from which the key that encrypts stored LoTW/DCL credentials is derived. Without it, credentials cannot be stored.").StringVar(&c.SecretsKey)
	cli.Flag("lotw.url", "LoTW report URL.").Default("https://lotw.arrl.org/lotwuser/lotwreport.adi").StringVar(&c.LoTWURL)
	cli.Flag("lotw.max-report-bytes", "Largest LoTW report downloaded (spooled to a temporary file); a larger one fails the sync. 1 GiB is about 1.6 million confirmations.").Default("1073741824").Int64Var(&c.LoTWMaxReportBytes)
	cli.Flag("dcl.url", "DCL ADIF export URL (DARC's draft interface).").Default("https://dings.dcl.darc.de/api/adiexport").StringVar(&c.DCLURL)
	cli.Flag("debug.query-delay", "Test only: add this delay to every database query.").Hidden().DurationVar(&c.QueryDelay)
	cli.Flag("debug.bcrypt-cost", "Test only: bcrypt cost of new password hashes (default bcrypt's 10), so that tests can register hundreds of users quickly.").Hidden().IntVar(&c.BcryptCost)
	cli.Flag("debug.sync-retry-base", "Test only: first wait before River retries a failed or rescued sync (default 5m).").Hidden().DurationVar(&c.SyncRetryBase)

	// The version -ldflags set in prometheus/common/version (Makefile,
	// Dockerfile), which build_info and the LoTW/DCL User-Agent show too.
	cli.Version(version.Print("awardtracker"))
	// Backups: the flags of scheduled snapshots, and the backup command.
	cli.Flag("backup.dir", "Directory for scheduled backups of the database (created 0700); needed with --backup.interval.").StringVar(&c.BackupDir)
	cli.Flag("backup.interval", "How often the running service writes a backup to --backup.dir (0 disables); the first is due one interval after the newest backup there, at once if there is none.").Default("0").DurationVar(&c.BackupInterval)
	cli.Flag("backup.keep", "How many of the newest scheduled backups to keep.").Default("7").IntVar(&c.BackupKeep)
	// Commands: serving is the default, so that `awardtracker --flags`
	// (Dockerfile, compose) keeps working; others plug in beside it.
	cli.Command("serve", "Serve the API (the default command).").Default()
	backupCmd := cli.Command("backup", "Write a consistent copy of the database at --db.path to a file (mode 0600), safely while the service runs.")
	backupCmd.Flag("to", "File to write the backup to; replaced only once the backup is complete.").Required().StringVar(&c.backupTo)

	migrateCmd := cli.Command("migrate-db", "Copy a SQLite database (users with their ids, QSOs, sync states, the token signing key) into a new, empty PostgreSQL database. Stop the service first.")
	migrateCmd.Flag("from", "SQLite database file to copy (a path or sqlite://PATH).").Required().StringVar(&c.migrateFrom)
	migrateCmd.Flag("to", "postgres:// URL of the empty database to copy into.").Required().StringVar(&c.migrateTo)

	command, err := cli.Parse(args)
	if exited >= 0 { // --help or --version printed; nothing to run
		return nil, errExit{code: exited}
	}
	if err != nil {
		return nil, err
	}
	c.command = command
	if err := c.resolveDB(dbURL, dbPathSet); err != nil {
		return nil, err
	}
	switch {
	case c.command == "migrate-db" && !postgres.IsURL(c.migrateTo):
		return nil, fmt.Errorf("migrate-db: --to must be a postgres:// URL, not %s", postgres.Redact(c.migrateTo))
	case c.DBURL != "" && c.command == "backup":
		return nil, fmt.Errorf("backup copies a SQLite database; back PostgreSQL up with its own tools (pg_dump)")
	case c.DBURL != "" && c.BackupInterval > 0:
		return nil, fmt.Errorf("--backup.interval copies a SQLite database; back PostgreSQL up with its own tools (pg_dump)")
	case c.BackupInterval < 0 || (c.BackupInterval > 0 && c.BackupInterval < time.Second):
		// Backups are named to the second.
		return nil, fmt.Errorf("--backup.interval must be 0 (off) or at least 1s")
	case c.BackupInterval > 0 && c.BackupDir == "":
		return nil, fmt.Errorf("--backup.interval needs --backup.dir")
	case c.BackupKeep < 1:
		return nil, fmt.Errorf("--backup.keep must be at least 1")
	}
	for _, p := range []string{c.RateAPI, c.RateAuth, c.RateHealth} {
		if _, _, err := ratelimit.ParsePolicy(p); err != nil {
			return nil, err
		}
	}
	if c.SyncConcurrency < 1 {
		return nil, fmt.Errorf("--sync.concurrency must be at least 1")
	}
	if c.SyncTimeout <= 0 {
		return nil, fmt.Errorf("--sync.timeout must be positive")
	}
	if c.SyncRescueAfter <= c.SyncTimeout {
		return nil, fmt.Errorf("--sync.rescue-after (%v) must be longer than --sync.timeout (%v): a slow sync would run twice at once", c.SyncRescueAfter, c.SyncTimeout)
	}
	if c.LoTWMaxReportBytes < 1 {
		return nil, fmt.Errorf("--lotw.max-report-bytes must be positive")
	}
	if c.SecretsKey != "" && len(c.SecretsKey) < 32 {
		return nil, fmt.Errorf("--secrets.key must be at least 32 characters")
	}
	// The operator token opens /metrics and the operator routes, and is
	// guessed online only at the API rate limit; a short one would still
	// fall to patience.
	if c.OperatorToken != "" && len(c.OperatorToken) < minOperatorTokenLength {
		return nil, fmt.Errorf("--web.operator-token must be at least %d characters (e.g. openssl rand -hex 32)", minOperatorTokenLength)
	}
	if c.MaxConnections < 0 {
		return nil, fmt.Errorf("--web.max-connections must be 0 (no cap) or more")
	}
	if c.TrustedProxies, err = ratelimit.ParseTrustedProxies(trustedProxies); err != nil {
		return nil, fmt.Errorf("--web.trusted-proxies: %w", err)
	}
	return &c, nil
}

// minOperatorTokenLength is the shortest --web.operator-token accepted.
const minOperatorTokenLength = 16

// errExit asks main to exit with code without starting: help was shown.
type errExit struct{ code int }

func (e errExit) Error() string { return fmt.Sprintf("exit %d", e.code) }

func (c *config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.logLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
