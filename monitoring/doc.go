// Package monitoring holds the tests of awardtracker's monitoring as code:
// the Prometheus rules and their promtool unit tests (alerts/), the
// Prometheus and Alertmanager configs, the Grafana dashboards and their
// provisioning (dashboards/), the Dockerfile and docker-compose.yml, and an
// end-to-end run of the real service scraped by a real Prometheus.
//
// It provides no code to other packages. The tests run prometheus,
// promtool, alertmanager and amtool at the versions pinned in the Makefile,
// built by `make tools` into a cache outside the work tree; they fail, and
// say to run it, when those builds are missing.
// Everything they start listens on 127.0.0.1 only.
package monitoring
