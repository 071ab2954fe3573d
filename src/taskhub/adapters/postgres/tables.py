"""The schema as SQLAlchemy Core tables: the one source Alembic migrations are checked against.

Limits come from the domain so a rule is written once; the CHECK constraints make the database
refuse what the entity would refuse, whoever writes to it.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

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
    CheckConstraint("char_length(owner_id) >= 1", name="owner_id_not_empty"),
    CheckConstraint("char_length(btrim(title)) >= 1", name="title_not_blank"),
    CheckConstraint(f"priority BETWEEN 0 AND {_PRIORITY_MAX_RANK}", name="priority_rank"),
    CheckConstraint(f"cardinality(tags) <= {TAGS_MAX_COUNT}", name="tag_count"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("completed = (completed_at IS NOT NULL)", name="completed_at_iff_completed"),
    Index(
        "ix_tasks_owner_created",
        "owner_id",
        "created_at",
        "id",
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

# The first response of each idempotent request, per user and key (API.md, "Writes that clients
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
