"""Write taskhub's OpenAPI document, exactly as the app serves it at /schema/openapi.json.

    .venv/bin/python scripts/openapi-document.py                      # to stdout
    .venv/bin/python scripts/openapi-document.py clients/typescript/openapi.json

The app is built with the default settings and asked over HTTP, in process: no server, no
database (the pools connect lazily, and nothing here starts the app, so nothing connects). The
JSON has sorted keys, a two-space indent and a trailing newline, so the same API always gives
the same bytes and a change to it shows as a small diff.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings

DOCUMENT_PATH = "/schema/openapi.json"
# Required to build the pools, never connected to: the document does not depend on it.
UNUSED_DATABASE_URL = "postgresql://taskhub@127.0.0.1:1/taskhub"


def served_document() -> dict[str, Any]:
    # Environment variables are ignored on purpose: the committed copy must not depend on who
    # generated it (METRICS_ENABLED=false, for one, would drop /metrics from the document).
    app = create_app(Container(settings=Settings(database_url=UNUSED_DATABASE_URL)))
    # Without the context manager the app's start-up hooks never run: no pool, no JWKS fetch.
    response = TestClient(app).get(DOCUMENT_PATH)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, help="file to write (default: stdout)")
    arguments = parser.parse_args(argv)
    text = render(served_document())
    if arguments.output is None:
        sys.stdout.write(text)
    else:
        arguments.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
