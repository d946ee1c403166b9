# Two commands on a fresh machine with Python 3.11 and make:
#   make run    set up, migrate, load the seed data, serve on http://127.0.0.1:8000/
#   make test   set up and run the test suite (SQLite; set DATABASE_URL for PostgreSQL)

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
ADDR   ?= 127.0.0.1:8000
DEV    := DJANGO_DEBUG=1

.PHONY: install test-tools browser-packages run migrate seed superuser test test-fast fuzz lint format schema check setup-hooks bench bench-large bench-import screenshots clean messages compile-messages

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# What the client and browser tests need beyond Python: the pinned npm tooling (OpenAPI
# linters, TypeScript client generator) and Debian's headless Chromium with CJK fonts,
# installed with apt when missing.
CLIENTS := tests/clients
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	cd $(CLIENTS) && npm ci --no-audit --no-fund
	touch $@

browser-packages:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) || \
		{ apt-get update && apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); }; }

# Independent downloads: `make -j3 test-tools` fetches the three at once.
test-tools: install $(CLIENTS)/node_modules/.installed browser-packages

migrate: install
	$(DEV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV) $(BIN)/python manage.py load_catalog

run: seed
	$(DEV) $(BIN)/python manage.py runserver $(ADDR)

superuser: migrate
	$(DEV) $(BIN)/python manage.py createsuperuser

# Tests run in parallel, one database per worker (pytest-xdist; WORKERS=1 runs in series).
# `make test` runs everything; `make test-fast` skips the Schemathesis run, `make fuzz` is
# only that run (FUZZ_EXAMPLES=200 make fuzz for a longer hunt).
WORKERS ?= auto

test: test-tools
	$(BIN)/pytest -n $(WORKERS) $(PYTEST_ARGS)

test-fast: test-tools
	$(BIN)/pytest -n $(WORKERS) -m "not fuzz" $(PYTEST_ARGS)

fuzz: install
	$(BIN)/pytest -n $(WORKERS) -m fuzz $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	$(DEV) $(BIN)/python manage.py check
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

# The same lint and checks before each commit (.pre-commit-config.yaml, tools from .venv).
setup-hooks: install
	$(BIN)/pre-commit install

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

schema: install
	$(DEV) $(BIN)/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml

# Translations (locale/; README, "Languages"). `make messages` gathers the strings marked
# for translation into the .po files (it needs GNU gettext's xgettext: apt-get install
# gettext); once they are translated, `make compile-messages` writes the .mo files the
# server reads, in pure Python (polib). Both files are committed, so running the service
# needs neither.
messages: install
	$(DEV) $(BIN)/python manage.py makemessages -l zh_Hans --add-location=file --no-obsolete \
		--ignore="tests/*" --ignore="bench/*" --ignore="staticfiles/*"

compile-messages: install
	$(BIN)/python -c 'import pathlib, polib; [polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo"))) for po in sorted(pathlib.Path("locale").glob("*/LC_MESSAGES/*.po"))]'

bench: install
	$(BIN)/python bench/api_bench.py

# The API at 1M delivery rows on PostgreSQL against values()+orjson baselines, wrk
# throughput and worker memory (bench/large_bench.py; BENCH_DATABASE_URL to change the
# database, built on first use). Needs wrk (apt-get install wrk).
bench-large: install
	$(BIN)/python bench/large_bench.py

# A spreadsheet import of 10,000 delivery rows as the admin runs it: preview, import,
# and the same file again (bench/import_bench.py); times printed, not asserted.
bench-import: install
	$(BIN)/python bench/import_bench.py

# PNGs of each kind of page (explorer and admin) on the seeded catalog, for a reviewer.
screenshots: test-tools
	SCREENSHOTS_DIR=screenshots $(BIN)/pytest -m browser -p no:cacheprovider $(PYTEST_ARGS)
