"""The search feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.registry import Feature
from beteiligung.search import routes

FEATURE = Feature(name="search", routes=(*routes.ROUTES,))
