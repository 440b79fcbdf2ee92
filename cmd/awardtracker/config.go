package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	promversion "github.com/prometheus/common/version"

	"github.com/awardtracker/awardtracker/pkg/postgres"
	"github.com/awardtracker/awardtracker/pkg/ratelimit"
)

// config is everything the command line and the environment set.
type config struct {
	listenAddress  string
	metricsAddress string
	operatorToken  string
	rateAPI        string
	rateAuth       string
	rateHealth     string
	maxBodyBytes   int64
	maxImportBytes int64
	maxConnections int
	trustedProxies []netip.Prefix
	dbPath         string // SQLite file, when dbURL is ""
	dbURL          string // PostgreSQL URL
	demo           bool
	cacheTTL       time.Duration
	logLevel       string
	logFormat      string
	syncInterval   time.Duration
	secretsKey     string
	lotwURL        string
	lotwMaxReport  int64
	dclURL         string
	syncWorkers    int
	syncTimeout    time.Duration
	syncRescue     time.Duration
	queryDelay     time.Duration

	// command is what to run: "serve" (the default), "backup" or
	// "migrate-db".
	command        string
	backupTo       string
	backupDir      string
	backupInterval time.Duration
	backupKeep     int
	migrateFrom    string // SQLite file
	migrateTo      string // PostgreSQL URL
}

