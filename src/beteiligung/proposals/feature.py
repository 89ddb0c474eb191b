"""The proposals feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.proposals import moderation_target, routes
from beteiligung.registry import Feature

FEATURE = Feature(
    name="proposals",
    routes=(*routes.ROUTES,),
    moderation_targets=(moderation_target.TARGET,),
)
