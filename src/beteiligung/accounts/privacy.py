"""Self-service data export (DS-08) and the erasure check (DS-09), driven by the schema.

Every table with a foreign key to ``user_account.id`` is exported automatically, so a feature
that adds such a table is covered without touching this module. A table can point at accounts
in several columns (a proposal has its author, the staff member who recorded it and the one who
answered it): the export holds every row where *any* of them is the person, each row once, and
says in which role under ``"_roles"`` (the column names without ``_id``: ``"author"``,
``"answered_by"`` …). Secrets (hashes) are left out.

Tests assert that every user column of every table is reached, in the export and in the erasure
check (tests/integration/test_privacy.py, tests/http/test_my_data.py).

The JSON download (Art. 20) is :func:`export_user_data`; the readable page "Meine Daten"
(mine/data_view.py) is built from :func:`collect_user_data`, the same rows with Python values.

What the schema cannot know is each feature's own (``Feature.privacy``, :class:`PrivacyHooks`):
rows without a user column that still belong to the person (a survey response's answers), readable
details beside the exported rows (a meeting's title), and what must happen at erasure before the
account row goes (drafts deleted, votes anonymised). This module asks the registry for them, so
accounts imports no feature.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import registry
from beteiligung.accounts.models import User
from beteiligung.db import metadata

SECRET_COLUMNS = {"password_hash", "token_hash"}
ROLES_KEY = "_roles"  # per exported row: in which role(s) it concerns the person

# The exported tables by name, each a list of rows (column -> Python value).
Tables = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class PrivacyHooks:
    """One feature's part of the export (DS-08) and of the erasure (DS-09); ``Feature.privacy``.

    * ``export(db, user_id, tables)`` runs after the schema-driven export has collected every row
      with a user column into ``tables``; it adds tables of its own (rows that hang off those
      rows) or readable columns to the rows already there, in place.
    * ``erase(db, user)`` runs inside the erasure's transaction, before the account row is
      deleted (and the foreign keys cascade or set NULL); it deletes or anonymises what the
      foreign keys alone would not. It does not commit.

    Hooks run by ascending ``order``, then in the registry's feature order.
    """

    name: str
    export: Callable[[AsyncSession, int, Tables], Awaitable[None]] | None = None
    erase: Callable[[AsyncSession, User], Awaitable[None]] | None = None
    order: int = 100


def privacy_hooks() -> list[PrivacyHooks]:
    """The installed features' hooks, in the order they run."""
    hooks: list[PrivacyHooks] = registry.current().privacy()
    return sorted(hooks, key=lambda h: h.order)


def user_columns() -> dict[Table, list[str]]:
    """Every table that points at ``user_account.id``, with all of its columns that do."""
    out: dict[Table, list[str]] = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == User.__tablename__ for fk in column.foreign_keys):
                out.setdefault(table, []).append(column.name)
    return out


def tables_referencing_users() -> list[tuple[Table, str]]:
    """(table, column) for every column that points at ``user_account.id``."""
    return [(table, column) for table, columns in user_columns().items() for column in columns]


def role_name(column: str) -> str:
    """``author_id`` → ``author``: the role a user column gives the person."""
    return column.removesuffix("_id")


def plain(value: Any) -> Any:
    """A value as JSON: datetimes in ISO 8601 (UTC), enums as their values, containers deep."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


async def collect_user_data(db: AsyncSession, user: User) -> dict[str, Any]:
    """The person's account and every row that concerns them, with Python values."""
    account = {c.name: getattr(user, c.key) for c in User.__table__.columns if c.name not in SECRET_COLUMNS}
    tables: Tables = {}
    for table, columns in user_columns().items():
        mine = or_(*(table.c[column] == user.id for column in columns))
        order = list(table.primary_key.columns) or list(table.columns)[:1]
        rows = (await db.execute(select(table).where(mine).order_by(*order))).mappings().all()
        tables[table.name] = [
            {k: v for k, v in row.items() if k not in SECRET_COLUMNS}
            | {ROLES_KEY: [role_name(c) for c in columns if row[c] == user.id]}
            for row in rows
        ]
    for hooks in privacy_hooks():
        if hooks.export is not None:
            await hooks.export(db, user.id, tables)
    return {"account": account, "tables": tables}


async def export_user_data(db: AsyncSession, user: User) -> dict[str, Any]:
    """The machine-readable export (Art. 20): ``{"account": {...}, "tables": {name: [rows]}}``."""
    data: dict[str, Any] = plain(await collect_user_data(db, user))
    return data


async def references_to_user(db: AsyncSession, user_id: int) -> dict[str, int]:
    """``"table.column"`` → rows that still point at the account, for every user column (the
    erasure check: after deleting an account this is empty)."""
    found: dict[str, int] = {}
    for table, column in tables_referencing_users():
        count = await db.scalar(select(func.count()).select_from(table).where(table.c[column] == user_id))
        if count:
            found[f"{table.name}.{column}"] = int(count)
    return found


async def erase_feature_data(db: AsyncSession, user: User) -> None:
    """Every feature's erasure hook, inside the caller's transaction (before the account row goes)."""
    for hooks in privacy_hooks():
        if hooks.erase is not None:
            await hooks.erase(db, user)
