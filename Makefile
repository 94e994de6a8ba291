# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export PLEXCARE_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test bench lint install browser axe pgbench mutate clean

# Installs go through uv (pinned below) from uv.lock: with packages in uv's cache a fresh clone
# has its environment in seconds, not a minute (bench/cold_start.py). After changing
# pyproject.toml's dependencies, `.uv/bin/uv lock`.
# uv is one binary, so pip puts it in a plain folder (--target): a virtualenv for it cost 3 of
# the first start's seconds, and resolving its (absent) dependencies and compiling its few
# Python files another 1.2 to 1.4. Where Python has no pip module, a virtualenv brings one.
# That folder is kept once per user and version, beside the package caches (UV_HOME), and
# .uv/bin/uv links to it: unpacked by pip for every clone, uv took 1.7 to 2.2 of a fresh
# clone's first-start seconds. It is filled in a folder of its own and renamed into place
# whole, so a clone that stopped halfway, or two clones at once, never leave half of it (a
# folder without uv in it is replaced; a clone that loses the race to rename uses the
# winner's).
UV_VERSION := 0.13.9
UV := .uv/bin/uv
UV_HOME ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/plexcare/uv-$(UV_VERSION)
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# Python may keep the bytecode it compiles (in .venv and the gitignored __pycache__ folders),
# whatever the shell says: with PYTHONDONTWRITEBYTECODE set, as on these machines, every
# process compiled its imports again, and importing the app took 5.4 s instead of 2.6.
export PYTHONDONTWRITEBYTECODE :=

$(UV):
	@test -x $(UV_HOME)/bin/uv || { \
	  rm -rf $(UV_HOME) && mkdir -p $(dir $(UV_HOME)) \
	    && partial=$$(mktemp -d $(UV_HOME).XXXXXX) || exit 1; \
	  { $(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
	      --target $$partial uv==$(UV_VERSION) \
	    || { $(PYTHON) -m venv --clear $$partial \
	         && $$partial/bin/pip install --quiet uv==$(UV_VERSION); }; } \
	  && test -x $$partial/bin/uv && mv -T $$partial $(UV_HOME) 2>/dev/null; \
	  rm -rf $$partial; test -x $(UV_HOME)/bin/uv; }
	mkdir -p $(dir $(UV))
	ln -sfn $(UV_HOME)/bin/uv $(UV)

# While uv installs, the other core compiles plexcare's own modules, which a fresh clone's first
# start would otherwise compile one by one as it imports them.
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(PYTHON) -m compileall -q src >/dev/null 2>&1 & \
	$(UV) sync --quiet --frozen --all-extras --python $(PYTHON); synced=$$?; wait; exit $$synced
	touch $(STAMP)

install: $(STAMP)

# A fresh clone's first start compiles every module it imports, one core's work; meanwhile the
# other core compiles, in the background, the packages it imports last (SQLAlchemy above all),
# so that the server finds them compiled: first page 8.9 -> 7.8 s on average (5 alternating
# fresh clones each). Once compiled, compileall only checks their dates; a package missing
# from the list is compiled as it is imported, as before.
LATE_IMPORTS := sqlalchemy alembic mako jinja2 icalendar phonenumbers asyncpg pygments
run: $(STAMP)
	@(cd $(VENV)/lib/python3*/site-packages && \
	  $(CURDIR)/$(BIN)/python -m compileall -q $(LATE_IMPORTS) >/dev/null 2>&1 &)
	$(BIN)/plexcare serve --demo --worker --mail-sink --host $(HOST) --port $(PORT)

# Debian's Chromium for browser tests (the Playwright browser download does not work here), and
# poppler-utils (pdfinfo, pdftotext) for the tests that read the report PDFs.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/pdfinfo || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null)

# axe-core (npm, pinned in package-lock.json) for the accessibility checks the browser tests run.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

axe: node_modules/axe-core/axe.min.js

test: $(STAMP) browser axe
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 -q

# pgbench is the yardstick of the booking benchmark; Debian ships it with the server package.
# Installed only when missing; without it `make bench` still runs and says the comparison was skipped.
pgbench:
	@command -v pgbench >/dev/null || ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-contrib >/dev/null) || \
	  echo "pgbench could not be installed; the booking comparison will be skipped"

bench: $(STAMP) pgbench
	$(BIN)/python -m bench

# Mutation testing of the modules that hold the promises (docs/RELIABILITY.md, "Mutation
# testing"): mutmut from a fresh ./mutants, on SQLite and PostgreSQL, about 25 minutes on two
# cores. Not part of `make test`. Every surviving mutant is listed in var/mutation-report.txt.
mutate: $(STAMP)
	CI=true $(BIN)/python -m bench.mutation

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .uv var mutants .pytest_cache .mypy_cache .ruff_cache
