"""Route guards: deny by default for anything behind a login or a permission (SEC-08)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from beteiligung.accounts.permissions import Actor, Perm, can
from beteiligung.web.context import ensure_context, get_db

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Coroutine[Any, Any, None]]


async def current_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    await ensure_context(connection, get_db(connection))
    return connection.scope["state"]["actor"]  # type: ignore[typeddict-item, no-any-return]


async def login_required(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not (await current_actor(connection)).is_authenticated:
        raise NotAuthorizedException("login required")


def permission_required(perm: Perm) -> Guard:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor = await current_actor(connection)
        if not actor.is_authenticated:
            raise NotAuthorizedException("login required")
        if not can(actor, perm):
            raise PermissionDeniedException(f"missing permission {perm}")

    guard.__name__ = f"permission_required_{perm.name.lower()}"
    return guard
