"""The meetings feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.meetings import admin, minutes, moderation_target, presenter, privacy, routes, sections
from beteiligung.registry import Feature

FEATURE = Feature(
    name="meetings",
    routes=(
        *routes.ROUTES,
        *presenter.ROUTES,
        *minutes.ROUTES,
        *admin.ROUTES,
    ),
    moderation_targets=(moderation_target.TARGET,),
    privacy=(privacy.HOOKS,),
    sections={"home": sections.HOME_SECTIONS, "consultation": sections.CONSULTATION_SECTIONS},
)
