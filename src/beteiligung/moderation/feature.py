"""The moderation feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.moderation import admin, routes
from beteiligung.registry import Feature

FEATURE = Feature(
    name="moderation",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
)
