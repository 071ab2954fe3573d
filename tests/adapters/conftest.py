"""Fixtures shared by the adapter suites."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture
def keep_logging_as_it_was() -> Iterator[None]:
    """A `taskhub` command run in-process configures logging for its process; the test runner's
    must survive it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
