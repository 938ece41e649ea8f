# Every target builds .venv first, so `make demo` and `make test` work on a fresh machine
# that has only Python (>= 3.11), pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lingtan demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Three workers on two cores: a fair share of the suite waits (PostgreSQL, servers started in
# subprocesses, the browser), and a third worker fills those waits (837 s against 891 s for
# two, the same suite on 2 cores, 7 Dec 2026).
# Bytecode caches are written even where the environment turns them off
# (PYTHONDONTWRITEBYTECODE): the servers, CLI runs and normaliser children the tests start
# then import lingtan compiled, and pytest keeps its rewritten test modules (collection
# 20 s → 10 s a worker once cached).
pytest: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n 3

# mypy (about 30 s of one core from a cold cache) runs beside the tests instead of before them
test: lint
	$(MAKE) --no-print-directory -j2 typecheck pytest

# The benchmarks at the sizes the issues name (about 20 minutes: the accounting set-up writes
# 87.6 M hourly rows per engine); each prints ratios against a baseline run in the same process.
bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/accounting.py
	$(BIN)/python bench/collect.py
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/alarms.py
	$(BIN)/python bench/tariffs.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/forecast.py
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/environment.py

# The same benchmarks at small sizes (a couple of minutes), to check they run.
bench-quick: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/ingest.py --points 200 --minutes 240
	$(BIN)/python bench/accounting.py --points 400 --hours 744 --enterprises 8 --maint-points 200 --maint-batches 2
	$(BIN)/python bench/collect.py --cycles 5 --messages 100 --readings 200
	$(BIN)/python bench/outbox.py --messages 200 --repeat 1
	$(BIN)/python bench/api.py --seconds 5 --days 2
	$(BIN)/python bench/cli_startup.py --repeat 3
	$(BIN)/python bench/alarms.py --minutes 20 --repeat 1
	$(BIN)/python bench/tariffs.py --points 20 --hours 744 --repeat 1
	$(BIN)/python bench/matching.py --repeat 1
	$(BIN)/python bench/tariffs.py --points 20 --hours 1488 --repeat 1
	$(BIN)/python bench/dispatch.py --quick
	$(BIN)/python bench/environment.py --stations 10 --minutes 60 --repeat 1 --assess-stations 5 --days 30

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
