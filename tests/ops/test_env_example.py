""".env.example lists every setting taskhub reads, and nothing else, as a copy that changes nothing.

The variables are those `Settings.from_env` asks its environment for, recorded while it runs:
however a setting comes to be read, it is seen, with no list to keep in step by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from dotenv import dotenv_values

from taskhub.entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"


class _RecordingEnvironment(Mapping[str, str]):
    """An environment that remembers every name it is asked for."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        # Settings read by listing the environment (a prefix, say) could not be recorded here.
        raise AssertionError("Settings.from_env lists the environment: name those variables here")

    def __len__(self) -> int:
        return len(self._values)


@cache
def variables_settings_reads() -> frozenset[str]:
    """Every variable `Settings.from_env` reads, in development and in production.

    Both, because a setting could be read in one mode only.
    """
    asked: set[str] = set()
    for values in (
        {},
        {
            "TASKHUB_ENV": "production",
            "DATABASE_URL": "postgresql://taskhub@db.example.com/taskhub",
            "BETTER_AUTH_URL": "https://auth.example.com",
        },
    ):
        environment = _RecordingEnvironment(values)
        Settings.from_env(environment)
        asked |= environment.asked
    return frozenset(asked)


def env_example() -> dict[str, str | None]:
    # Parsed by python-dotenv, as `taskhub` reads a `.env` copied from it.
    return dotenv_values(ENV_EXAMPLE)


def test_env_example_lists_every_variable_settings_reads() -> None:
    # A recording that saw nothing would make every file pass.
    assert "DATABASE_URL" in variables_settings_reads()
    missing = variables_settings_reads() - env_example().keys()
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_lists_only_variables_settings_reads() -> None:
    unknown = env_example().keys() - variables_settings_reads()
    assert not unknown, f".env.example lists {sorted(unknown)}, which taskhub never reads"


def test_env_example_copied_as_it_is_keeps_every_default() -> None:
    values = {name: value or "" for name, value in env_example().items()}
    assert Settings.from_env(values) == Settings.from_env({})
