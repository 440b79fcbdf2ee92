package monitoring

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// No Docker engine runs on our machines, so docker-compose.yml and the
// Dockerfile are checked by loading them the way docker compose does
// (compose-go, the library docker compose uses) and by following every
// path they name back into the repository.

type composeProject struct{ *types.Project }

func loadCompose(t testing.TB, profiles ...string) composeProject {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithProfiles(profiles),
		cli.WithWorkingDirectory(root),
		// A fixed, empty environment: the ${VAR:-default}s take their
		// defaults whatever the machine running the test has set.
		cli.WithEnv(nil),
		cli.WithDiscardEnvFile,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return composeProject{p}
}

type composeService struct {
	types.ServiceConfig
	root string
}

func (p composeProject) service(t testing.TB, name string) composeService {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %s", name)
	}
	return composeService{s, p.WorkingDir}
}

// mountSource returns the host path bind-mounted at target, or at a parent
// of it (then with the rest of the path appended).
func (s composeService) mountSource(target string) (string, bool) {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if target == v.Target {
			return v.Source, true
		}
		if rest, ok := strings.CutPrefix(target, v.Target+"/"); ok {
			return filepath.Join(v.Source, filepath.FromSlash(rest)), true
		}
	}
	return "", false
}

// flag returns the value of --name=value in the service's command.
func (s composeService) flag(name string) string {
	for _, arg := range s.Command {
		if v, ok := strings.CutPrefix(arg, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

func (s composeService) publishes(port uint32) bool {
	for _, p := range s.Ports {
		if p.Target == port && p.Published != "" {
			return true
		}
	}
	return false
}

func TestCompose(t *testing.T) {
	root := repoRoot(t)
	p := loadCompose(t)
	if p.WorkingDir != root {
		t.Errorf("project directory %s; want %s", p.WorkingDir, root)
	}
	// The default stack (no profile) is these four and nothing else.
	if got, want := p.ServiceNames(), []string{"alertmanager", "awardtracker", "grafana", "prometheus"}; !slices.Equal(got, want) {
		t.Errorf("services without a profile: got %v, want %v", got, want)
	}
	for _, name := range []string{"awardtracker", "prometheus", "alertmanager", "grafana"} {
		p.checkService(t, name)
	}
	p.checkDefault(t)
}

// checkService checks what every service must satisfy: bind mounts from
// the repository, read-only, existing; declared volumes; pinned images.
func (p composeProject) checkService(t *testing.T, name string) {
	t.Helper()
	root := repoRoot(t)
	{
		s := p.service(t, name)
		// Every bind mount comes from the repository and exists there;
		// configuration is mounted read-only.
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeBind:
				rel, err := filepath.Rel(root, v.Source)
				if err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s: mounts %s from outside the repository", name, v.Source)
					continue
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: mounts %s, which does not exist: %v", name, rel, err)
				}
				if !v.ReadOnly {
					t.Errorf("%s: mounts %s writable; want :ro", name, rel)
				}
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s: uses volume %s, which is not declared", name, v.Source)
				}
			}
		}
		if s.Build == nil {
			// Third-party images are pinned, never latest.
			if i := strings.LastIndex(s.Image, ":"); i < 0 || s.Image[i+1:] == "latest" {
				t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
			}
		}
	}
}

