"""The own pages' manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.mine import routes
from beteiligung.registry import Feature

FEATURE = Feature(name="mine", routes=(*routes.ROUTES,))
