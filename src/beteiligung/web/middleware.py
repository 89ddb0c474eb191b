"""ASGI middleware: request ids for logs, and the security headers of every response (SEC-11)."""

from __future__ import annotations

import re
import uuid

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
FRAME_HEADER = "x-beteiligung-frame-origin"  # set by a route, removed here
ORIGIN_RE = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Binds a request id to every log line of the request and returns it as ``X-Request-ID``.

    A proxy's ``X-Request-ID`` is kept when it looks like an id; anything else is replaced.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id  # type: ignore[typeddict-item]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_wrapper)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = any(k == b"cookie" and b"session=" in v for k, v in scope.get("headers", []))
        is_static = scope["path"].startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                # A page that embeds a video conference names its origin (an allowed one, checked
                # by the route): only that origin may be framed and get camera and microphone.
                frame = headers.get(FRAME_HEADER)
                if frame is not None:
                    del headers[FRAME_HEADER]
                if frame and ORIGIN_RE.match(frame):
                    headers["Content-Security-Policy"] = f"{CSP}; frame-src {frame}"
                    headers["Permissions-Policy"] = (
                        f'camera=(self "{frame}"), microphone=(self "{frame}"), '
                        f'display-capture=(self "{frame}"), fullscreen=(self "{frame}"), geolocation=()'
                    )
                else:
                    headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if not frame:
                    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if is_static:
                    headers.setdefault("Cache-Control", "public, max-age=31536000, immutable")
                elif authenticated or "Cache-Control" not in headers:
                    # Pages may carry personal data or a CSRF token: never in shared caches (V8.2.1).
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_wrapper)
