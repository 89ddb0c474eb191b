"""A staff member's active block on the request's actor (a ``request_context`` hook,
web/context.py): one query, only for signed-in members of the organisation (the hook after the
accounts' one). A blocked moderator keeps their roles but may not act (``Actor.blocked_until``)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.db import utcnow
from beteiligung.moderation.actions import active_block_until
from beteiligung.web.context import Connection, ContextHook


async def load_block(connection: Connection, db: AsyncSession) -> None:
    state = connection.state
    user, actor = state.user, state.actor
    if user is None or not actor.roles:  # roles only in an organisation that was found
        return
    blocked_until = await active_block_until(db, state.org.id, user.id, utcnow())
    if blocked_until is not None:
        state.actor = replace(actor, blocked_until=blocked_until)


CONTEXT = ContextHook(load=load_block)
