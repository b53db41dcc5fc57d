# deliberate: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
CATALOG := deliberate/translations
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run demo-reset test install install-test translations extract-messages lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

translations: $(BIN)/python
	$(BIN)/pybabel compile --use-fuzzy -d $(CATALOG) --statistics 2>&1 | tail -1

extract-messages: $(BIN)/python
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(CATALOG)/messages.pot --no-location --sort-output deliberate templates
	$(BIN)/pybabel update -i $(CATALOG)/messages.pot -d $(CATALOG) --no-fuzzy-matching --ignore-obsolete

instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print('SECRET_KEY = %r' % secrets.token_hex(32))" > instance/config.py

run: install translations instance/config.py
	DELIBERATE_SECURE_COOKIES=0 $(BIN)/deliberate db upgrade
	DELIBERATE_SECURE_COOKIES=0 $(BIN)/deliberate seed-demo
	# the site and a worker for its jobs (mail, notifications, digests), stopped together; no Redis needed
	# (the links in the demo's mail point at this server)
	DELIBERATE_SECURE_COOKIES=0 DELIBERATE_BASE_URL=$${DELIBERATE_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/deliberate worker & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DELIBERATE_SECURE_COOKIES=0 DELIBERATE_BASE_URL=$${DELIBERATE_BASE_URL:-http://$(HOST):$(PORT)} \
	  $(BIN)/deliberate run --host $(HOST) --port $(PORT)

# The demo's SQLite database, thrown away and seeded again (a database of your own, set by DELIBERATE_DATABASE_URL,
# is never touched).
demo-reset: install translations instance/config.py
	rm -f instance/deliberate.sqlite3
	DELIBERATE_DATABASE_URL= DELIBERATE_SECURE_COOKIES=0 $(BIN)/deliberate db upgrade
	DELIBERATE_DATABASE_URL= DELIBERATE_SECURE_COOKIES=0 $(BIN)/deliberate seed-demo

lint: install-test
	$(BIN)/ruff check .

test: install-test translations
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: install-test
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
