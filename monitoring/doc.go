// Package monitoring holds the tests of awardtracker's monitoring as code:
// the Prometheus rules and their promtool unit tests (alerts/), the
// Prometheus and Alertmanager configs, the Grafana dashboards and their
// provisioning (dashboards/), the Dockerfile and docker-compose.yml, and an
// end-to-end run of the real service scraped by a real Prometheus.
//
// It provides no code to other packages. The tests need promtool,
// prometheus, amtool and prometheus-alertmanager on PATH; they fail, and
// say to run scripts/install-monitoring-tools.sh, when those are missing.
// Everything they start listens on 127.0.0.1 only.
package monitoring
