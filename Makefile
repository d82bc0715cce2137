# Despatch: `make demo` to see it work, `make test` to prove it, `make check` before you push.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SQLITE_TEST_URL := sqlite:///$(CURDIR)/.test-despatch.sqlite3
PG_TEST_URL ?= $(or $(DESPATCH_TEST_DATABASE_URL),postgresql://postgres@127.0.0.1:5432/postgres)

.PHONY: install demo serve worker check lint test test-sqlite test-postgres bench bench-smoke clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

demo: install  ## seed a small business, run 2,000 orders through, serve http://127.0.0.1:8000
	$(BIN)/despatch demo $(if $(PORT),--port $(PORT))

serve: install
	$(BIN)/despatch migrate && $(BIN)/despatch serve

worker: install
	$(BIN)/despatch worker

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint  ## ruff, mypy, import-linter, module and function sizes, and the unit tests
	$(BIN)/python tools/sizes.py
	DESPATCH_DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/pytest tests/unit -q

test: test-sqlite test-postgres  ## every tier, on SQLite and on PostgreSQL

test-sqlite: install
	@echo "== tests on SQLite =="
	DESPATCH_DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/pytest -q

# PostgreSQL is required when DESPATCH_TEST_DATABASE_URL is set (as in CI); otherwise the run
# uses the local server if one answers and says plainly when none does.
test-postgres: install
	@if [ -n "$(DESPATCH_TEST_DATABASE_URL)" ] || $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== tests on PostgreSQL ($(PG_TEST_URL)) =="; \
		DESPATCH_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q; \
	else \
		echo "== no PostgreSQL answers at $(PG_TEST_URL): the PostgreSQL run did not happen =="; \
	fi

bench: install  ## pipeline orders/second vs the raw-SQL limit; API end to end; a million orders; webhook intake; pick routing
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/breakdown.py
	$(BIN)/python bench/breakdown.py --database-url $(PG_TEST_URL)
	$(BIN)/python bench/http_orders.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/webhooks.py --workers 2
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/labels.py
	$(BIN)/python bench/wave.py
	$(BIN)/python bench/dashboard.py

# Every benchmark script at a tiny size, so that a broken benchmark fails CI. It asserts no speed.
bench-smoke: install
	$(BIN)/python bench/pipeline.py --orders 8 --mixes spread --processes 2
	$(BIN)/python bench/breakdown.py --orders 20
	$(BIN)/python bench/http_orders.py --orders 8 --clients 1,2 --server-workers 1 --workers 1
	$(BIN)/python bench/scale.py --orders 300 --small 100 --pipeline-orders 8 --repeat 2
	$(BIN)/python bench/webhooks.py --deliveries 40 --clients 2 --workers 1 --threads 4
	$(BIN)/python bench/routing.py --lists 5 --picks 10
	$(BIN)/python bench/labels.py --labels 5
	$(BIN)/python bench/wave.py --orders 20
	$(BIN)/python bench/dashboard.py --orders 20 --requests 2

clean:
	rm -rf $(VENV) .test-despatch*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
