"""The live feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.live import routes
from beteiligung.registry import Feature

FEATURE = Feature(name="live", routes=(*routes.ROUTES,))
