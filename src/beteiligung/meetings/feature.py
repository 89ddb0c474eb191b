"""The meetings feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.meetings import admin, minutes, presenter, privacy, routes, sections
from beteiligung.registry import Feature

FEATURE = Feature(
    name="meetings",
    routes=(
        *routes.ROUTES,
        *presenter.ROUTES,
        *minutes.ROUTES,
        *admin.ROUTES,
    ),
    privacy=(privacy.HOOKS,),
    sections={"home": sections.HOME_SECTIONS},
)
