# The two commands: `make run` (set up, migrate, demo data on first run, serve on :5000)
# and `make test` (set up, run the suite on SQLite, and on PostgreSQL when
# INCUBATOR_TEST_POSTGRES_URL is set).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# "Today" (overdue incubations, enrolment windows) is the server's local date: the district's.
export TZ ?= Asia/Shanghai

.PHONY: run serve test setup system-deps translations demo bench clean guide

run: setup
	$(BIN)/incubator db upgrade
	@if [ ! -f instance/.demo-loaded ]; then \
	  $(BIN)/incubator demo && touch instance/.demo-loaded; \
	else echo "Demo data already loaded (accounts: admin, district-mgr, fangxing-mgr, … password demo12345)."; fi
	@HOST=$(HOST) PORT=$(PORT) scripts/serve-demo.sh

# Production: gunicorn with several workers (incubator/serve.py), migrations first; PostgreSQL and
# Redis from INCUBATOR_DATABASE_URL and INCUBATOR_RATELIMIT_STORAGE_URL, e.g.
# make serve HOST=0.0.0.0 PORT=8000 SERVE_ARGS="--workers 5 --with-worker --proxies 1"
SERVE_ARGS ?=

serve: setup
	$(BIN)/incubator db upgrade
	HOST=$(HOST) PORT=$(PORT) $(BIN)/incubator serve $(SERVE_ARGS)

# The suite (browser journeys included) in two processes (pytest-xdist); PYTEST_ARGS narrows it,
# e.g. make test PYTEST_ARGS=tests/browser (the browser journeys alone). On PostgreSQL the suite runs
# again without the browser journeys (they check pages, which every other test already runs on both
# databases; twice they were half of CI's time), unless PYTEST_ARGS names what to run.
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile
PYTEST_ARGS ?=
POSTGRES_PYTEST_ARGS ?= $(or $(PYTEST_ARGS),--ignore=tests/browser)

test: setup
	@scripts/system-deps.sh --browser
	$(PYTEST) $(PYTEST_ARGS)
	@if [ -n "$$INCUBATOR_TEST_POSTGRES_URL" ]; then \
	  echo "== the suite again on PostgreSQL (the browser journeys ran above, on SQLite) =="; \
	  INCUBATOR_TEST_DATABASE_URL="$$INCUBATOR_TEST_POSTGRES_URL" $(PYTEST) $(POSTGRES_PYTEST_ARGS); \
	fi

setup: system-deps $(VENV)/.installed translations

system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt setup.cfg setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) (log: $(VENV)/install.log)"
	@( $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -r requirements-dev.txt \
	   && $(BIN)/pip install -q --no-deps -e . \
	   && $(BIN)/python -m compileall -q incubator plugins ) > $(VENV)/install.log 2>&1 \
	   || (tail -40 $(VENV)/install.log; exit 1)
	touch $@

translations: $(VENV)/.installed
	@for d in incubator/translations plugins/*/translations; do \
	  [ -d "$$d" ] && $(BIN)/pybabel -q compile -d "$$d" || exit 1; \
	done

bench: setup
	$(BIN)/python benchmarks/core_pages.py

clean:
	rm -rf $(VENV) instance .pytest_cache

# The user guides' pictures (docs/guide/images/) taken anew by the browser journeys.
guide: setup
	@scripts/system-deps.sh --browser
	INCUBATOR_GUIDE_IMAGES=$(CURDIR)/docs/guide/images $(PYTEST) tests/browser -k "journey"
