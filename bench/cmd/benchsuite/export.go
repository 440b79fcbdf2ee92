package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/awardtracker/awardtracker/bench"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/demo"
)

// exportUser owns the exported log.
const (
	exportUser     = "N0EXPORT"
	exportPassword = "benchmark-password"
)

// runExport is the child process of the export row, one step per process
// so that each step's peak RSS is its own:
//
//	-mode prepare  build -dir's database: one user with -qsos QSOs
//	-mode read     read the user's rows alone, as the export reads them
//	               (ExportQSOs, discarding them): the baseline
//	-mode export   GET /api/qsos/export through the service stack on
//	               loopback, the body read and discarded by a client in
//	               the same process
func runExport(args []string) error {
	fs := flag.NewFlagSet("export", flag.ExitOnError)
	mode := fs.String("mode", "export", "prepare, read or export")
	dir := fs.String("dir", "", "directory of the database")
	n := fs.Int("qsos", 100_000, "QSOs of the user (prepare)")
	fs.Parse(args)

	ctx := context.Background()
	s, err := bench.Open(ctx, bench.Options{DBPath: filepath.Join(*dir, "export.db"), BcryptCost: 4})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	var res syncResult
	switch *mode {
	case "prepare":
		u, _, err := s.Auth.Register(ctx, exportUser, exportPassword)
		if err != nil {
			return err
		}
		if err := bench.Fill(ctx, s.QSOs, u.ID, exportUser, *n, 1); err != nil {
			return err
		}
		return nil
	case "read":
		u, _, err := s.Users.FindUserByCallsign(ctx, exportUser)
		if err != nil {
			return err
		}
		start := time.Now()
		for _, err := range s.QSOs.ExportQSOs(ctx, u.ID, awardtracker.ExportFilter{}) {
			if err != nil {
				return err
			}
			res.Records++
		}
		res.Seconds = time.Since(start).Seconds()
	case "export":
		_, tok, err := s.Auth.Login(ctx, exportUser, exportPassword)
		if err != nil {
			return err
		}
		if err := s.Server.Open("127.0.0.1:0"); err != nil {
			return err
		}
		req, err := http.NewRequest("GET", s.Server.URL()+"/api/qsos/export", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		// Counting records in the stream would cost the client more than
		// the bytes; the server says how many it wrote.
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		resp.Body.Close()
		res.Seconds = time.Since(start).Seconds()
		if resp.StatusCode != 200 {
			return fmt.Errorf("export: status %d", resp.StatusCode)
		}
		fmt.Sscan(resp.Header.Get("X-Record-Count"), &res.Records)
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	rss, err := peakRSS()
	if err != nil {
		return err
	}
	res.PeakRSS = rss
	return json.NewEncoder(os.Stdout).Encode(res)
}

// measureExport runs row 8: exporting a large log through the API, against
// reading the same rows alone, each run in its own process for its peak
// RSS, alternating.
func measureExport(self, tmp string, o suiteOptions, t *table, progress io.Writer) error {
	dir := filepath.Join(tmp, "export")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	run := func(args ...string) (syncResult, error) {
		cmd := exec.Command(self, append([]string{"export", "-dir", dir}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return syncResult{}, fmt.Errorf("export %v: %w: %s", args, err, stderr.Bytes())
		}
		var r syncResult
		if stdout.Len() == 0 {
			return r, nil
		}
		return r, json.Unmarshal(stdout.Bytes(), &r)
	}
	fmt.Fprintf(progress, ">> export: preparing a %s-QSO log\n", commas(float64(o.exportQSOs)))
	if _, err := run("-mode", "prepare", "-qsos", fmt.Sprint(o.exportQSOs)); err != nil {
		return err
	}
	var read, export syncMeasure
	var readSecs, exportSecs []float64
	for i := range o.exportRuns {
		for _, m := range []struct {
			mode string
			secs *[]float64
			into *syncMeasure
		}{{"read", &readSecs, &read}, {"export", &exportSecs, &export}} {
			r, err := run("-mode", m.mode)
			if err != nil {
				return err
			}
			// Fill adds the demo log's fixed QSOs to the generated ones.
			if want := demo.Count(demo.Options{QSOs: o.exportQSOs}); r.Records != want {
				return fmt.Errorf("export %s: %d records, want %d", m.mode, r.Records, want)
			}
			fmt.Fprintf(progress, "   %-6s run %d: %d records in %.2fs, peak RSS %.1f MB\n", m.mode, i+1, r.Records, r.Seconds, float64(r.PeakRSS)/1e6)
			*m.secs = append(*m.secs, r.Seconds)
			m.into.Records, m.into.MaxRSS = r.Records, max(m.into.MaxRSS, r.PeakRSS)
		}
	}
	read.Seconds, export.Seconds = median(readSecs), median(exportSecs)
	read.RecPerSec, export.RecPerSec = float64(read.Records)/read.Seconds, float64(export.Records)/export.Seconds
	t.rows = append(t.rows, row{"8",
		fmt.Sprintf("`GET /api/qsos/export` of a %s-QSO log (ADIF written to a spool file, then sent over loopback), one process per run", commas(float64(export.Records))),
		fmt.Sprintf("%s QSOs/s (%s), peak RSS %.0f MB", commas(export.RecPerSec), dur(export.Seconds), float64(export.MaxRSS)/1e6),
		fmt.Sprintf("reading the same rows alone (`ExportQSOs`): %s QSOs/s (%s), peak RSS %.0f MB", commas(read.RecPerSec), dur(read.Seconds), float64(read.MaxRSS)/1e6),
		fmt.Sprintf("export takes %.0f %% of the read time", 100*export.Seconds/read.Seconds),
		"≤ 300 % of the read time; peak RSS ≤ 100 MB", export.Seconds <= 3*read.Seconds && export.MaxRSS <= 100e6})
	return nil
}