// checkDefault checks the wiring of the default stack.
func (p composeProject) checkDefault(t *testing.T) {
	t.Helper()
	root := repoRoot(t)

	// awardtracker is built from this repository's Dockerfile and listens
	// where Prometheus scrapes it.
	at := p.service(t, "awardtracker")
	if at.Build == nil || at.Build.Context != root {
		t.Fatalf("awardtracker: build %+v; want the repository as context", at.Build)
	}
	if _, err := os.Stat(filepath.Join(at.Build.Context, at.Build.Dockerfile)); err != nil {
		t.Errorf("awardtracker: Dockerfile: %v", err)
	}
	var prom prometheusConfig
	readYAML(t, filepath.Join(root, "prometheus.yml"), &prom)
	job := prom.job("awardtracker")
	targets := staticTargets(job)
	if len(targets) != 1 || targets[0] != "awardtracker:3001" {
		t.Errorf("prometheus.yml scrapes %v; want awardtracker:3001 (the compose service)", targets)
	}
	if addr := at.flag("web.listen-address"); addr != ":3001" {
		t.Errorf("awardtracker listens on %q; want :3001", addr)
	}
	if !at.publishes(3001) {
		t.Errorf("awardtracker: port 3001 not published")
	}

	// Prometheus reads prometheus.yml and, relative to it, the rule files.
	ps := p.service(t, "prometheus")
	cfgPath := ps.flag("config.file")
	src, ok := ps.mountSource(cfgPath)
	if !ok || src != filepath.Join(root, "prometheus.yml") {
		t.Errorf("prometheus: --config.file=%s comes from %q; want prometheus.yml", cfgPath, src)
	}
	for _, glob := range prom.RuleFiles {
		inContainer := path.Join(path.Dir(cfgPath), glob)
		hostGlob, ok := ps.mountSource(inContainer)
		if !ok {
			t.Errorf("prometheus: rule files %s are not mounted", inContainer)
			continue
		}
		matches, _ := filepath.Glob(hostGlob)
		if len(matches) != len(ruleFiles(t)) {
			t.Errorf("prometheus: rule_files %s finds %v in the container; want the %d files of alerts/", glob, matches, len(ruleFiles(t)))
		}
	}
	if !ps.publishes(9090) {
		t.Errorf("prometheus: port 9090 not published")
	}
	if retention := ps.flag("storage.tsdb.retention.time"); retention == "" {
		t.Errorf("prometheus: no --storage.tsdb.retention.time; the 30-day SLO window needs more than the 15d default")
	}

	// Alertmanager: its config, and the target prometheus.yml sends to.
	am := p.service(t, "alertmanager")
	if src, ok := am.mountSource(am.flag("config.file")); !ok || src != filepath.Join(root, "alertmanager.yml") {
		t.Errorf("alertmanager: --config.file=%s comes from %q; want alertmanager.yml", am.flag("config.file"), src)
	}
	var amTargets []string
	for _, a := range prom.Alerting.Alertmanagers {
		for _, sc := range a.StaticConfigs {
			amTargets = append(amTargets, sc.Targets...)
		}
	}
	if len(amTargets) != 1 || amTargets[0] != "alertmanager:9093" {
		t.Errorf("prometheus.yml alerts %v; want alertmanager:9093 (the compose service)", amTargets)
	}
	if !am.publishes(9093) {
		t.Errorf("alertmanager: port 9093 not published")
	}

	// Grafana: provisioning from dashboards/provisioning, datasource URL
	// pointing at the compose service.
	gf := p.service(t, "grafana")
	for _, dir := range []string{"datasources", "dashboards"} {
		src, ok := gf.mountSource("/etc/grafana/provisioning/" + dir)
		if want := filepath.Join(root, "dashboards", "provisioning", dir); !ok || src != want {
			t.Errorf("grafana: /etc/grafana/provisioning/%s comes from %q; want %s", dir, src, want)
		}
	}
	var ds struct {
		Datasources []struct {
			URL      string `yaml:"url"`
			JSONData struct {
				TimeInterval string `yaml:"timeInterval"`
			} `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(root, "dashboards", "provisioning", "datasources", "prometheus.yaml"), &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("grafana datasource %+v; want url http://prometheus:9090", ds.Datasources)
	} else if got, want := ds.Datasources[0].JSONData.TimeInterval, prom.Global.ScrapeInterval; got != want {
		t.Errorf("grafana datasource timeInterval %q; want the scrape interval %q, which $__rate_interval is built on", got, want)
	}
	if home := gf.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != nil {
		if src, ok := gf.mountSource(*home); !ok {
			t.Errorf("grafana: home dashboard %s is not mounted", *home)
		} else if _, err := os.Stat(src); err != nil {
			t.Errorf("grafana: home dashboard: %v", err)
		}
	}
	if !gf.publishes(3000) {
		t.Errorf("grafana: port 3000 not published")
	}
}

func staticTargets(job map[string]any) []string {
	var out []string
	scs, _ := job["static_configs"].([]any)
	for _, sc := range scs {
		m, _ := sc.(map[string]any)
		ts, _ := m["targets"].([]any)
		for _, t := range ts {
			out = append(out, fmt.Sprint(t))
		}
	}
	return out
}

// dockerfile is the part of a Dockerfile the tests read: its instructions,
// with line continuations joined.
type instruction struct{ cmd, args string }

func readDockerfile(t testing.TB, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var goDirective = regexp.MustCompile(`(?m)^go (\d+\.\d+)`)

func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	ins := readDockerfile(t, filepath.Join(root, "Dockerfile"))
	ignored := readDockerignore(t, filepath.Join(root, ".dockerignore"))

	var stages []string
	var build, final []instruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages = append(stages, in.args)
			continue
		}
		if len(stages) == 1 {
			build = append(build, in)
		} else {
			final = append(final, in)
		}
	}
	if len(stages) != 2 {
		t.Fatalf("stages %v; want a build stage and a runtime stage", stages)
	}

	// The build stage's Go is at least the go directive of go.mod.
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := goDirective.FindStringSubmatch(string(gomod))
	if want == nil || !strings.HasPrefix(stages[0], "golang:"+want[1]) {
		t.Errorf("build stage %q; want golang:%s (go.mod's go directive)", stages[0], want)
	}
	// mattn/go-sqlite3 needs cgo, so the runtime needs glibc: not scratch
	// or distroless/static.
	if s := stages[1]; strings.Contains(s, "scratch") || strings.Contains(s, "static") {
		t.Errorf("runtime stage %q has no libc for the cgo binary", s)
	}

	buildsService := false
	for _, in := range build {
		switch in.cmd {
		case "COPY":
			for _, src := range copySources(in.args) {
				if src == "." {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("COPY %s: %v", src, err)
				}
				if ignored(src) {
					t.Errorf("COPY %s: excluded by .dockerignore", src)
				}
			}
		case "RUN":
			if strings.Contains(in.args, "go build") {
				buildsService = strings.Contains(in.args, "CGO_ENABLED=1") && strings.Contains(in.args, "./cmd/awardtracker")
			}
		}
	}
	if !buildsService {
		t.Errorf("the build stage does not run CGO_ENABLED=1 go build ./cmd/awardtracker")
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "awardtracker")); err != nil {
		t.Errorf("./cmd/awardtracker: %v", err)
	}
	// What the build needs must be in the context.
	for _, p := range []string{"go.mod", "go.sum", "cmd", "pkg"} {
		if ignored(p) {
			t.Errorf(".dockerignore excludes %s, which the build needs", p)
		}
	}
	for _, p := range []string{".git", "bin"} {
		if !ignored(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}

	var entrypoint, expose bool
	for _, in := range final {
		entrypoint = entrypoint || in.cmd == "ENTRYPOINT"
		expose = expose || (in.cmd == "EXPOSE" && in.args == "3001")
		if in.cmd == "USER" && strings.HasPrefix(in.args, "root") {
			t.Errorf("the image runs as root")
		}
	}
	if !entrypoint || !expose {
		t.Errorf("runtime stage: ENTRYPOINT %v, EXPOSE 3001 %v; want both", entrypoint, expose)
	}
}

// copySources returns the source paths of a COPY without --from.
func copySources(args string) []string {
	var fields []string
	for _, f := range strings.Fields(args) {
		if strings.HasPrefix(f, "--from=") {
			return nil
		}
		if !strings.HasPrefix(f, "--") {
			fields = append(fields, f)
		}
	}
	if len(fields) < 2 {
		return nil
	}
	return fields[:len(fields)-1]
}

// readDockerignore returns a matcher for .dockerignore's patterns. It
// handles what ours uses (names and globs, no ! exceptions).
func readDockerignore(t testing.TB, path string) func(string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: exceptions (%s) are not understood by this test", line)
		}
		patterns = append(patterns, strings.TrimPrefix(line, "/"))
	}
	return func(p string) bool {
		for _, pat := range patterns {
			if ok, _ := filepath.Match(pat, p); ok {
				return true
			}
			if ok, _ := filepath.Match(pat, filepath.Base(p)); ok && !strings.Contains(pat, "/") {
				return true
			}
		}
		return false
	}
}

// TestCompose_LoopbackAndVersion: every port the compose file publishes,
// in the default stack and the fleet profile, listens on 127.0.0.1 only
// (the demo account's password is public; awardtracker's 3001 was on every
// interface), and every image built from the Dockerfile gets each of its
// build arguments (VERSION, REVISION), so that the binary does not report
// the Dockerfile's "dev".
func TestCompose_LoopbackAndVersion(t *testing.T) {
	root := repoRoot(t)
	var args []string
	for _, in := range readDockerfile(t, filepath.Join(root, "Dockerfile")) {
		if in.cmd == "ARG" {
			name, _, _ := strings.Cut(in.args, "=")
			args = append(args, name)
		}
	}
	if !slices.Contains(args, "VERSION") {
		t.Fatalf("Dockerfile ARGs %v; want VERSION among them", args)
	}
	p := loadCompose(t, "fleet")
	for _, name := range p.ServiceNames() {
		s := p.service(t, name)
		for _, port := range s.Ports {
			if port.Published != "" && port.HostIP != "127.0.0.1" {
				t.Errorf("%s: publishes %s on %q; want 127.0.0.1", name, port.Published, port.HostIP)
			}
		}
		if s.Build == nil {
			continue
		}
		for _, arg := range args {
			if v, ok := s.Build.Args[arg]; !ok || v == nil {
				t.Errorf("%s: build arg %s not passed", name, arg)
			}
		}
	}
	// The environment reaches the build: the default stack's image and
	// a replica's report the version they are given.
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithProfiles([]string{"fleet"}), cli.WithWorkingDirectory(root),
		cli.WithEnv([]string{"AWARDTRACKER_VERSION=1.2.3"}), cli.WithDiscardEnvFile, cli.WithInterpolation(true))
	if err != nil {
		t.Fatal(err)
	}
	withVersion, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"awardtracker", "awardtracker-1"} {
		if v := withVersion.Services[name].Build.Args["VERSION"]; v == nil || *v != "1.2.3" {
			t.Errorf("%s: VERSION with AWARDTRACKER_VERSION=1.2.3: got %v, want 1.2.3", name, v)
		}
	}
}
