"""The accounts feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.accounts import routes
from beteiligung.registry import Feature

FEATURE = Feature(name="accounts", routes=(*routes.ROUTES,))
