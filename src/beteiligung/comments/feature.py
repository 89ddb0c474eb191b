"""The comments feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.comments import routes
from beteiligung.registry import Feature

FEATURE = Feature(name="comments", routes=(*routes.ROUTES,))
