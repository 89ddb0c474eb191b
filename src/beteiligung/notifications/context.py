"""The header's unread-notifications badge (a ``full_page`` ``request_context`` hook,
web/context.py): one COUNT, only for full GET pages a signed-in user sees."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.notifications.queries import unread_count
from beteiligung.web.context import Connection, ContextHook


async def load_unread_badge(connection: Connection, db: AsyncSession) -> None:
    user = connection.state.user
    if user is not None:
        connection.state.unread_notifications = await unread_count(db, user.id)


CONTEXT = ContextHook(load=load_unread_badge, full_page=True)
