package monitoring

import (
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// fleetReplicas are the awardtracker services of the compose fleet profile.
var fleetReplicas = []string{"awardtracker-1", "awardtracker-2", "awardtracker-3"}

// TestComposeFleet checks docker-compose.yml's fleet profile the way
// TestCompose checks the default stack: loaded by compose-go with the
// profile on, every mounted path followed into the repository, and the
// load balancer's configuration checked by haproxy itself.
func TestComposeFleet(t *testing.T) {
	root := repoRoot(t)
	p := loadCompose(t, "fleet")
	fleet := []string{"postgres", "loadbalancer", "prometheus-fleet"}
	fleet = append(fleet, fleetReplicas...)
	for _, name := range fleet {
		p.checkService(t, name)
		if s := p.service(t, name); !slices.Equal(s.Profiles, []string{"fleet"}) {
			t.Errorf("%s: profiles %v; want [fleet]", name, s.Profiles)
		}
	}
	// The default stack comes along unchanged.
	for _, name := range []string{"awardtracker", "prometheus", "alertmanager", "grafana"} {
		p.service(t, name)
	}

	// The replicas: one image, one database, one secrets key, and the load
	// balancer's network as their trusted proxies.
	net, ok := p.Networks["fleet"]
	if !ok || net.Ipam.Config == nil || len(net.Ipam.Config) != 1 {
		t.Fatalf("no fleet network with one subnet: %+v", net)
	}
	subnet, err := netip.ParsePrefix(net.Ipam.Config[0].Subnet)
	if err != nil {
		t.Fatalf("fleet network subnet: %v", err)
	}
	env := func(s composeService, key string) string {
		if v := s.Environment[key]; v != nil {
			return *v
		}
		return ""
	}
	first := p.service(t, fleetReplicas[0])
	for _, name := range fleetReplicas {
		s := p.service(t, name)
		if s.Image != p.service(t, "awardtracker").Image || s.Build == nil || s.Build.Context != root {
			t.Errorf("%s: image %q, build %+v; want the default stack's image, built from the repository", name, s.Image, s.Build)
		}
		if addr := s.flag("web.listen-address"); addr != ":3001" {
			t.Errorf("%s listens on %q; want :3001", name, addr)
		}
		url := env(s, "AWARDTRACKER_DB_URL")
		if !strings.HasPrefix(url, "postgres://") || !strings.Contains(url, "@postgres:5432/") {
			t.Errorf("%s: AWARDTRACKER_DB_URL %q; want postgres:// on the postgres service", name, url)
		}
		for _, key := range []string{"AWARDTRACKER_DB_URL", "AWARDTRACKER_SECRETS_KEY"} {
			if env(s, key) != env(first, key) {
				t.Errorf("%s: %s differs from %s's; every replica needs the same", name, key, fleetReplicas[0])
			}
		}
		if got := env(s, "AWARDTRACKER_WEB_TRUSTED_PROXIES"); got != subnet.String() {
			t.Errorf("%s: trusted proxies %q; want the fleet network %s", name, got, subnet)
		}
		if _, ok := s.Networks["fleet"]; !ok {
			t.Errorf("%s: not on the fleet network", name)
		}
		if s.publishes(3001) {
			t.Errorf("%s: publishes 3001; the fleet is reached through the load balancer", name)
		}
	}
	pg := p.service(t, "postgres")
	if env(pg, "POSTGRES_PASSWORD") == "" || !strings.Contains(env(first, "AWARDTRACKER_DB_URL"), ":"+env(pg, "POSTGRES_PASSWORD")+"@") {
		t.Errorf("the replicas' database URL does not carry postgres's POSTGRES_PASSWORD")
	}

	// The load balancer: on the fleet network (whose range the replicas
	// trust), its config mounted where the image reads it, naming every
	// replica, and accepted by haproxy -c.
	lb := p.service(t, "loadbalancer")
	if _, ok := lb.Networks["fleet"]; !ok {
		t.Errorf("loadbalancer: not on the fleet network, whose range the replicas trust")
	}
	if !lb.publishes(8080) {
		t.Errorf("loadbalancer: port 8080 not published")
	}
	cfg, ok := lb.mountSource("/usr/local/etc/haproxy/haproxy.cfg")
	if !ok || cfg != filepath.Join(root, "haproxy", "haproxy.cfg") {
		t.Fatalf("loadbalancer: haproxy.cfg comes from %q; want haproxy/haproxy.cfg", cfg)
	}
	var servers []string
	for _, m := range haproxyServer.FindAllStringSubmatch(readFile(t, cfg), -1) {
		servers = append(servers, m[1])
	}
	if want := withPort(fleetReplicas, "3001"); !slices.Equal(servers, want) {
		t.Errorf("haproxy.cfg servers: got %v, want %v", servers, want)
	}
	haproxyCheck(t, cfg)

	// The fleet's Prometheus: prometheus-fleet.yml with every replica as
	// a target of the awardtracker job, the rest as prometheus.yml.
	ps := p.service(t, "prometheus-fleet")
	if src, ok := ps.mountSource(ps.flag("config.file")); !ok || src != filepath.Join(root, "prometheus-fleet.yml") {
		t.Errorf("prometheus-fleet: --config.file=%s comes from %q; want prometheus-fleet.yml", ps.flag("config.file"), src)
	}
	if src, ok := ps.mountSource("/etc/prometheus/alerts"); !ok || src != filepath.Join(root, "alerts") {
		t.Errorf("prometheus-fleet: alerts/ mounted from %q; want alerts", src)
	}
	if ps.Image != p.service(t, "prometheus").Image {
		t.Errorf("prometheus-fleet: image %q; want prometheus's %q", ps.Image, p.service(t, "prometheus").Image)
	}
	var single, fleetProm prometheusConfig
	readYAML(t, filepath.Join(root, "prometheus.yml"), &single)
	readYAML(t, filepath.Join(root, "prometheus-fleet.yml"), &fleetProm)
	if got, want := staticTargets(fleetProm.job("awardtracker")), withPort(fleetReplicas, "3001"); !slices.Equal(got, want) {
		t.Errorf("prometheus-fleet.yml scrapes %v; want %v", got, want)
	}
	// Apart from the targets, the two agree (scrape options such as
	// always_scrape_classic_histograms, rule files, alerting).
	sj, fj := maps.Clone(single.job("awardtracker")), maps.Clone(fleetProm.job("awardtracker"))
	delete(sj, "static_configs")
	delete(fj, "static_configs")
	if !equalYAML(sj, fj) || !slices.Equal(single.RuleFiles, fleetProm.RuleFiles) || single.Global != fleetProm.Global ||
		!equalYAML(single.Alerting, fleetProm.Alerting) {
		t.Errorf("prometheus-fleet.yml differs from prometheus.yml beyond the awardtracker targets")
	}
}

var haproxyServer = regexp.MustCompile(`(?m)^\s*server\s+\S+\s+(\S+)`)

func withPort(hosts []string, port string) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h+":"+port)
	}
	return out
}

// haproxyCheck runs `haproxy -c -f cfg` (Debian's haproxy, the release
// the image pins). The replica names do not resolve here; the config's
// init-addr none allows that, and those are the only warnings allowed.
func haproxyCheck(t *testing.T, cfg string) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin = "/usr/sbin/haproxy"
	}
	out, err := exec.Command(bin, "-c", "-f", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy -c -f %s: %v (scripts/install-haproxy.sh, run by make tools, installs it)\n%s", cfg, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "[WARNING]") && !strings.Contains(line, "could not resolve address") {
			t.Errorf("haproxy -c: %s", line)
		}
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// equalYAML compares two decoded YAML values by their re-encoding.
func equalYAML(a, b any) bool {
	ea, errA := yaml.Marshal(a)
	eb, errB := yaml.Marshal(b)
	return errA == nil && errB == nil && string(ea) == string(eb)
}
