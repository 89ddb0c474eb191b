"""Writes for notifications. They add to the caller's transaction; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.notifications.models import Notification


def notify(db: AsyncSession, *, user_id: int, kind: str, params: dict[str, Any], link: str = "") -> None:
    db.add(Notification(user_id=user_id, kind=kind, params=params, link=link))


async def mark_all_read(db: AsyncSession, *, user_id: int, now: datetime) -> None:
    await db.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
