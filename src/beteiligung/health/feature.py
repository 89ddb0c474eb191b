"""The health feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.health import routes
from beteiligung.registry import Feature

FEATURE = Feature(name="health", routes=(*routes.ROUTES,))
