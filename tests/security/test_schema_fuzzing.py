"""Schema fuzzing with schemathesis against the app's own OpenAPI document.

Every operation gets generated requests (valid and invalid) with a valid token; the checks:
no 5xx, responses match the documented schemas, status codes and content types. `make fuzz`
runs the same with many more examples.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from taskhub.adapters.memory import InMemoryStore
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings
from tests.http.conftest import SECRET, token_for
from tests.support.storage import use_memory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


STORE = InMemoryStore()


def fuzzed_app() -> Any:
    settings_ = Settings(
        database_url="postgresql://fuzz@127.0.0.1:1/fuzz",  # never reached: storage is in memory
        auth_secret=SECRET,
        rate_limit_per_minute=1_000_000,
        rate_limit_anon_per_minute=1_000_000,
    )
    container = Container(settings=settings_)
    use_memory(container, STORE)
    return create_app(container)


schema = schemathesis.openapi.from_asgi("/schema/openapi.json", fuzzed_app())
AUTH = {"Authorization": f"Bearer {token_for('fuzzer')}"}
# The checks. (Positive-data acceptance is left out on purpose: cursors and sync tokens
# are opaque, so a generated one is rightly refused with 400.)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@schema.include(path_regex="^/api/").parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_api_operation_breaks_its_contract(case: schemathesis.Case) -> None:
    # Raises (and fails the test) when any of CHECKS fails on the response.
    case.call_and_validate(headers=AUTH, checks=CHECKS)


class StatefulTasks(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences along the links schemathesis infers (create, then read, patch, complete, delete...)."""

    def setup(self) -> None:
        # Each sequence starts from an empty store: the same choices must give the same answers.
        STORE.__init__()  # type: ignore[misc]
        super().setup()

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": AUTH}

    def validate_response(self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any) -> None:
        case.validate_response(response, checks=CHECKS)


@pytest.mark.filterwarnings("ignore")
def test_stateful_sequences_keep_the_contract() -> None:
    # Raises (and fails the test) when a step's response fails any of CHECKS.
    StatefulTasks.run(
        settings=settings(
            max_examples=max(EXAMPLES // 5, 3), deadline=None, suppress_health_check=list(HealthCheck)
        )
    )
