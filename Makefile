# awardtracker — see README.md. Every target echoes what it does (">> ...").

# Pinned tool versions. Prometheus and Alertmanager are Go module versions,
# built from source by `make tools` (module v0.313.5 is Prometheus 3.13.5, an
# LTS release); docker-compose.yml runs the same releases and the monitoring
# tests check that the two agree. The builds are cached outside the work tree
# in $AWARDTRACKER_TOOLS_DIR (default ~/.cache/awardtracker/tools), keyed by
# version; the monitoring tests read these two lines to find them, so change
# a version here (and in docker-compose.yml), not on the command line.
PROMETHEUS_VERSION   = v0.313.5
ALERTMANAGER_VERSION = v0.28.1
BENCHSTAT_VERSION    ?= v0.0.0-20260908200009-22c9c6c9d4da
# staticcheck (module honnef.co/go/tools), installed by `make lint` into the
# same tools cache, keyed by version.
STATICCHECK_VERSION  = v0.8.2
GO                ?= go
GOFLAGS_TEST      ?= -race -count=1
BIN               ?= bin/awardtracker
ARGS              ?=
# The version the binary reports (--version, awardtracker_build_info, the
# LoTW/DCL User-Agent), set in prometheus/common/version as the Dockerfile
# does.
VERSION           ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION          ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH            ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
VERSION_LDFLAGS    = -X github.com/prometheus/common/version.Version=$(VERSION) \
                     -X github.com/prometheus/common/version.Revision=$(REVISION) \
                     -X github.com/prometheus/common/version.Branch=$(BRANCH)

TOOLS_DIR         ?= $(or $(AWARDTRACKER_TOOLS_DIR),$(HOME)/.cache/awardtracker/tools)
STATICCHECK       = $(TOOLS_DIR)/staticcheck-$(STATICCHECK_VERSION)/bin/staticcheck
PROMTOOL          = $(TOOLS_DIR)/prometheus-$(PROMETHEUS_VERSION)/bin/promtool

export CGO_ENABLED = 1

.PHONY: all
all: build

.PHONY: build
build:
	@echo ">> building $(BIN)"
	$(GO) build -ldflags "$(VERSION_LDFLAGS)" -o $(BIN) ./cmd/awardtracker

# The demo's password is public, so it listens on loopback only.
RUN_ADDRESS       ?= 127.0.0.1:3001

.PHONY: run
run: build
	@echo ">> running awardtracker with demo data on http://$(RUN_ADDRESS)"
	./$(BIN) --demo --web.listen-address=$(RUN_ADDRESS) $(ARGS)

.PHONY: tools
tools:
	@echo ">> building the pinned prometheus, promtool, alertmanager and amtool when missing"
	GO=$(GO) ./scripts/install-monitoring-tools.sh $(PROMETHEUS_VERSION) $(ALERTMANAGER_VERSION)
	@echo ">> checking PostgreSQL for the storage tests on both engines"
	./scripts/install-postgres.sh
	@echo ">> checking haproxy for the compose fleet profile's load balancer config"
	./scripts/install-haproxy.sh

.PHONY: vet
vet:
	@echo ">> vetting code"
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

.PHONY: lint
lint: vet tools $(STATICCHECK)
	@echo ">> running staticcheck $(STATICCHECK_VERSION) and promtool check rules"
	$(STATICCHECK) ./...
	$(PROMTOOL) check rules alerts/*.yml

$(STATICCHECK):
	@echo ">> installing staticcheck $(STATICCHECK_VERSION) into $(dir $@)"
	GOBIN=$(abspath $(dir $@)) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: test
test: tools vet
	@echo ">> running all tests (unit, API end to end, monitoring against a real Prometheus)"
	$(GO) test $(GOFLAGS_TEST) ./...

.PHONY: bench
bench:
	@echo ">> running the benchmark suite (Go benchmarks + benchstat, wrk on loopback, LoTW sync, export, fleet invalidation lag, both engines; about 6 minutes once built)"
	BENCHSTAT_VERSION=$(BENCHSTAT_VERSION) ./scripts/bench.sh $(BENCH_ARGS)

.PHONY: load
load:
	@echo ">> 60 s of mixed traffic at 64 connections on loopback, then a cardinality attack"
	$(GO) test -count=1 -run 'TestLoad$$' -v ./cmd/awardtracker -args -load.duration=60s -load.connections=64

FUZZTIME ?= 2m

# -fuzzminimizetime caps how long each new interesting input is minimised
# (default 60 s each, during which the HTTP-level targets make no progress).
.PHONY: fuzz
fuzz:
	@echo ">> fuzzing the ADIF reader, the LoTW report parser, the import path and JSON decoding for $(FUZZTIME) each"
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 50x ./pkg/adif
	$(GO) test -run '^$$' -fuzz '^FuzzReport$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 50x ./pkg/lotw
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 50x ./pkg/api
	$(GO) test -run '^$$' -fuzz '^FuzzJSON$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 50x ./pkg/api

.PHONY: dashboards
dashboards:
	@echo ">> generating alerts/*.yml and dashboards/ from cmd/dashgen"
	$(GO) run ./cmd/dashgen

.PHONY: clean
clean:
	@echo ">> removing build output"
	rm -rf bin
