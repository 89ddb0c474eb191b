"""The presenter view: a full-screen page for a projector in the hall (docs/meetings.md)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
