"""What every resident's contribution (a proposal, a comment) does the same way when it is
written: it is inserted once per submitted form (:func:`insert_once`), and then either waits
for the moderation or is announced (:func:`hold_or_announce`). Comments use it too (they may
import proposals; the other way round they could not).

A form carries a random ``submission_key``; the table has a unique constraint on
``(author_id, submission_key)``. The same form sent twice (a double click, a resend after a
timeout) gives the row of the first send, also when both arrive at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.db import upsert_insert, utcnow
from beteiligung.live.events import LiveEvent
from beteiligung.live.publish import queue_event
from beteiligung.moderation.actions import Screening, open_review, remember_post

Row = TypeVar("Row")


async def insert_once(
    db: AsyncSession, model: type[Row], *, author_id: int, submission_key: str | None, **values: Any
) -> tuple[Row, bool]:
    """Insert a ``model`` row by ``author_id`` unless that author's form ``submission_key``
    was sent before; returns the row and whether this call wrote it. A concurrent duplicate is
    skipped by the insert (``ON CONFLICT DO NOTHING``) instead of failing, so nothing is rolled
    back and no object the caller holds is expired. Nothing is committed (the route does)."""
    if submission_key:
        existing = await _by_submission(db, model, author_id, submission_key)
        if existing is not None:
            return existing, False
    table: Any = model.__table__  # type: ignore[attr-defined]
    now = utcnow()
    row_id = await db.scalar(
        upsert_insert(db)(table)
        .values(
            author_id=author_id,
            submission_key=submission_key or None,
            created_at=now,
            updated_at=now,
            **values,
        )
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )
    if row_id is None:  # a concurrent send of the same form was first: nothing written
        existing = await _by_submission(db, model, author_id, submission_key or "")
        assert existing is not None
        return existing, False
    return await db.get_one(model, row_id), True


async def _by_submission(db: AsyncSession, model: Any, author_id: int, key: str) -> Any:
    stmt = select(model).where(model.author_id == author_id, model.submission_key == key)
    return (await db.scalars(stmt)).first()


async def hold_or_announce(
    db: AsyncSession,
    *,
    target: Any,
    screening: Screening,
    org_id: int | None,
    now: datetime,
    event: LiveEvent,
) -> None:
    """After a new contribution is written: a held one (``screening``) goes to the moderation
    queue and publishes nothing public until approved; any other is announced live (``event``).
    Its fingerprint is remembered for the duplicate check. Nothing is committed."""
    if screening.held and screening.trigger is not None and org_id is not None:
        await open_review(
            db, org_id=org_id, target=target, trigger=screening.trigger, reasons=screening.reasons, now=now
        )
    else:
        queue_event(db, event)
    await remember_post(db, screening, now)
