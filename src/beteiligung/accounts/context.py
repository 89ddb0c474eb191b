"""The signed-in user and their :class:`Actor` on every request (a ``request_context`` hook,
web/context.py), from the session: one query for the user (with the memberships).

Runs after the organisation's hook (the actor's roles are the user's in that organisation).
The absolute session timeout (SEC-06) and a password change or logout elsewhere (the session's
``av`` no longer matches) end the session here.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import i18n
from beteiligung.accounts.models import User
from beteiligung.accounts.permissions import ANONYMOUS, Actor
from beteiligung.web.context import FALLBACK_ORG, Connection, ContextHook, OrgView, settings_of


async def load_actor(connection: Connection, db: AsyncSession) -> None:
    state = connection.state
    state.actor = ANONYMOUS
    state.user = None
    session = connection.scope.get("session")
    if not isinstance(session, dict) or "uid" not in session:
        return
    if time.time() - float(session.get("iat", 0)) > settings_of(connection).session_absolute_hours * 3600:
        connection.scope["session"] = {}  # absolute timeout (SEC-06)
        return
    user = await db.get(User, session["uid"])
    if user is None or user.auth_version != session.get("av"):
        connection.scope["session"] = {}  # account gone, or password changed / logged out elsewhere
        return
    state.user = user
    org = state.org
    state.actor = actor_for(user, None if org is FALLBACK_ORG else org)
    i18n.current_locale.set(i18n.normalise_locale(user.locale) or i18n.DEFAULT_LOCALE)


def actor_for(user: User, org: OrgView | None) -> Actor:
    roles = frozenset(m.role for m in user.memberships if org is not None and m.organisation_id == org.id)
    return Actor(
        user_id=user.id,
        display_name=user.display_name,
        roles=roles,
        email_verified=user.email_verified_at is not None,
    )


CONTEXT = ContextHook(load=load_actor, defaults={"actor": ANONYMOUS, "user": None})