// parseConfig reads flags, with AWARDTRACKER_<FLAG> environment variables
// as fallbacks (dots and dashes become underscores), like Prometheus's own
// exporters.
func parseConfig(args []string, stdout, stderr io.Writer) (*config, error) {
	var c config
	app := kingpin.New("awardtracker", "Self-hosted award tracker for radio amateurs: QSOs, LoTW/DCL confirmations, award progress, Prometheus metrics.")
	app.DefaultEnvars()
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	exited := -1
	app.Terminate(func(code int) { exited = code })

	app.Flag("web.listen-address", "Address to serve the API and /metrics on.").Default(":3001").StringVar(&c.listenAddress)
	app.Flag("web.metrics-address", "If set, serve /metrics only on this separate address (e.g. an internal interface) instead of --web.listen-address.").StringVar(&c.metricsAddress)
	app.Flag("web.operator-token", "Token for the operator endpoints (/api/admin/...), sent as Authorization: Bearer or X-API-Key. When set, /metrics and the detailed /api/health need it too.").StringVar(&c.operatorToken)
	app.Flag("web.rate-limit.api", "Requests per client address to the whole /api: N/s, N/m or N/h, optional :burst; 0 disables.").Default("20/s:40").StringVar(&c.rateAPI)
	app.Flag("web.rate-limit.auth", "Login and register attempts per client address (brute force), same syntax.").Default("5/m").StringVar(&c.rateAuth)
	app.Flag("web.rate-limit.health", "Requests per client address to /api/health, same syntax.").Default("5/s:10").StringVar(&c.rateHealth)
	app.Flag("web.max-body-bytes", "Largest JSON request body accepted.").Default("65536").Int64Var(&c.maxBodyBytes)
	app.Flag("web.max-import-bytes", "Largest ADIF upload accepted.").Default("67108864").Int64Var(&c.maxImportBytes)
	app.Flag("web.max-connections", "Most connections open at once on each listener; a new one closes the longest idle one, or waits while all are busy (0: no cap).").Default("1000").IntVar(&c.maxConnections)
	var trustedProxies string
	app.Flag("web.trusted-proxies", "Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Real-IP are believed (rate limits per client behind them). Empty: none; the connection's address counts.").StringVar(&trustedProxies)
	var dbURL string
	var dbPathSet bool
	app.Flag("db.url", "Database: a postgres:// URL selects PostgreSQL (one database for several replicas); a file path or sqlite://PATH selects SQLite, as --db.path does.").StringVar(&dbURL)
	app.Flag("db.path", "SQLite database file (created if missing); the same as --db.url=sqlite://PATH.").Default("data/awardtracker.db").IsSetByUser(&dbPathSet).StringVar(&c.dbPath)
	app.Flag("demo", "Seed a demo account with a few thousand QSOs on an empty database, and show a LoTW sync against a local fake LoTW.").BoolVar(&c.demo)
	app.Flag("cache.ttl", "How long cached statistics and award progress stay valid (0 disables caching).").Default("5m").DurationVar(&c.cacheTTL)
	app.Flag("log.level", "Log level: debug, info, warn or error.").Default("info").EnumVar(&c.logLevel, "debug", "info", "warn", "error")
	app.Flag("log.format", "Log format: text or json.").Default("text").EnumVar(&c.logFormat, "text", "json")
	app.Flag("sync.interval", "How often every user with stored credentials is synced from LoTW and DCL (0 disables).").Default("1h").DurationVar(&c.syncInterval)
	app.Flag("sync.concurrency", "How many LoTW/DCL syncs run at once; more wait their turn.").Default("4").IntVar(&c.syncWorkers)
	app.Flag("sync.timeout", "Deadline of one sync, download and import together; a sync past it fails and writes nothing.").Default("1h").DurationVar(&c.syncTimeout)
	app.Flag("sync.rescue-after", "With PostgreSQL: a sync job running longer than this is taken for lost with its replica and run again by another one. Must be longer than --sync.timeout.").Default("1h15m").DurationVar(&c.syncRescue)
	app.Flag("secrets.key", "Secret (at least 32 characters) from which the key that encrypts stored LoTW/DCL credentials is derived. Without it, credentials cannot be stored.").StringVar(&c.secretsKey)
	app.Flag("lotw.url", "LoTW report URL.").Default("https://lotw.arrl.org/lotwuser/lotwreport.adi").StringVar(&c.lotwURL)
	app.Flag("lotw.max-report-bytes", "Largest LoTW report downloaded (spooled to a temporary file); a larger one fails the sync. 1 GiB is about 1.6 million confirmations.").Default("1073741824").Int64Var(&c.lotwMaxReport)
	app.Flag("dcl.url", "DCL ADIF export URL (DARC's draft interface).").Default("https://dings.dcl.darc.de/api/adiexport").StringVar(&c.dclURL)
	app.Flag("debug.query-delay", "Test only: add this delay to every database query.").Hidden().DurationVar(&c.queryDelay)

	// Backups: the flags of scheduled snapshots, and the backup command.
	// Serving stays the default command, so that `awardtracker --flags`
	// (Dockerfile, compose) keeps working.
	app.Version(promversion.Print("awardtracker"))
	app.Flag("backup.dir", "Directory for scheduled backups of the database (created 0700); needed with --backup.interval.").StringVar(&c.backupDir)
	app.Flag("backup.interval", "How often the running service writes a backup to --backup.dir (0 disables); the first is due one interval after the newest backup there, at once if there is none.").Default("0").DurationVar(&c.backupInterval)
	app.Flag("backup.keep", "How many of the newest scheduled backups to keep.").Default("7").IntVar(&c.backupKeep)
	app.Command("serve", "Serve the API (the default command).").Default()
	backupCmd := app.Command("backup", "Write a consistent copy of the database at --db.path to a file (mode 0600), safely while the service runs.")
	backupCmd.Flag("to", "File to write the backup to; replaced only once the backup is complete.").Required().StringVar(&c.backupTo)

	migrateCmd := app.Command("migrate-db", "Copy a SQLite database (users with their ids, QSOs, sync states, the token signing key) into a new, empty PostgreSQL database. Stop the service first.")
	migrateCmd.Flag("from", "SQLite database file to copy (a path or sqlite://PATH).").Required().StringVar(&c.migrateFrom)
	migrateCmd.Flag("to", "postgres:// URL of the empty database to copy into.").Required().StringVar(&c.migrateTo)

	command, err := app.Parse(args)
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
	case c.dbURL != "" && c.command == "backup":
		return nil, fmt.Errorf("backup copies a SQLite database; back PostgreSQL up with its own tools (pg_dump)")
	case c.dbURL != "" && c.backupInterval > 0:
		return nil, fmt.Errorf("--backup.interval copies a SQLite database; back PostgreSQL up with its own tools (pg_dump)")
	case c.backupInterval < 0 || (c.backupInterval > 0 && c.backupInterval < time.Second):
		// Backups are named to the second.
		return nil, fmt.Errorf("--backup.interval must be 0 (off) or at least 1s")
	case c.backupInterval > 0 && c.backupDir == "":
		return nil, fmt.Errorf("--backup.interval needs --backup.dir")
	case c.backupKeep < 1:
		return nil, fmt.Errorf("--backup.keep must be at least 1")
	}
	for _, p := range []string{c.rateAPI, c.rateAuth, c.rateHealth} {
		if _, _, err := ratelimit.ParsePolicy(p); err != nil {
			return nil, err
		}
	}
	if c.syncWorkers < 1 {
		return nil, fmt.Errorf("--sync.concurrency must be at least 1")
	}
	if c.syncTimeout <= 0 {
		return nil, fmt.Errorf("--sync.timeout must be positive")
	}
	if c.syncRescue <= c.syncTimeout {
		return nil, fmt.Errorf("--sync.rescue-after (%v) must be longer than --sync.timeout (%v): a slow sync would run twice at once", c.syncRescue, c.syncTimeout)
	}
	if c.lotwMaxReport < 1 {
		return nil, fmt.Errorf("--lotw.max-report-bytes must be positive")
	}
	if c.secretsKey != "" && len(c.secretsKey) < 32 {
		return nil, fmt.Errorf("--secrets.key must be at least 32 characters")
	}
	// The operator token opens /metrics and the operator routes, and is
	// guessed online only at the API rate limit; a short one would still
	// fall to patience.
	if c.operatorToken != "" && len(c.operatorToken) < minOperatorTokenLength {
		return nil, fmt.Errorf("--web.operator-token must be at least %d characters (e.g. openssl rand -hex 32)", minOperatorTokenLength)
	}
	if c.maxConnections < 0 {
		return nil, fmt.Errorf("--web.max-connections must be 0 (no cap) or more")
	}
	if c.trustedProxies, err = ratelimit.ParseTrustedProxies(trustedProxies); err != nil {
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
