"""Running the Alembic migrations from code (`taskhub migrate`, start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

# In a wheel the migrations ship inside the package; in a source checkout they sit at its root.
_PACKAGED = Path(__file__).resolve().parents[2] / "_migrations"
_CHECKOUT = Path(__file__).resolve().parents[4] / "migrations"


def migrations_dir() -> Path:
    for candidate in (_PACKAGED, _CHECKOUT):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the Alembic migrations directory is missing from this installation")


def alembic_config(database_url: str | None = None, pooler: str = "auto") -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    config.attributes["pooler"] = pooler
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migration revisions found")
    return head


def upgrade(database_url: str, revision: str = "head", pooler: str = "auto") -> None:
    """Blocking; safe to run from several instances at once (env.py holds an advisory lock)."""
    command.upgrade(alembic_config(database_url, pooler), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
