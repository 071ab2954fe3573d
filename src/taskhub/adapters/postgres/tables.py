"""The schema as SQLAlchemy Core tables: the one source Alembic migrations are checked against.

Limits come from the domain so a rule is written once; the CHECK constraints make the database
refuse what the entity would refuse, whoever writes to it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    SmallInteger,
    String,
    Table,
    Uuid,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

from taskhub.domain.model import (
    DESCRIPTION_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX_COUNT,
    TIME_ZONE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USER_ID_MAX_LENGTH,
    Priority,
)

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
# The text-search configuration of `search_vector` and of every query against it.
SEARCH_CONFIG = "simple"

task_change_seq = Sequence("task_change_seq", metadata=metadata)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Uuid(as_uuid=True), primary_key=True),
    # Better Auth owns users: the owner is the token's `sub`, not a foreign key (docs/data-model.md).
    Column("owner_id", String(USER_ID_MAX_LENGTH), nullable=False),
    Column("title", String(TITLE_MAX_LENGTH), nullable=False),
    Column("description", String(DESCRIPTION_MAX_LENGTH), nullable=False, server_default=""),
    Column("completed", Boolean, nullable=False, server_default=text("false")),
    Column("completed_at", DateTime(timezone=True)),
    # The rank (none=0 .. high=3) so that sorting by priority is sorting by a number.
    Column("priority", SmallInteger, nullable=False, server_default=text("0")),
    Column("due_at", DateTime(timezone=True)),
    Column("time_zone", String(TIME_ZONE_MAX_LENGTH)),
    Column("tags", ARRAY(String(TAG_MAX_LENGTH)), nullable=False, server_default=text("'{}'")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
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

# The highest change number whose tombstone has been purged: sync tokens at or below it expired.
sync_state = Table(
    "sync_state",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("purged_through_seq", BigInteger, nullable=False, server_default=text("0")),
    CheckConstraint("id = 1", name="single_row"),
)

# The first response of each idempotent request, per user and key (docs/api.md, "Writes that clients
# retry"). Written in the same transaction as the task write it records.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner_id", String(USER_ID_MAX_LENGTH), primary_key=True),
    Column("key", String(IDEMPOTENCY_KEY_MAX_LENGTH), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("char_length(key) >= 1", name="key_not_empty"),
    CheckConstraint("status BETWEEN 100 AND 599", name="status_is_http"),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)
