# Two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HTMX := static/vendor/htmx.min.js
HTMX_SSE := static/vendor/htmx-ext-sse.min.js
CATALOGUES := translations
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=
# Test processes per database half (pytest-xdist); 1 runs them in this process, in file order.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter-out 1,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS),)
# Browser tests drive Debian's chromium instead of a Playwright download.
export PLAYWRIGHT_CHROMIUM_EXECUTABLE ?= $(CHROMIUM)

.PHONY: help install lock lint-imports vendor compile-translations translations chromium run test test-sqlite test-postgres clean

help:
	@echo "make run    install, migrate, load demo data, serve on http://127.0.0.1:5000 with a mail worker"
	@echo "make test   install, then the whole test suite on SQLite and on PostgreSQL"
	@echo "make translations   extract messages, update and compile the Arabic catalogue"
	@echo "make lock   refresh requirements.lock (exact versions and hashes) from pyproject.toml"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the versions in requirements.lock, each checked against its hash;
# reinstalled whenever the lock changes. pyproject.toml keeps the ranges.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index -e .
	$(BIN)/python -m pip check
	touch $@

install: $(VENV)/.installed

# Refresh requirements.lock from pyproject.toml's ranges (newest versions that fit),
# with pip-tools kept in a venv of its own. `make lock UPGRADE=babel` moves one package.
LOCK_TOOLS := $(VENV)-lock
UPGRADE ?=
lock:
	test -x $(LOCK_TOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/pip install --quiet 'pip-tools>=7.4'; }
	$(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps --extra test \
	  --strip-extras --no-emit-index-url --no-emit-find-links \
	  $(if $(UPGRADE),--upgrade-package $(UPGRADE),--upgrade) -o requirements.lock pyproject.toml

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(HTMX): node_modules/.package-lock.json
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# htmx's Server-Sent Events extension, for the session room's live messages.
$(HTMX_SSE): node_modules/.package-lock.json
	mkdir -p $(dir $@)
	cp node_modules/htmx-ext-sse/dist/sse.min.js $@

# The certificate PDF's font (Latin and Arabic in one file; tutoring/services/records/certificate_pdf.py), with its licence.
FONTS := static/vendor/fonts
$(FONTS)/DejaVuSans.ttf: node_modules/.package-lock.json
	mkdir -p $(FONTS)
	cp node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf $(FONTS)/
	cp node_modules/dejavu-fonts-ttf/LICENSE $(FONTS)/DejaVu-LICENSE.txt

vendor: $(HTMX) $(HTMX_SSE) $(FONTS)/DejaVuSans.ttf

compile-translations: install
	$(BIN)/pybabel compile --statistics -d $(CATALOGUES)

# After adding or changing _("...") strings: translate the new entries in
# translations/ar/LC_MESSAGES/messages.po, then run this again.
translations: install
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _l -o build/messages.pot --project tutoring .
	$(BIN)/pybabel update -i build/messages.pot -d $(CATALOGUES) --ignore-obsolete
	$(BIN)/pybabel compile --statistics -d $(CATALOGUES)

run: install vendor compile-translations
	$(FLASK) db upgrade
	$(FLASK) demo
	@# The mail worker runs beside the web server and stops with it (Ctrl-C or any exit).
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null || true' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port 5000

chromium:
	@if [ ! -x "$(CHROMIUM)" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "== $(CHROMIUM) missing: installing Debian's chromium"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "ERROR: $(CHROMIUM) not found. Install it (apt-get install chromium) or set CHROMIUM=/path/to/chromium." >&2; \
	  exit 1; \
	fi

test: install vendor compile-translations chromium lint-imports
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# The layers and the pure cores of docs/ARCHITECTURE.md ([tool.importlinter] in pyproject.toml).
lint-imports: install
	$(BIN)/lint-imports

test-sqlite:
	@echo "== SQLite run"
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-postgres:
	$(BIN)/python scripts/with_pg_database.py -- $(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

clean:
	rm -rf build node_modules $(HTMX) $(HTMX_SSE) .pytest_cache
	find $(CATALOGUES) -name '*.mo' -delete
