// Command awardtracker serves the award tracker. It reads the flags and
// the environment, handles signals and chooses the exit code; the service
// itself is assembled by internal/app.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/backup"
	"github.com/awardtracker/awardtracker/pkg/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run runs the command args ask for and returns the exit code: 0 after a
// clean stop, 1 when the service failed, 2 for bad flags. ready, if not
// nil, receives the server's URL once it serves (end-to-end tests use it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) int {
	cfg, err := parseConfig(args, stdout, stderr)
	var exit errExit
	if errors.As(err, &exit) {
		return exit.code
	}
	if err != nil {
		fmt.Fprintln(stderr, "awardtracker:", err)
		return 2
	}
	log := cfg.logger(stderr)
	switch cfg.command {
	case "serve":
		return runServe(ctx, cfg, log, stdout, ready)
	case "backup":
		return runBackup(ctx, cfg, log)
	case "migrate-db":
		return runMigrateDB(ctx, cfg, log)
	default: // parseConfig accepts only the commands handled here
		fmt.Fprintln(stderr, "awardtracker: no code for command", cfg.command)
		return 2
	}
}

// runServe is the serve command: it runs the service until ctx is done, then
// gives in-flight requests 30 seconds to finish.
func runServe(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer, ready chan<- string) int {
	m := app.New(cfg.Config, log, stdout)
	if err := m.Run(ctx); err != nil {
		log.Error("Cannot start", "err", err)
		return 1
	}
	if ready != nil {
		ready <- m.URL()
	}
	<-ctx.Done()
	log.Info("Shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Close(shutdownCtx); err != nil {
		log.Error("Unclean shutdown", "err", err)
		return 1
	}
	log.Info("Stopped")
	return 0
}

// runBackup is the backup command: a consistent copy of the database file,
// which a running service may have open, written safely to --to.
func runBackup(ctx context.Context, cfg *config, log *slog.Logger) int {
	// Renaming the backup over the live database would swap it under the
	// running service, which would go on writing to the unlinked file.
	if dbFile, err := os.Stat(cfg.DBPath); err == nil {
		if to, err := os.Stat(cfg.backupTo); err == nil && os.SameFile(dbFile, to) {
			log.Error("Backup refused: --to is the database itself", "path", cfg.backupTo)
			return 2
		}
	}
	src := backup.SourceFunc(func(ctx context.Context, path string) error {
		return sqlite.BackupFile(ctx, cfg.DBPath, path)
	})
	started := time.Now()
	size, err := backup.WriteFile(ctx, src, cfg.backupTo)
	if err != nil {
		log.Error("Backup failed", "err", err)
		return 1
	}
	log.Info("Backup written", "path", cfg.backupTo, "bytes", size, "duration", time.Since(started))
	return 0
}
