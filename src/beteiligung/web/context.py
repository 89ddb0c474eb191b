"""Per-request context: what every page needs (the organisation, the actor …), from the features.

The core knows no feature: organisations, accounts, moderation and notifications register
:class:`ContextHook` objects (``Feature.request_context``) that put their part on
``request.state``. :func:`ensure_context` runs them once per request, on the same database session
the handler gets injected, so a page costs one query for the organisation and one for the
signed-in user; guards call it too (they run before the app's ``before_request`` hook,
:func:`load_request_context`, which then finds the context loaded).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import registry
from beteiligung.settings import Settings
from beteiligung.web.htmx import is_htmx

Connection = ASGIConnection[Any, Any, Any, Any]


class _Organisation(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def intro(self) -> str: ...


@dataclass(frozen=True)
class OrgView:
    """What every page needs of the organisation, also when the database is unreachable."""

    id: int
    slug: str
    name: str
    intro: str = ""

    @classmethod
    def of(cls, org: _Organisation) -> OrgView:
        return cls(id=org.id, slug=org.slug, name=org.name, intro=org.intro)


# No organisation found (an empty database), or none loaded (an error page without its context).
FALLBACK_ORG = OrgView(id=0, slug="", name="Beteiligung")


@dataclass(frozen=True)
class ContextHook:
    """One feature's part of the per-request context (``Feature.request_context``).

    ``load(connection, db)`` sets its keys on ``connection.state``; ``defaults`` are those keys'
    values when the context could not be loaded (error pages render without I/O). Hooks run in
    the features' order (features.py): a hook may read what an earlier one set (accounts reads
    the organisation, moderation the actor). A ``full_page`` hook runs only before the handler of
    a full GET page (not for htmx parts, live streams, guards or error pages): header badges.
    """

    load: Callable[[Connection, AsyncSession], Awaitable[None]]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    full_page: bool = False


# Set in the scope state once the context is loaded (guards and the before-request hook share it).
_LOADED = "beteiligung.context_loaded"


def _hooks() -> list[ContextHook]:
    return registry.current().request_context()


def context_defaults() -> dict[str, Any]:
    """The state every template expects, as it is when nothing could be loaded."""
    merged: dict[str, Any] = {"org": FALLBACK_ORG}
    for hook in _hooks():
        merged.update(hook.defaults)
    return merged


def get_db(request: Connection) -> AsyncSession:
    config = request.app.state["alchemy_config"]
    return config.provide_session(request.app.state, request.scope)  # type: ignore[no-any-return]


def settings_of(request: Connection) -> Settings:
    return request.app.state["settings"]  # type: ignore[no-any-return]


async def load_request_context(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: load the context unless the route opted out (static files)."""
    if request.route_handler.opt.get("no_context"):
        return
    db = get_db(request)
    await ensure_context(request, db)
    if request.method == "GET" and not is_htmx(request) and not request.route_handler.opt.get("live"):
        for hook in _hooks():
            if hook.full_page:
                await hook.load(request, db)


async def ensure_context(connection: Connection, db: AsyncSession) -> None:
    """Load the context once per request (guards, the before-request hook and error pages share it)."""
    state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    if _LOADED in state:
        return
    for hook in _hooks():
        if not hook.full_page:
            await hook.load(connection, db)
    state[_LOADED] = True


# The request's database session, injected by advanced-alchemy's plugin under ``db_session``.
DB = NamedDependency[AsyncSession]
