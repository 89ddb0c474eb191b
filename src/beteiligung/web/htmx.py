"""The one test for an htmx request. A module of its own so that every part of ``web`` may use
it (``context`` and ``errors`` lie below ``responses``, which re-exports it)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection


def is_htmx(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"
