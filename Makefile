# Plumbline — `make run` serves the app with demo data, `make test` runs the whole suite.
# Both set everything up on a fresh clone (a .venv, the Python packages, the database).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: help setup system-deps run demo-data test lint format bench bench-api screenshots clean

help:
	@echo "make run    set up, load demo data and serve on http://$(HOST):$(PORT)/ (web + worker + beat)"
	@echo "make test   set up and run the whole suite (ruff, import contracts, then pytest)"
	@echo "make bench  print page timings and query counts, report rendering and audit integrity figures"
	@echo "make bench-api  requests/s of the API list, the admin changelist and /healthz (gunicorn + wrk), KPI ingest"
	@echo "make screenshots  retake the README's screenshots (docs/screenshots/) from the demo data"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Plumbline needs Python 3.11 ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

system-deps:
	@bash .ci/system-deps

setup: system-deps $(STAMP)

# Local runs are DEBUG runs: settings refuse to start without SECRET_KEY otherwise.
demo-data: setup
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo

run: demo-data
	@echo
	@echo "Plumbline is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo "Demo logins are listed above and in README.md."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" DEBUG=true HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -f config/Procfile.dev start

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff (lint + format), then the import contracts in pyproject.toml (governance never imports maturity; layers).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Measured as production runs (DEBUG off), with a throw-away key unless SECRET_KEY is set.
bench: demo-data
	SECRET_KEY=$${SECRET_KEY:-plumbline-bench-only} $(BIN)/python manage.py bench_pages
	SECRET_KEY=$${SECRET_KEY:-plumbline-bench-only} $(BIN)/python manage.py bench_reports
	SECRET_KEY=$${SECRET_KEY:-plumbline-bench-only} $(BIN)/python manage.py bench_audit

# Production-like: gunicorn with DEBUG off on the configured database (set DATABASE_URL for PostgreSQL).
bench-api: setup
	PLUMBLINE_WITH_BENCH=1 bash .ci/system-deps
	SECRET_KEY=$${SECRET_KEY:-plumbline-bench-only} $(BIN)/python manage.py migrate --noinput
	SECRET_KEY=$${SECRET_KEY:-plumbline-bench-only} $(BIN)/python manage.py bench_api
	SECRET_KEY=$${SECRET_KEY:-plumbline-bench-only} $(BIN)/python manage.py bench_ingest

# The README's screenshots: the demo data served by gunicorn (DEBUG off, as production), photographed by Debian's
# Chromium through Playwright. DEBUG=true is for this command's own settings only; the server runs without it.
screenshots: demo-data
	PLUMBLINE_WITH_BROWSER=1 bash .ci/system-deps
	DEBUG=true $(BIN)/python manage.py readme_screenshots --output docs/screenshots

clean:
	rm -rf var .pytest_cache .ruff_cache
