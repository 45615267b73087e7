# The README's commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-browser browser-deps setup serve-prod release fleet bench lint lock lock-check translations translations-update clean

# The venv installs the hashed dev lock only (every transitive dependency pinned, pip included): what runs here
# and in CI is byte for byte what was locked. requirements*.txt are the inputs of `make lock`.
$(BIN)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# pip-compile's options for both locks. The index and find-links of this machine's pip configuration stay out of
# the files; --allow-unsafe pins pip and setuptools too, which --require-hashes needs.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
  --strip-extras --no-emit-index-url --no-emit-find-links

## lock: after adding or changing a pin in requirements.txt (or requirements-dev.txt), resolve every transitive
## dependency again into requirements.lock (production) and requirements-dev.lock (dev; constrained by the
## production lock, so both install the same versions), with hashes, then sync the venv. Existing pins are kept.
lock: $(BIN)/.installed
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -c requirements.lock -o requirements-dev.lock requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(BIN)/.installed

## lock-check: the locks match requirements*.txt: the top-level pins (tests/test_lock.py, offline), then a fresh
## pip-compile into a temporary copy diffed with the committed locks (needs the package index, ~1 min).
lock-check: $(BIN)/.installed
	$(BIN)/python -m pytest -q -n 0 tests/test_lock.py
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp requirements.lock requirements-dev.lock "$$tmp"/ && \
	if ! { $(PIP_COMPILE) -o "$$tmp"/requirements.lock requirements.txt && \
	       $(PIP_COMPILE) -c requirements.lock -o "$$tmp"/requirements-dev.lock requirements-dev.txt; } >"$$tmp"/log 2>&1; \
	then cat "$$tmp"/log; echo "lock-check: pip-compile failed (is the package index reachable?)"; exit 1; fi; \
	if diff -u requirements.lock "$$tmp"/requirements.lock && diff -u requirements-dev.lock "$$tmp"/requirements-dev.lock; \
	then echo "lock-check: requirements.lock and requirements-dev.lock match requirements*.txt"; \
	else echo "lock-check: the locks do not match requirements*.txt: run 'make lock', commit both .lock files"; exit 1; fi

translations: $(BIN)/.installed
	@if [ -d community/translations ]; then $(BIN)/pybabel compile -d community/translations; fi

## translations-update: extract every _()/_l() string into messages.pot and merge it into each language's .po.
## New entries arrive empty (no fuzzy guesses) so tests/test_i18n.py fails until they are translated.
## --ignore-dirs replaces Babel's default, which would skip templates/_macros/.
translations-update: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
	  --ignore-dirs='.* __pycache__' --add-location=file --sort-by-file -c TRANSLATORS: \
	  --project=Cocreate -o community/translations/messages.pot .
	$(BIN)/pybabel update -i community/translations/messages.pot -d community/translations -l zh \
	  --init-missing --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -d community/translations

## setup: venv, requirements, translations, migrations, demo data (only into an empty database), router model
setup: translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	@# The router first, so the demo's feedback is routed by the real model.
	@if $(BIN)/flask --help 2>/dev/null | grep -q "^  routing"; then $(BIN)/flask routing train --if-missing; fi
	$(BIN)/flask demo load --if-empty

## run: set up and serve the demo on http://$(HOST):$(PORT)
run: setup
	@echo ""
	@echo "  Cocreate is running at http://$(HOST):$(PORT)"
	@$(BIN)/python -c "from community.demo import logins_text; print('  Demo logins:'); print(logins_text())"
	@echo ""
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: set up, run the suite on SQLite, the browser suite once, then the suite on PostgreSQL when
## TEST_DATABASE_URL is set. The suites run in parallel (pytest-xdist): TEST_WORKERS processes, one per core
## by default, each on a database of its own.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal
test: setup browser-deps
	$(PYTEST) --ignore=tests/browser
	@echo "== the browser suite (Debian's chromium, zh and en, 1280 and 390 px)"
	$(BIN)/python -m pytest -q tests/browser
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  COCREATE_TEST_DB="$$TEST_DATABASE_URL" $(PYTEST) --ignore=tests/browser; \
	fi

## test-browser: only the browser suite (screenshots in screenshots/browser/)
test-browser: setup browser-deps
	$(BIN)/python -m pytest -q tests/browser

## browser-deps: Debian's chromium and CJK fonts (without them Chinese renders as boxes), installed with
## apt-get when absent; needs root, as on CI.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	  else echo "The browser suite needs Debian's chromium and fonts-noto-cjk: apt-get install them as root."; fi; \
	fi

## serve-prod: gunicorn with deploy/gunicorn.conf.py; needs COCREATE_ENV=production, SECRET_KEY, DATABASE_URL and
## PUBLIC_BASE_URL in the environment. It does not migrate: run `make release` once per release first.
serve-prod: $(BIN)/.installed
	GUNICORN_BIND=$(HOST):$(PORT) WEB_CONCURRENCY=$${WORKERS:-2} $(BIN)/gunicorn -c deploy/gunicorn.conf.py

## release: the once-per-release step (migrations, then a router model if none exists); see deploy/release.sh
release: $(BIN)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" sh deploy/release.sh

## fleet: two app hosts behind nginx on their own PostgreSQL, Redis, worker and schedulers; load, failures, figures
## FLEET_ARGS=--short: every figure on less load (~2 min); FLEET_PORT_BASE=N moves its six ports
fleet: translations
	nice -n 10 $(BIN)/python bench/fleet.py $(FLEET_ARGS)

bench: setup
	$(BIN)/python bench/run.py

lint: $(BIN)/.installed
	$(BIN)/ruff check community tests bench examples

## migrations-check: the models match what the migrations build (flask db check), on the database make setup
## migrated; tests/test_migrations.py checks the same on the test databases (SQLite and PostgreSQL)
migrations-check: setup
	$(BIN)/flask db check

clean:
	rm -rf $(VENV) instance/cocreate.db
