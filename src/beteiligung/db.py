"""Database base classes and helpers shared by every feature package.

Models derive from :class:`Base` (integer primary key, ``created_at``/``updated_at`` in UTC) and are
registered in :func:`load_models`, which Alembic and ``create_app`` call so that the metadata is
complete wherever it is used.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

from advanced_alchemy.base import BigIntAuditBase, orm_registry

Base = BigIntAuditBase
metadata = orm_registry.metadata

# Every package that defines tables; order does not matter.
MODEL_MODULES = (
    "beteiligung.organisations.models",
    "beteiligung.accounts.models",
    "beteiligung.mail.models",
    "beteiligung.consultations.models",
    "beteiligung.proposals.models",
    "beteiligung.comments.models",
    "beteiligung.moderation.models",
    "beteiligung.notifications.models",
    "beteiligung.surveys.models",
    "beteiligung.meetings.models",
)


def load_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Objects that migrations create by hand (full-text search), unknown to the models' metadata.
SEARCH_OBJECT_PREFIXES = ("consultation_fts", "ix_consultation_fts")


def include_in_autogenerate(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic ``include_object``: leave the hand-made search objects out of the comparison."""
    return not (name or "").startswith(SEARCH_OBJECT_PREFIXES)


async def insert_ignoring_duplicates(db: Any, table: Any, values: dict[str, Any]) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``: True when a row was written, False when a unique
    constraint already held an equal row (a double click, a concurrent request)."""
    now = utcnow()
    stmt = upsert_insert(db)(table).values(created_at=now, updated_at=now, **values).on_conflict_do_nothing()
    result = await db.execute(stmt)
    return bool(result.rowcount)


def dialect_name(db: Any) -> str:
    """``postgresql`` or ``sqlite``: the database behind a session."""
    return str(db.get_bind().dialect.name)


def upsert_insert(db: Any) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing/_update``."""
    if dialect_name(db) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
