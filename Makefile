# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# What is installed, by lock: serving needs the runtime and the embedded PostgreSQL only; the
# tests need the development tools too (a superset). Each stamp is redone when its lock changes.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test test-tools test-embedded lint format install install-dev clean lock fuzz bench smoke types

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  echo "$(PYTHON) -m venv failed: install Python's venv module (Debian/Ubuntu: sudo apt-get install python3-venv)" >&2; \
	  exit 2; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locks pin every package with hashes.
$(RUN_STAMP): requirements-run.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-run.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(RUN_STAMP)

$(DEV_STAMP): requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(DEV_STAMP) $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

## Serve the API on $(HOST):$(PORT) (127.0.0.1:8000); embedded PostgreSQL unless DATABASE_URL is set.
run: install
	$(BIN)/taskhub serve

## Lint, type-check, then run the whole test suite.
test: test-tools install-dev lint
	$(BIN)/python -m pytest

## The suites that talk to PostgreSQL, on the embedded server whatever TEST_DATABASE_URL says
## (the newcomer's path; CI runs it next to `make test`).
test-embedded: test-tools install-dev
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest tests/adapters tests/contract tests/migrations tests/resilience

# Programs some tests start themselves; checked before anything is installed, so a missing one
# stops the run at once with one line saying how to get it.
test-tools:
	@scripts/ensure-test-services.sh

lint: install-dev
	$(BIN)/ruff check src tests migrations scripts bench
	$(BIN)/ruff format --check src tests migrations scripts bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/audit.py

format: install-dev
	$(BIN)/ruff check --fix src tests migrations scripts bench
	$(BIN)/ruff format src tests migrations scripts bench

## Load test: taskhub next to the bare-driver ceiling (bench/README.md). Needs wrk.
bench: install-dev
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk"; exit 2; }
	$(BIN)/python bench/run.py

## Regenerate the TypeScript client's OpenAPI document and types (clients/typescript) after an API change.
types: install-dev
	$(BIN)/python scripts/openapi-document.py clients/typescript/openapi.json
	cd clients/typescript && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run generate

## A longer schema-fuzzing run than make test's (FUZZ_EXAMPLES per operation).
fuzz: install-dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(BIN)/python -m pytest tests/security/test_schema_fuzzing.py -p no:logging

## Build the container image and run it against a PostgreSQL (scripts/container-smoke.sh).
smoke:
	scripts/container-smoke.sh

## Re-resolve the locked dependencies after changing pyproject.toml: the development lock first
## (with the `otel` extra, so the tracing tests run), then the two it contains, held to its
## versions so all three agree.
lock: install-dev
	$(BIN)/uv pip compile pyproject.toml --universal --extra dev --extra embedded --extra otel --generate-hashes -q -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml --universal --generate-hashes -q -c requirements-dev.lock -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --universal --extra embedded --generate-hashes -q -c requirements-dev.lock -o requirements-run.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
