"""Per-request context: the organisation (by host) and the actor (from the session).

Runs as the app's ``before_request`` hook, on the same database session the handler gets
injected, so a page costs one query for the organisation and one for the signed-in user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import i18n
from beteiligung.accounts.models import User
from beteiligung.accounts.permissions import ANONYMOUS, Actor
from beteiligung.organisations.models import Organisation
from beteiligung.organisations.queries import get_org_for_host
from beteiligung.settings import Settings


@dataclass(frozen=True)
class OrgView:
    """What every page needs of the organisation, also when the database is unreachable."""

    id: int
    slug: str
    name: str
    intro: str = ""

    @classmethod
    def of(cls, org: Organisation) -> OrgView:
        return cls(id=org.id, slug=org.slug, name=org.name, intro=org.intro)


FALLBACK_ORG = OrgView(id=0, slug="", name="Beteiligung")


def get_db(request: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    config = request.app.state["alchemy_config"]
    return config.provide_session(request.app.state, request.scope)  # type: ignore[no-any-return]


def settings_of(request: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    return request.app.state["settings"]  # type: ignore[no-any-return]


async def load_request_context(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: load the context unless the route opted out (static files)."""
    if request.route_handler.opt.get("no_context"):
        return
    db = get_db(request)
    await ensure_context(request, db)
    # The header's unread badge: one COUNT, only for full pages a signed-in user sees.
    if (
        request.method == "GET"
        and request.state.user is not None
        and request.headers.get("hx-request") != "true"
        and not request.route_handler.opt.get("live")
    ):
        from beteiligung.notifications.queries import unread_count

        request.state.unread_notifications = await unread_count(db, request.state.user.id)


async def ensure_context(connection: ASGIConnection[Any, Any, Any, Any], db: AsyncSession) -> None:
    """Load organisation and actor once per request (guards, hook and error pages share it)."""
    if "actor" in connection.scope.setdefault("state", {}):  # type: ignore[typeddict-item]
        return
    request = connection
    settings = settings_of(connection)
    org = await get_org_for_host(db, request.headers.get("host", ""), settings.default_org)
    request.state.org = OrgView.of(org) if org else FALLBACK_ORG
    request.state.actor = ANONYMOUS
    request.state.user = None
    session = request.scope.get("session")
    if not isinstance(session, dict) or "uid" not in session:
        return
    if time.time() - float(session.get("iat", 0)) > settings.session_absolute_hours * 3600:
        request.scope["session"] = {}  # absolute timeout (SEC-06)
        return
    user = await db.get(User, session["uid"])
    if user is None or user.auth_version != session.get("av"):
        request.scope["session"] = {}  # account gone, or password changed / logged out elsewhere
        return
    request.state.user = user
    actor = actor_for(user, org)
    if org is not None and actor.roles:
        from dataclasses import replace

        from beteiligung.db import utcnow
        from beteiligung.moderation.actions import active_block_until

        blocked_until = await active_block_until(db, org.id, user.id, utcnow())
        if blocked_until is not None:
            actor = replace(actor, blocked_until=blocked_until)
    request.state.actor = actor
    i18n.current_locale.set(i18n.normalise_locale(user.locale) or i18n.DEFAULT_LOCALE)


def actor_for(user: User, org: Organisation | OrgView | None) -> Actor:
    roles = frozenset(m.role for m in user.memberships if org is not None and m.organisation_id == org.id)
    return Actor(
        user_id=user.id,
        display_name=user.display_name,
        roles=roles,
        email_verified=user.email_verified_at is not None,
    )


# The request's database session, injected by advanced-alchemy's plugin under ``db_session``.
DB = NamedDependency[AsyncSession]
