"""The moderation feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.moderation import admin, context, notices, routes, stats
from beteiligung.moderation.reasons import placeholder, reason_text
from beteiligung.registry import Feature

FEATURE = Feature(
    name="moderation",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
    sections={"consultation": stats.CONSULTATION_SECTIONS},
    request_context=(context.CONTEXT,),
    template_globals={"moderation_placeholder": placeholder, "moderation_reason": reason_text},
    extras={"notification_texts": notices.NOTIFICATION_TEXTS},
)
