"""The notifications feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.notifications import context, routes
from beteiligung.registry import Feature

FEATURE = Feature(name="notifications", routes=(*routes.ROUTES,), request_context=(context.CONTEXT,))
