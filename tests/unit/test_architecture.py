"""The domain is plain Python: it imports the standard library and itself, and nothing else but
calculation libraries that do no I/O (`CALCULATIONS`)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import taskhub.domain

DOMAIN = Path(taskhub.domain.__file__).parent
# python-dateutil's rrule evaluates RFC 5545 recurrence rules (domain/recurrence.py): date
# arithmetic, as zoneinfo is, with no I/O, framework or driver.
CALCULATIONS = {"dateutil"}


def imported_top_level_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_domain_imports_only_the_standard_library_itself_and_calculations() -> None:
    allowed = set(sys.stdlib_module_names) | {"taskhub"} | CALCULATIONS
    for path in DOMAIN.rglob("*.py"):
        outside = imported_top_level_modules(path) - allowed
        assert not outside, f"{path.name} imports {sorted(outside)}"


def test_the_domain_imports_no_outer_taskhub_layer() -> None:
    for path in DOMAIN.rglob("*.py"):
        source = path.read_text()
        for layer in ("ports", "application", "adapters", "entrypoints"):
            assert f"taskhub.{layer}" not in source, f"{path.name} reaches into taskhub.{layer}"
