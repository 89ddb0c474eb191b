"""The organisations feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.organisations import admin, routes
from beteiligung.registry import Feature

FEATURE = Feature(
    name="organisations",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
)
