"""The moderation feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.moderation import admin, notices, routes, stats
from beteiligung.registry import Feature

FEATURE = Feature(
    name="moderation",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
    sections={"consultation": stats.CONSULTATION_SECTIONS},
    extras={"notification_texts": notices.NOTIFICATION_TEXTS},
)
