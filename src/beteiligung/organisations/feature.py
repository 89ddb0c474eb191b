"""The organisations feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.accounts.actions import TEXT_VERSION
from beteiligung.organisations import admin, queries, routes
from beteiligung.registry import Feature

FEATURE = Feature(
    name="organisations",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
    extras={TEXT_VERSION: queries.text_version},
)
