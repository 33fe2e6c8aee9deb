# Takara Map — the two commands (README): `make demo` and `make test`.
PYTHON ?= python3
PORT ?= 8000

.PHONY: demo test setup lint bench

setup:
	@bash scripts/setup.sh

## Build the bundled demo and serve it at http://127.0.0.1:$(PORT)/ (rebuilds when data, layers or templates change)
demo: setup
	$(PYTHON) build.py serve --port $(PORT)

## Every test, browser tests included, after the lint, format and type checks; one worker per core
## (--dist loadfile keeps each test file's shared builds in one worker)
test: setup lint
	$(PYTHON) -m pytest -q -n auto --dist loadfile

## ruff (the rules in pyproject.toml), ruff format, mypy on gis/
lint: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

## Every target of issue 15 measured in one run (about 40 minutes on 2 cores): bench/results.md, results.json
## and README's table. Options (sizes, rows, runs): BENCH_ARGS='--sizes 3000,10000' make bench; docs/benchmark.md
bench: setup
	$(PYTHON) -m bench.run $(BENCH_ARGS)
