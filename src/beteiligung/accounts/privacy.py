"""Self-service data export (DS-08), driven by the schema.

Every table with a foreign key to ``user_account.id`` is exported automatically, so a feature
that adds such a table is covered without touching this module. Secrets (hashes) are left out.
A test asserts that every such table is reached (tests/integration/test_privacy.py).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.db import metadata

SECRET_COLUMNS = {"password_hash", "token_hash"}


def tables_referencing_users() -> list[tuple[Table, str]]:
    """(table, column) for every column that points at ``user_account.id``."""
    out = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name == User.__tablename__:
                    out.append((table, column.name))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


async def export_user_data(db: AsyncSession, user: User) -> dict[str, Any]:
    account = {
        c.name: _plain(getattr(user, c.key)) for c in User.__table__.columns if c.name not in SECRET_COLUMNS
    }
    data: dict[str, Any] = {"account": account, "tables": {}}
    for table, column in tables_referencing_users():
        rows = (await db.execute(select(table).where(table.c[column] == user.id))).mappings().all()
        data["tables"][table.name] = [
            {k: _plain(v) for k, v in row.items() if k not in SECRET_COLUMNS} for row in rows
        ]
    from beteiligung.surveys.privacy import survey_answers_of  # answers hang off the response

    data["tables"]["survey_answer"] = await survey_answers_of(db, user.id)
    from beteiligung.meetings.privacy import add_meeting_details  # titles, questions, chosen options

    await add_meeting_details(db, user.id, data["tables"])
    return data
