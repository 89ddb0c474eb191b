"""Reads for notifications: the signed-in user's list and the unread count of the header badge."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.notifications.models import Notification
from beteiligung.web.paging import Page

PER_PAGE = 50


async def unread_count(db: AsyncSession, user_id: int) -> int:
    """One COUNT query (served by the index on user_id, created_at)."""
    count = await db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def list_notifications(db: AsyncSession, user_id: int, page: int = 1) -> Page:
    """The user's notifications, newest first, ``PER_PAGE`` a page."""
    total = int(
        await db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id))
        or 0
    )
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    items = (
        await db.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    ).all()
    return Page(items=list(items), total=total, page=page, per_page=PER_PAGE)
