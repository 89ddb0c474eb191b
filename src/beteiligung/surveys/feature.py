"""The surveys feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.registry import Feature
from beteiligung.surveys import admin, privacy, routes, sections

FEATURE = Feature(
    name="surveys",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
    privacy=(privacy.HOOKS,),
    sections={"home": sections.HOME_SECTIONS, "consultation": sections.CONSULTATION_SECTIONS},
)
