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
(accounts/data_view.py) is built from :func:`collect_user_data`, the same rows with Python values.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.db import metadata

SECRET_COLUMNS = {"password_hash", "token_hash"}
ROLES_KEY = "_roles"  # per exported row: in which role(s) it concerns the person


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
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, columns in user_columns().items():
        mine = or_(*(table.c[column] == user.id for column in columns))
        order = list(table.primary_key.columns) or list(table.columns)[:1]
        rows = (await db.execute(select(table).where(mine).order_by(*order))).mappings().all()
        tables[table.name] = [
            {k: v for k, v in row.items() if k not in SECRET_COLUMNS}
            | {ROLES_KEY: [role_name(c) for c in columns if row[c] == user.id]}
            for row in rows
        ]
    from beteiligung.surveys.privacy import survey_answers_of  # answers hang off the response

    tables["survey_answer"] = await survey_answers_of(db, user.id)
    from beteiligung.meetings.privacy import add_meeting_details  # titles, questions, chosen options

    await add_meeting_details(db, user.id, tables)
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
