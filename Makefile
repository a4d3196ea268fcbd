# Every routine has one short command. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.DEFAULT_GOAL := help
.PHONY: help install chromium run test lint typecheck fmt check bench profile catalog-check clean kern-css

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "eservice needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced ## install the locked dependencies into .venv

# The worker (emails, inbox, webhooks, timers) runs with the API unless WORKER=off, e.g. where
# several instances share a database and `eservice worker` runs on its own.
WORKER ?= on

run: install ## run the API and the worker (embedded PostgreSQL unless ESERVICE_DATABASE_URL is set; WORKER=off: API only)
	$(BIN)/eservice serve $(if $(filter off,$(WORKER)),,--with-worker) $(ARGS)

test: install chromium ## run the whole test suite against a real PostgreSQL
	$(BIN)/pytest $(ARGS)

# The browser tests (tests/browser) drive Debian's Chromium; Playwright's own browser download
# cannot be used. Installed here when missing (as root, as CI runs); otherwise a clear message.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium is missing: run 'apt-get install -y chromium' as root" >&2; exit 1; \
	  fi; \
	fi

lint: install ## ruff lint and format check
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

typecheck: install ## mypy in strict mode
	$(BIN)/mypy

fmt: install ## format and autofix
	$(BIN)/ruff format src tests migrations bench
	$(BIN)/ruff check --fix src tests migrations bench

catalog-check: install ## validate services/ and workflows/
	$(BIN)/eservice catalog check

check: lint typecheck test ## everything CI runs

bench: install ## benchmark the API against pgbench on the same and the minimal SQL (see bench/README.md)
	$(UV) sync --frozen --inexact --group bench --python $(PYTHON)
	$(BIN)/python -m bench.run $(ARGS)

profile: install ## where a read's and a filing's time goes: py-spy (native) and perf (see bench/README.md)
	$(UV) sync --frozen --inexact --group bench --python $(PYTHON)
	$(BIN)/python -m bench.profile $(ARGS)

kern-css: ## rebuild the web front's KERN stylesheet and fonts (needs npm; see src/eservice/web/kern/UPDATE.md)
	src/eservice/web/kern/build.sh

clean: ## remove the environments (keeps .data/)
	rm -rf $(VENV) $(TOOLS)
