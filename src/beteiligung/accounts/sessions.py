"""Server-side sessions with id rotation (SEC-06).

Litestar's ``ServerSideSessionBackend`` reuses the id from the incoming cookie and stores even an
empty session (so every visitor would get a cookie). This backend:

* stores nothing and sets no cookie while the session is empty (DS-06: visitors get no session
  cookie at all);
* issues a fresh id, and deletes the old entry, when a handler called :func:`rotate_session`
  (at login and at any privilege change: session fixation, ASVS V3.2.1);
* relies on the store's expiry with ``renew_on_access`` for the idle timeout; the absolute
  timeout is checked by the auth layer against the login time kept in the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, Scope, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

_ROTATE = "beteiligung.rotate_session"


def rotate_session(scope: Scope) -> None:
    """Ask for a new session id when this response is sent."""
    scope.setdefault("state", {})[_ROTATE] = True  # type: ignore[typeddict-item]


class RotatingSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        scope = connection.scope
        store = self.config.get_store_from_app(scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        old_id = connection.cookies.get(self.config.key)
        if old_id == "null":
            old_id = None
        params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))

        if scope_session is Empty or not scope_session:
            if old_id:
                await self.delete(old_id, store=store)
                headers.add(
                    "Set-Cookie", Cookie(value="", key=self.config.key, expires=0, **params).to_header(header="")
                )
            return

        rotate = bool(scope.get("state", {}).get(_ROTATE))
        if old_id and not rotate:
            session_id = old_id
        else:
            if old_id:
                await self.delete(old_id, store=store)
            session_id = self.generate_session_id()
        await self.set(session_id=session_id, data=self.serialize_data(scope_session, scope), store=store)
        headers.add("Set-Cookie", Cookie(value=session_id, key=self.config.key, **params).to_header(header=""))


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
