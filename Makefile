# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format install clean lock fuzz bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the locked dependencies change; the lock pins every package with hashes.
$(STAMP): requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## Serve the API on $(HOST):$(PORT) (127.0.0.1:8000); embedded PostgreSQL unless DATABASE_URL is set.
run: install
	$(BIN)/taskhub serve

## Lint, type-check, then run the whole test suite.
test: install lint
	@scripts/ensure-test-services.sh
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests migrations scripts bench
	$(BIN)/ruff format --check src tests migrations scripts bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/audit.py

format: install
	$(BIN)/ruff check --fix src tests migrations scripts bench
	$(BIN)/ruff format src tests migrations scripts bench

## Load test: taskhub next to the bare-driver ceiling (bench/README.md). Needs wrk.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk"; exit 2; }
	$(BIN)/python bench/run.py

## A longer schema-fuzzing run than make test's (FUZZ_EXAMPLES per operation).
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(BIN)/python -m pytest tests/security/test_schema_fuzzing.py -p no:logging

## Re-resolve the locked dependencies after changing pyproject.toml.
lock: install
	$(BIN)/uv pip compile pyproject.toml --universal --generate-hashes -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --universal --extra dev --extra embedded --generate-hashes -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
