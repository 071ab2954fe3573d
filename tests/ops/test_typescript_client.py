"""The TypeScript kit in clients/typescript stays true to the API: its OpenAPI document is the one
the app serves, its types are what openapi-typescript makes of that document, and the typed
example compiles against them.

The last two need Node.js and npm. Without them they fail with one line saying what to install:
skipped, they would let the committed types drift from the API unnoticed."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings
from tests.support.storage import use_memory

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
DOCUMENT = CLIENT / "openapi.json"
TYPES = CLIENT / "src" / "schema.d.ts"
SCRIPT = ROOT / "scripts" / "openapi-document.py"

REGENERATE = "regenerate with `make types`"
# @redocly/openapi-core, which openapi-typescript uses, needs at least this version.
MINIMUM_NODE = (18, 17)
INSTALL_NODE = (
    f"the TypeScript client checks need Node.js {'.'.join(map(str, MINIMUM_NODE))} or later and npm "
    "on PATH: install them (Debian/Ubuntu: sudo apt-get install nodejs npm)"
)
# Written into node_modules after `npm ci`: which package.json and lock it was installed from.
INSTALLED_STAMP = CLIENT / "node_modules" / ".taskhub-installed-from"
NPM_TIMEOUT_SECONDS = 300


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        args, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
    )


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _difference(old: str, new: str, old_name: str, new_name: str) -> str:
    # The files are thousands of lines long: the first lines that differ say enough.
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=1)
    return "\n".join(list(lines)[:40])


def _last_lines(text: str, count: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-count:])


def _lock_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((CLIENT / name).read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def served_by_the_script() -> str:
    result = _run([sys.executable, str(SCRIPT)], cwd=ROOT)
    assert result.returncode == 0, f"scripts/openapi-document.py failed:\n{_last_lines(result.stderr)}"
    return result.stdout


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """clients/typescript/node_modules as its lock says, installed with `npm ci` when missing or
    installed from another package.json or lock: once per run, so a fresh clone needs no step."""
    if not (shutil.which("node") and shutil.which("npm") and shutil.which("npx")):
        pytest.fail(INSTALL_NODE, pytrace=False)
    version = _run(["node", "--version"], cwd=CLIENT).stdout.strip()
    found = re.match(r"v(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) < MINIMUM_NODE:
        pytest.fail(f"{INSTALL_NODE}; found node {version or 'that does not run'}", pytrace=False)
    fingerprint = _lock_fingerprint()
    if _text(INSTALLED_STAMP) != fingerprint:
        result = _run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CLIENT, timeout=NPM_TIMEOUT_SECONDS)
        if result.returncode != 0:
            # npm says why first, then prints its usage: the first lines are the ones to read.
            reason = "\n".join(result.stderr.strip().splitlines()[:8])
            pytest.fail(f"`npm ci` in clients/typescript failed:\n{reason}", pytrace=False)
        INSTALLED_STAMP.write_text(fingerprint, encoding="utf-8")
    return CLIENT / "node_modules"


def test_the_committed_openapi_document_is_the_one_the_app_serves(served_by_the_script: str) -> None:
    committed = _text(DOCUMENT)
    same = committed == served_by_the_script
    assert same, (
        f"clients/typescript/openapi.json is not the document the app serves now: {REGENERATE}\n"
        + _difference(committed, served_by_the_script, "committed", "served")
    )


def test_the_document_is_the_same_from_one_process_to_the_next(served_by_the_script: str) -> None:
    # An example Litestar invents (a ResponseSpec without examples and without
    # `generate_examples=False`) is random, and whether a schema gets one varies from process to
    # process: such a document never matches its committed copy twice in a row.
    runs = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, str(SCRIPT)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        )
        for seed in (1, 2)
    ]
    finished = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), "\n".join(_last_lines(errors) for _, errors in finished)
    different = [output for output, _ in finished if output != served_by_the_script]
    assert not different, (
        "the OpenAPI document differs between two builds of the app; look for a ResponseSpec "
        "with no examples and no generate_examples=False (Litestar then makes up random ones):\n"
        + _difference(served_by_the_script, different[0], "first build", "another build")
    )


async def test_the_script_writes_the_document_the_app_serves_over_http(served_by_the_script: str) -> None:
    container = Container(settings=Settings(database_url="postgresql://unused@127.0.0.1:1/unused"))
    use_memory(container)
    async with AsyncTestClient(app=create_app(container)) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert json.loads(served_by_the_script) == response.json()


def test_the_committed_types_are_what_openapi_typescript_generates(node_modules: Path) -> None:
    result = _run(["npm", "run", "--silent", "generate", "--", "--stdout"], cwd=CLIENT)
    assert result.returncode == 0, f"npm run generate failed:\n{_last_lines(result.stderr)}"
    committed = _text(TYPES)
    same = committed == result.stdout
    assert same, (
        "clients/typescript/src/schema.d.ts is not what openapi-typescript generates from "
        "clients/typescript/openapi.json: run `npm --prefix clients/typescript run generate`\n"
        + _difference(committed, result.stdout, "committed", "generated")
    )


def test_the_typed_example_compiles_against_the_types(node_modules: Path) -> None:
    result = _run(["npx", "--no-install", "tsc", "--noEmit", "-p", str(CLIENT)], cwd=CLIENT)
    assert result.returncode == 0, (
        "tsc --noEmit -p clients/typescript failed (the example or the types no longer fit the API):\n"
        + _last_lines(result.stdout + result.stderr, 30)
    )
