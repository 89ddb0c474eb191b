"""The accounts feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.accounts import context, routes
from beteiligung.accounts.permissions import can
from beteiligung.registry import Feature

FEATURE = Feature(
    name="accounts",
    routes=(*routes.ROUTES,),
    request_context=(context.CONTEXT,),
    template_globals={"can": can},
)
