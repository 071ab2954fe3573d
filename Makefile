# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project definition changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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
	$(BIN)/ruff check src tests migrations
	$(BIN)/ruff format --check src tests migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix src tests migrations
	$(BIN)/ruff format src tests migrations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
