"""Refuse malformed request input before any route sees it (issue 21, item 9).

* A control character (NUL, U+0001–U+001F, DEL) in the path or in any query name or value: 400.
  PostgreSQL refuses NUL in text, the file system in file names; no link of ours contains one.
* An integer path parameter (``{id:int}``) outside a signed 64-bit integer: 404. There is no
  such row, and the database would fail on the comparison (BIGINT overflow) instead of saying so.
* A file under ``/static`` that the file system refuses to look up (``app.css/x`` or
  ``app.css/..``: not a directory; a name too long): 404, like any missing file
  (:class:`StaticFileSystem`).

Form values are checked where they are parsed (``web/forms.py`` refuses control characters,
``web/params.py`` parses numbers strictly).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from litestar.exceptions import ClientException, NotFoundException
from litestar.file_system import BaseLocalFileSystem
from litestar.types import ASGIApp, FileInfo, Receive, Scope, Send

from beteiligung.web.params import fits_int64

CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def problem(scope: Scope) -> int | None:
    """The status that refuses this request's path and query, or ``None`` when they are fine."""
    if CONTROL_RE.search(scope.get("path", "")):
        return 400
    query = scope.get("query_string", b"")
    if query:
        text = query.decode("latin-1")
        if CONTROL_RE.search(text):  # a raw control byte (not percent-encoded)
            return 400
        for key, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
            if CONTROL_RE.search(key) or CONTROL_RE.search(value):
                return 400
    for value in (scope.get("path_params") or {}).values():
        if isinstance(value, int) and not isinstance(value, bool) and not fits_int64(value):
            return 404
        if isinstance(value, str) and CONTROL_RE.search(value):
            return 400
    return None


class InputGuardMiddleware:
    """Runs after routing (path parameters are known) and the choice of language, before
    sessions and CSRF; the refusal is the usual error page in the visitor's language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = problem(scope) if scope["type"] == "http" else None
        if status is None:
            await self.app(scope, receive, send)
            return
        # Answered here, inside the language middleware (an exception would travel out past it
        # to Litestar's outermost handler, and the page would always be German).
        from beteiligung.web.errors import http_exception_handler

        exc = NotFoundException() if status == 404 else ClientException(status_code=status)
        request = scope["litestar_app"].request_class(scope=scope, receive=receive, send=send)
        response = http_exception_handler(request, exc)
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)


class StaticFileSystem(BaseLocalFileSystem):
    """The static files' file system: a path that cannot be looked up is a missing file (Litestar
    turns any error but "not found" into a 500)."""

    async def info(self, path: Any, **kwargs: Any) -> FileInfo:
        try:
            return await super().info(path, **kwargs)
        except (OSError, ValueError) as exc:  # NotADirectoryError, name too long, NUL byte
            raise FileNotFoundError(str(path)) from exc
