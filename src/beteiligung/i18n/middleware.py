"""Choose the locale per request: the signed-in user's choice, else the ``lang`` cookie, else German."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from beteiligung.i18n import DEFAULT_LOCALE, current_locale, normalise_locale

LANG_COOKIE = "lang"


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


class LocaleMiddleware:
    """Sets :data:`current_locale` from the cookie; the auth layer overrides it for signed-in users."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        locale = normalise_locale(_cookie(scope, LANG_COOKIE)) or DEFAULT_LOCALE
        token = current_locale.set(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            current_locale.reset(token)
