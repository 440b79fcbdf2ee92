package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/bench"
	"github.com/awardtracker/awardtracker/internal/app"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
)

// serveReady is the one line a serve child prints on stdout once it listens.
type serveReady struct {
	URL   string `json:"url"`
	Token string `json:"token,omitempty"`
}

// runServe is the child process that wrk loads: either the full service
// stack with one user whose statistics are cached, or a bare Echo server
// answering fixed bytes. It serves until its stdin is closed, so that it
// never outlives the driver.
func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	mode := fs.String("mode", "full", "full (the service stack) or bare (fixed bytes)")
	dir := fs.String("dir", "", "directory for the database (full)")
	qsos := fs.Int("qsos", 3000, "QSOs of the benchmark user (full)")
	warm := fs.Int("warm", 1000, "calls of each production query made before serving, so that the query tracker's windows are full as in a process that has been up a while (full)")
	bodies := fs.String("bodies", "", "JSON file mapping paths to files whose bytes are answered (bare)")
	logLevel := fs.String("log.level", "info", "log level of the stack (full); the service's default is info, which logs every request")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the serving (not the setup) to this file")
	fs.Parse(args)

	ctx := context.Background()
	var (
		handler http.Handler
		ready   serveReady
		closeFn = func() {}
	)
	switch *mode {
	case "full":
		// Request logs go to stderr at info level, as the service logs by
		// default; the driver sends them to a file.
		var level slog.Level
		if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
		s, err := bench.Open(ctx, bench.Options{DBPath: filepath.Join(*dir, "serve.db"), Logger: log})
		if err != nil {
			return err
		}
		closeFn = func() { s.Close(context.Background()) }
		u, tok, err := s.Auth.Register(ctx, "N0BENCH", "benchmark-password")
		if err != nil {
			return err
		}
		if err := bench.Fill(ctx, s.QSOs, u.ID, "N0BENCH", *qsos, 1); err != nil {
			return err
		}
		if err := warmTracker(ctx, s, u.ID, *warm); err != nil {
			return err
		}
		if _, err := s.Stats.Stats(ctx, u.ID); err != nil { // the cache hit wrk asks for
			return err
		}
		handler, ready.Token = s.Server.Handler(), tok
	case "bare":
		b, err := os.ReadFile(*bodies)
		if err != nil {
			return err
		}
		var files map[string]string
		if err := json.Unmarshal(b, &files); err != nil {
			return err
		}
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		for path, file := range files {
			body, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			e.GET(path, func(c echo.Context) error { return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body) })
		}
		handler = e
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	defer closeFn()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// The same server settings as api.Server.Open, so that both sides
	// differ only in their handlers.
	srv := &http.Server{
		Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready.URL = "http://" + ln.Addr().String()
	if err := json.NewEncoder(os.Stdout).Encode(ready); err != nil {
		return err
	}
	go func() { io.Copy(io.Discard, bufio.NewReader(os.Stdin)); srv.Close() }()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// warmTracker makes n calls of each query the API makes for a user, so that
// /api/health summarises full windows, as it does in a long-running process.
func warmTracker(ctx context.Context, s *app.Main, userID int64, n int) error {
	for range n {
		s.Caches.InvalidateUserCaches(ctx, userID)
		if _, err := s.Stats.Stats(ctx, userID); err != nil {
			return err
		}
		if _, err := s.Awards.Awards(ctx, userID); err != nil {
			return err
		}
		if _, _, err := s.QSOs.FindQSOs(ctx, userID, awardtracker.QSOFilter{Limit: 100}); err != nil {
			return err
		}
		if _, err := s.Users.FindUserByID(ctx, userID); err != nil {
			return err
		}
		if _, _, err := s.Users.FindUserByCallsign(ctx, demo.Callsign); awardtracker.ErrorCode(err) != awardtracker.ENOTFOUND {
			return fmt.Errorf("find unknown user: %v", err)
		}
	}
	return nil
}
