"""The comments feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.comments import moderation_target, routes, sections
from beteiligung.registry import Feature

FEATURE = Feature(
    name="comments",
    routes=(*routes.ROUTES,),
    moderation_targets=(moderation_target.TARGET,),
    sections={"consultation": sections.CONSULTATION_SECTIONS, "proposal": sections.PROPOSAL_SECTIONS},
)
