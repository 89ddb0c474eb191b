"""The consultations feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.consultations import admin, routes, sections
from beteiligung.registry import Feature

FEATURE = Feature(
    name="consultations",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
    sections={"home": sections.HOME_SECTIONS},
)
