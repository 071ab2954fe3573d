"""The schema as SQLAlchemy Core tables: the one source Alembic migrations are checked against.

The tasks table's columns derive from the domain's field declarations (task_fields.py); limits
come from the domain so a rule is written once; the CHECK constraints make the database refuse
what the entity would refuse, whoever writes to it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

from taskhub.adapters.postgres.task_fields import STORED_FIELDS, StoredField
from taskhub.domain.lists import LIST_NAME_MAX_LENGTH
from taskhub.domain.model import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    TAGS_MAX_COUNT,
    USER_ID_MAX_LENGTH,
    Priority,
)
from taskhub.domain.positions import POSITION_MAX_LENGTH

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_PRIORITY_MAX_RANK = len(Priority) - 1
# A repeating task has a due date to repeat from, and the start its rule counts from.
RECURRENCE_HAS_A_START: Final = "recurrence IS NULL OR (due_at IS NOT NULL AND recurrence_start IS NOT NULL)"
# The text-search configuration of `search_vector` and of every query against it.
SEARCH_CONFIG = "simple"

task_change_seq = Sequence("task_change_seq", metadata=metadata)


def _column_type(field: StoredField) -> Any:
    if field.kind is tuple:
        return ARRAY(String(field.limits["max_length"]))
    if field.kind is str:
        return String(field.limits["max_length"])
    return _COLUMN_TYPES[field.kind]


# A Python type's column, where the column is not a string or an array (task_fields.py knows every
# type a task field may have).
_COLUMN_TYPES: Final[dict[type, Any]] = {
    UUID: Uuid(as_uuid=True),
    bool: Boolean,
    int: Integer,
    datetime: DateTime(timezone=True),
    # The rank (none=0 .. high=3), so that sorting by priority is sorting by a number.
    Priority: SmallInteger,
}


def _server_default(field: StoredField) -> Any:
    """A field's default, as the column's: rows written by hand or by older code get it too."""
    if field.default is dataclasses.MISSING or field.default is None:
        return None
    value = field.default if field.to_column is None else field.to_column(field.default)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return text(str(value).lower())
    if isinstance(value, int):
        return text(str(value))
    if value == []:
        return text("'{}'")
    raise TypeError(f"no column default for {field.name}'s {value!r}")


# What the domain does not say about storage: the key, and defaults of server fields.
_STORAGE: Final[dict[str, dict[str, Any]]] = {
    "id": {"primary_key": True},
    "version": {"server_default": text("1")},
    # Rows written by code that predates positions (during a rolling deploy) sort first among
    # their siblings, ties broken by id, instead of failing (migration 0006).
    "position": {"server_default": text("'a0'")},
}


def _column(field: StoredField) -> Column[Any]:
    options: dict[str, Any] = {"nullable": field.nullable}
    default = _server_default(field)
    if default is not None:
        options["server_default"] = default
    return Column(field.name, _column_type(field), **(options | _STORAGE.get(field.name, {})))


tasks = Table(
    "tasks",
    metadata,
    # Every field of a task, one column each (task_fields.py); the owner is the token's `sub`: Better
    # Auth owns users, so it is not a foreign key (docs/data-model.md).
    *(_column(field) for field in STORED_FIELDS),
    # Soft delete: the tombstone stays for the change feed until purged.
    Column("deleted_at", DateTime(timezone=True)),
    # Change feed: the number of the row's latest write (see repository.py, "change numbers").
    Column("change_seq", BigInteger, nullable=False, server_default=text("nextval('task_change_seq')")),
    # Full-text search over title and description; language fixed here (docs/search.md).
    Column(
        "search_vector",
        TSVECTOR,
        Computed(f"to_tsvector('{SEARCH_CONFIG}', title || ' ' || description)", persisted=True),
        nullable=False,
    ),
    CheckConstraint("char_length(owner_id) >= 1", name="owner_id_not_empty"),
    CheckConstraint("char_length(btrim(title)) >= 1", name="title_not_blank"),
    CheckConstraint(f"priority BETWEEN 0 AND {_PRIORITY_MAX_RANK}", name="priority_rank"),
    CheckConstraint(f"cardinality(tags) <= {TAGS_MAX_COUNT}", name="tag_count"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("completed = (completed_at IS NOT NULL)", name="completed_at_iff_completed"),
    CheckConstraint("char_length(position) >= 1", name="position_not_empty"),
    CheckConstraint(RECURRENCE_HAS_A_START, name="recurrence_has_a_start"),
    # A task's list is one of its owner's: the database holds that too, whoever writes.
    ForeignKeyConstraint(["owner_id", "list_id"], ["lists.owner_id", "lists.id"]),
)

_LIVE = text("deleted_at IS NULL")

# Sort keys for due dates: a task without one sorts after every date, ascending or descending.
DUE_AT_ASC = func.coalesce(tasks.c.due_at, literal_column("'infinity'::timestamptz"))
DUE_AT_DESC = func.coalesce(tasks.c.due_at, literal_column("'-infinity'::timestamptz"))
TITLE_SORT = tasks.c.title.collate("C")

# One index per sort order of the listing (owner first, then the sort key, then the id that
# breaks ties), only over live rows: every first page and every keyset page is an index range.
Index("ix_tasks_owner_created", tasks.c.owner_id, tasks.c.created_at, tasks.c.id, postgresql_where=_LIVE)
Index("ix_tasks_owner_updated", tasks.c.owner_id, tasks.c.updated_at, tasks.c.id, postgresql_where=_LIVE)
Index("ix_tasks_owner_priority", tasks.c.owner_id, tasks.c.priority, tasks.c.id, postgresql_where=_LIVE)
# Titles sort by code point ("C"): the same order on every server, whatever its locale.
Index("ix_tasks_owner_title", tasks.c.owner_id, TITLE_SORT, tasks.c.id, postgresql_where=_LIVE)
# Tasks without a due date sort last in both directions: each direction has its own expression.
Index("ix_tasks_owner_due_asc", tasks.c.owner_id, DUE_AT_ASC, tasks.c.id, postgresql_where=_LIVE)
Index("ix_tasks_owner_due_desc", tasks.c.owner_id, DUE_AT_DESC, tasks.c.id, postgresql_where=_LIVE)
# No index of its own for search or tags (migration 0004): a table-wide GIN index reads every
# user's matches; a search or tag filter walks the owner's listing index above instead.
# The change feed reads a user's rows by change number, tombstones included.
Index("ix_tasks_owner_change_seq", tasks.c.owner_id, tasks.c.change_seq, unique=True)
# Purging old tombstones.
Index("ix_tasks_deleted_at", tasks.c.deleted_at, postgresql_where=text("deleted_at IS NOT NULL"))
# Manual order, compared byte-wise ("C"): a list's (or the inbox's) tasks in order, the last key of
# a sibling set (where a new task goes), and `sort=position` with or without a list filter.
POSITION_SORT = tasks.c.position.collate("C")
Index(
    "ix_tasks_owner_list_position",
    tasks.c.owner_id,
    tasks.c.list_id,
    POSITION_SORT,
    tasks.c.id,
    postgresql_where=_LIVE,
)
Index("ix_tasks_owner_position", tasks.c.owner_id, POSITION_SORT, tasks.c.id, postgresql_where=_LIVE)
# Subtasks: a task's children in order (its subtree, where a new child goes, `parent_id=<id>`).
# Only subtasks are in it, so a top-level task (most of them) costs it nothing to write.
Index(
    "ix_tasks_owner_parent_position",
    tasks.c.owner_id,
    tasks.c.parent_id,
    POSITION_SORT,
    tasks.c.id,
    postgresql_where=text("deleted_at IS NULL AND parent_id IS NOT NULL"),
)

# A user's lists (domain/lists.py). Soft-deleted, numbered in the same change sequence as tasks
# under the same owner lock, so /api/changes carries both in commit order.
lists = Table(
    "lists",
    metadata,
    Column("id", Uuid(as_uuid=True), primary_key=True),
    Column("owner_id", String(USER_ID_MAX_LENGTH), nullable=False),
    Column("name", String(LIST_NAME_MAX_LENGTH), nullable=False),
    Column("position", String(POSITION_MAX_LENGTH), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("deleted_at", DateTime(timezone=True)),
    Column("change_seq", BigInteger, nullable=False, server_default=text("nextval('task_change_seq')")),
    CheckConstraint("char_length(owner_id) >= 1", name="owner_id_not_empty"),
    CheckConstraint("char_length(btrim(name)) >= 1", name="name_not_blank"),
    CheckConstraint("char_length(position) >= 1", name="position_not_empty"),
    CheckConstraint("version >= 1", name="version_positive"),
    # The target of tasks' (owner_id, list_id) foreign key.
    UniqueConstraint("owner_id", "id"),
)
LIST_POSITION_SORT = lists.c.position.collate("C")
Index(
    "ix_lists_owner_position",
    lists.c.owner_id,
    LIST_POSITION_SORT,
    lists.c.id,
    postgresql_where=text("deleted_at IS NULL"),
)
Index("ix_lists_owner_change_seq", lists.c.owner_id, lists.c.change_seq, unique=True)
Index("ix_lists_deleted_at", lists.c.deleted_at, postgresql_where=text("deleted_at IS NOT NULL"))

# The highest change number whose tombstone has been purged: sync tokens at or below it expired.
sync_state = Table(
    "sync_state",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("purged_through_seq", BigInteger, nullable=False, server_default=text("0")),
    CheckConstraint("id = 1", name="single_row"),
)

# Users erased (ports/accounts.py): the SHA-256 of the user id, never the id, and a change number
# above all of theirs, below which their sync tokens expired. Nothing else of theirs is kept.
erasures = Table(
    "erasures",
    metadata,
    Column("owner_digest", LargeBinary(32), primary_key=True),
    Column("through_seq", BigInteger, nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("octet_length(owner_digest) = 32", name="digest_length"),
)

# How each idempotent request ended, per user and key (docs/concurrency.md): the task it answered
# with, or the domain error it ended with. Written in the same transaction as the write it records.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner_id", String(USER_ID_MAX_LENGTH), primary_key=True),
    Column("key", String(IDEMPOTENCY_KEY_MAX_LENGTH), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    # The task or list as task_rows.task_to_json / list_rows.list_to_json write them, or the error
    # as {"kind", "details"}: exactly one of the three.
    Column("task", JSONB),
    Column("list", JSONB),
    Column("failure", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("char_length(key) >= 1", name="key_not_empty"),
    CheckConstraint("num_nonnulls(task, list, failure) = 1", name="one_ending"),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)
