# The front door: every task a developer or CI runs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYBABEL := $(VENV)/bin/pybabel
TRANSLATIONS := patientapp/translations
LANGS := nb en ar pl so ur
export FLASK_APP := patientapp
PORT ?= 5000
export PATIENTAPP_PUBLIC_BASE_URL ?= http://localhost:$(PORT)

.DEFAULT_GOAL := help
.PHONY: help install run demo db-upgrade lint test test-quick browser services \
	translations-extract translations-update translations-compile translations-check bench lighthouse lock

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-22s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

translations-compile: install ## Compile the .po catalogues to .mo (not committed)
	$(PYBABEL) compile --statistics -d $(TRANSLATIONS) 2>&1 | grep -v "^compiling" || true

translations-extract: install ## Extract messages into messages.pot
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k plurals:1,2 --no-location --no-wrap --sort-output \
		--project=patientapp --copyright-holder=patientapp --msgid-bugs-address=- \
		-o $(TRANSLATIONS)/messages.pot .

translations-update: translations-extract ## Merge messages.pot into every catalogue
	$(PYBABEL) update --no-fuzzy-matching --no-wrap --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(PY) scripts/sync_catalogues.py

translations-check: install ## Fail if messages.pot is stale
	$(PY) scripts/check_translations.py

db-upgrade: install ## Apply the database migrations
	$(VENV)/bin/flask db upgrade

demo: install translations-compile ## Create demo invitations and print their links
	$(VENV)/bin/flask demo

run: export PATIENTAPP_ALLOW_LOCAL_ROOMS ?= 1
run: install translations-compile ## Set up and run the app with demo data on http://localhost:5000
	$(VENV)/bin/flask demo
	@echo "Serving on $(PATIENTAPP_PUBLIC_BASE_URL) (Ctrl+C stops)"
	PORT=$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py "patientapp:create_app()"

browser: ## Install Debian's Chromium and fonts for the browser tests, if missing
	bash scripts/ensure-browser.sh

services: ## Start PostgreSQL and Redis if they are down
	bash scripts/services.sh

test: lint translations-compile browser services translations-check tests/observatory/node_modules/.installed ## Lint, set up and run the whole test suite (SQLite and PostgreSQL)
	$(PY) -m pytest

test-quick: install translations-compile ## Unit and integration tests on SQLite only
	$(PY) -m pytest tests/unit tests/integration --db=sqlite

lint: install node_modules/.installed ## ruff (Python, imports), Biome (JavaScript), djlint (templates)
	$(VENV)/bin/ruff check .
	./node_modules/.bin/biome lint --error-on-warnings
	$(VENV)/bin/djlint patientapp/templates --lint

# Biome, pinned in package.json; it ships as one binary, so npm installs no other package.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "The JavaScript lint needs npm (Debian: apt-get install npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# The MDN HTTP Observatory for tests/observatory. --ignore-scripts: its postinstall downloads the HSTS
# preload and TLD lists from hosts CI cannot reach; scan.mjs supplies the (empty) list a local scan needs.
tests/observatory/node_modules/.installed: tests/observatory/package.json tests/observatory/package-lock.json
	@command -v npm >/dev/null || { echo "The Observatory test needs npm (Debian: apt-get install npm)" >&2; exit 1; }
	cd tests/observatory && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

bench: install translations-compile browser ## Run the benchmarks and print their figures
	$(PY) bench/landing_weight.py

bench/node_modules/.installed: bench/package.json bench/package-lock.json
	@command -v npm >/dev/null || { echo "Lighthouse needs npm (Debian: apt-get install npm)" >&2; exit 1; }
	cd bench && npm ci --no-audit --no-fund
	touch $@

lighthouse: install translations-compile browser bench/node_modules/.installed ## Lighthouse (mobile) on the patient's pages, nb and ar
	CHROME_PATH=/usr/bin/chromium $(PY) bench/lighthouse.py

lock: ## Re-pin requirements after changing pyproject.toml (review the diff)
	$(PY) -m pip freeze --exclude-editable
