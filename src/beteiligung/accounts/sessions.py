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

import json
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
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
                    "Set-Cookie",
                    Cookie(value="", key=self.config.key, expires=0, **params).to_header(header=""),
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
        if session_id != old_id and isinstance(scope_session, dict) and "uid" in scope_session:
            await remember_session(store, int(scope_session["uid"]), session_id)
        headers.add(
            "Set-Cookie", Cookie(value=session_id, key=self.config.key, **params).to_header(header="")
        )


# An index user → session ids in the same store, so erasure and "log out everywhere" can delete
# the sessions themselves (DS-09), not only make them invalid. Entries expire with the absolute
# session lifetime; ids of sessions that ended earlier are harmless (deleting them is a no-op).
_INDEX_TTL = 24 * 3600
_INDEX_MAX = 50


def _index_key(user_id: int) -> str:
    return f"user-sessions:{user_id}"


async def remember_session(store: Store, user_id: int, session_id: str) -> None:
    raw = await store.get(_index_key(user_id))
    ids = json.loads(raw) if raw else []
    ids = [*ids, session_id][-_INDEX_MAX:]
    await store.set(_index_key(user_id), json.dumps(ids), expires_in=_INDEX_TTL)


async def end_sessions(store: Store, user_id: int, keep: str | None = None) -> int:
    """Delete every stored session of ``user_id`` except ``keep``; returns how many were listed."""
    raw = await store.get(_index_key(user_id))
    ids = json.loads(raw) if raw else []
    for session_id in ids:
        if session_id != keep:
            await store.delete(session_id)
    if keep and keep in ids:
        await store.set(_index_key(user_id), json.dumps([keep]), expires_in=_INDEX_TTL)
    else:
        await store.delete(_index_key(user_id))
    return len(ids)


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


async def sweep_expired(db: Any) -> int:
    """Delete sessions past their idle timeout (the store ignores them; this keeps the table small)."""
    from sqlalchemy import delete

    from beteiligung.accounts.models import StoredSession
    from beteiligung.db import utcnow

    result = await db.execute(
        delete(StoredSession).where(
            StoredSession.expires_at.is_not(None), StoredSession.expires_at < utcnow()
        )
    )
    await db.commit()
    return int(result.rowcount or 0)
