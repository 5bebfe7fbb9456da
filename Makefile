# Two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HTMX := static/vendor/htmx.min.js
CATALOGUES := translations
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=
# Browser tests drive Debian's chromium instead of a Playwright download.
export PLAYWRIGHT_CHROMIUM_EXECUTABLE ?= $(CHROMIUM)

.PHONY: help install vendor compile-translations translations chromium run test test-sqlite test-postgres clean

help:
	@echo "make run    install, migrate, load demo data, serve on http://127.0.0.1:5000 with a mail worker"
	@echo "make test   install, then the whole test suite on SQLite and on PostgreSQL"
	@echo "make translations   extract messages, update and compile the Arabic catalogue"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(HTMX): node_modules/.package-lock.json
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

vendor: $(HTMX)

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

test: install vendor compile-translations chromium
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== SQLite run"
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres:
	$(BIN)/python scripts/with_pg_database.py -- $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf build node_modules $(HTMX) .pytest_cache
	find $(CATALOGUES) -name '*.mo' -delete
