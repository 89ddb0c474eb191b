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
import re
import secrets
from dataclasses import dataclass
from typing import Any

import structlog
from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import NamespacedStore, Store
from litestar.types import Empty, Message, Scope, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy import delete

from beteiligung.accounts.models import StoredSession
from beteiligung.db import database_unavailable, utcnow
from beteiligung.web.errors import keep_submitted_form

_ROTATE = "beteiligung.rotate_session"
# The ids this backend generates: ``secrets.token_hex(32)``. A cookie is only ever used as a key
# of the store when it has exactly this form, so a cookie can name no other entry of the store
# (the user → sessions index, issue 21 item 11), and nothing odd (a NUL byte, other control
# characters, SQL-looking text) ever reaches the store's queries (item 3).
_SESSION_ID_RE = re.compile(r"[0-9a-f]{64}")

log = structlog.get_logger("beteiligung.sessions")


def valid_session_id(value: str | None) -> str | None:
    """The cookie's value if it is a session id as generated here; else ``None`` (no session)."""
    if value and _SESSION_ID_RE.fullmatch(value):
        return value
    return None


def rotate_session(scope: Scope) -> None:
    """Ask for a new session id when this response is sent."""
    scope.setdefault("state", {})[_ROTATE] = True  # type: ignore[typeddict-item]


class RotatingSessionBackend(ServerSideSessionBackend):
    def generate_session_id(self) -> str:
        return secrets.token_hex(32)

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        session_id = valid_session_id(connection.cookies.get(self.config.key))
        if session_id is None:
            return {}
        store = self.config.get_store_from_app(connection.scope["app"])
        try:
            data = await self.get(session_id, store=store)
        except Exception as exc:
            if database_unavailable(exc):
                # The 503 page shows what was sent (web/errors.py); the form is parsed only later
                # (CSRF middleware, route), so keep it now.
                await keep_submitted_form(connection)
            raise
        if data is None:
            return {}
        loaded = self.deserialize_data(data)
        return loaded if isinstance(loaded, dict) else {}

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        try:
            await self._store_in_message(scope_session, message, connection)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            # The response (most likely the 503 page) goes out without touching the cookie: the
            # stored session stays as it was.
            log.warning("session.save_failed", error=type(exc).__name__)

    async def _store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        scope = connection.scope
        store = self.config.get_store_from_app(scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        cookie = connection.cookies.get(self.config.key)
        old_id = valid_session_id(cookie)
        params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))

        if scope_session is Empty or not scope_session:
            if old_id:
                await self.delete(old_id, store=store)
            if cookie:  # also a malformed one: the browser forgets it, the store is not asked
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


# An index user → session ids, so erasure and "log out everywhere" can delete the sessions
# themselves (DS-09), not only make them invalid. It lives in a namespace of its own below the
# sessions' one, under keys no session id can have: a cookie can neither read nor delete it.
# Entries expire with the absolute session lifetime; ids of sessions that ended earlier are
# harmless (deleting them is a no-op).
_INDEX_TTL = 24 * 3600
_INDEX_MAX = 50
_INDEX_NAMESPACE = "user-index"


def _index_key(user_id: int) -> str:
    return f"user-sessions:{user_id}"


def _index_store(store: Store) -> Store:
    return store.with_namespace(_INDEX_NAMESPACE) if isinstance(store, NamespacedStore) else store


async def remember_session(store: Store, user_id: int, session_id: str) -> None:
    index = _index_store(store)
    raw = await index.get(_index_key(user_id))
    ids = json.loads(raw) if raw else []
    ids = [*ids, session_id][-_INDEX_MAX:]
    await index.set(_index_key(user_id), json.dumps(ids), expires_in=_INDEX_TTL)


async def end_sessions(store: Store, user_id: int, keep: str | None = None) -> int:
    """Delete every stored session of ``user_id`` except ``keep``; returns how many were listed."""
    index = _index_store(store)
    raw = await index.get(_index_key(user_id))
    ids = json.loads(raw) if raw else []
    # Until 24 hours after the update: the index as it was kept before, among the sessions.
    legacy = await store.get(_index_key(user_id)) if index is not store else None
    if legacy:
        ids = [*json.loads(legacy), *ids]
        await store.delete(_index_key(user_id))
    for session_id in ids:
        if session_id != keep and valid_session_id(session_id):
            await store.delete(session_id)
    if keep and keep in ids:
        await index.set(_index_key(user_id), json.dumps([keep]), expires_in=_INDEX_TTL)
    else:
        await index.delete(_index_key(user_id))
    return len(ids)


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def make_session_store(alchemy_config: Any) -> Store:
    """Sessions live in the database (table ``web_session``), not in Redis: a Redis outage must
    not sign anyone out or lose a contribution in the making, and every process sees them."""
    return SQLAlchemyStore(alchemy_config, model=StoredSession, namespace="session")  # type: ignore[arg-type]


async def sweep_expired(db: Any) -> int:
    """Delete sessions past their idle timeout (the store ignores them; this keeps the table small)."""
    result = await db.execute(
        delete(StoredSession).where(
            StoredSession.expires_at.is_not(None), StoredSession.expires_at < utcnow()
        )
    )
    await db.commit()
    return int(result.rowcount or 0)
