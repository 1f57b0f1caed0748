# howdah — see README.md. Every target works as root on a fresh Debian/Ubuntu machine.
GO       ?= go
BIN      := bin/howdah
PG_MAJOR ?= $(or $(shell pg_config --version 2>/dev/null | sed -E 's/^[^0-9]*([0-9]+).*/\1/'),15)
# Debian packages the tests and the demo need: the server (with contrib: pg_stat_statements)
# and the extensions hypopg, pgtap and plpgsql_check.
PG_PACKAGES := postgresql-$(PG_MAJOR) postgresql-contrib postgresql-$(PG_MAJOR)-hypopg \
               postgresql-$(PG_MAJOR)-pgtap postgresql-$(PG_MAJOR)-plpgsql-check
# The browser of the dashboard's browser tests and benchmark (headless, driven by chromedp).
# Installed apart: where the package does not exist (Ubuntu ships Chromium as a snap), setup
# goes on and those tests skip, saying so.
BROWSER_PACKAGES := chromium
# Optional too: pg_qualstats, a second source of index candidates for the advisor (never required).
# Where the package is missing, setup goes on and the advisor's pg_qualstats test skips.
QUALSTATS_PACKAGES := postgresql-$(PG_MAJOR)-pg-qualstats
SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo))

.PHONY: all setup build test test-reliability vet lint demo demo-stop bench screenshots extension clean help

all: build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

setup: ## install missing Debian packages (PostgreSQL, hypopg, pgtap, plpgsql_check, chromium, pg_qualstats) and Go modules
	@missing=$$(for p in $(PG_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    echo "installing:" $$missing; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "no apt-get here: install these (or their equivalents) yourself: $$missing" >&2; \
	  fi; \
	fi
	@missing=$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null; then \
	  echo "installing:" $$missing; \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; } || \
	    echo "could not install $$missing: the dashboard's browser tests and benchmark will skip" >&2; \
	fi
	@missing=$$(for p in $(QUALSTATS_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null; then \
	  echo "installing:" $$missing; \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; } || \
	    echo "could not install $$missing: the advisor's pg_qualstats test will skip" >&2; \
	fi
	$(GO) mod download

build: ## build bin/howdah
	$(GO) build -o $(BIN) ./cmd/howdah

vet:
	$(GO) vet ./...

lint: vet ## gofmt and go vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: setup lint ## setup, lint, then every test (Go with -race, pgTAP, plpgsql_check, bundle freshness)
	$(GO) test -race -count=1 ./...

test-reliability: setup ## the fault-injection and abuse suite at full size (about 10 min; its short version runs in `make test`)
	HOWDAH_RELIABILITY=full $(GO) test -count=1 -v -timeout 60m ./tests/reliability/

demo: setup build ## start a throwaway PostgreSQL with every module installed
	$(BIN) demo

demo-stop: build ## stop the demo server
	$(BIN) demo --stop

bench: setup ## benchmarks, each as a ratio against a baseline measured in the same run
	$(GO) run ./bench

screenshots: setup ## run the dashboard's browser tests and write their screenshots to docs/img
	HOWDAH_SCREENSHOTS=$(CURDIR)/docs/img $(GO) test -count=1 -run TestBrowser ./sidecar/ui/

extension: ## regenerate extension/ from sql/
	$(GO) run ./cmd/howdah bundle --out extension

clean:
	rm -rf bin
