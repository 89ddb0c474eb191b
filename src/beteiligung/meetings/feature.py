"""The meetings feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.meetings import admin, moderation_target, presenter, privacy, routes, sections
from beteiligung.meetings.minutes import routes as minutes
from beteiligung.meetings.polls import routes as polls
from beteiligung.meetings.questions import routes as questions
from beteiligung.meetings.speakers import routes as speakers
from beteiligung.registry import Feature

FEATURE = Feature(
    name="meetings",
    routes=(
        *routes.ROUTES,
        *questions.ROUTES,
        *polls.ROUTES,
        *speakers.ROUTES,
        *presenter.ROUTES,
        *minutes.ROUTES,
        *admin.ROUTES,
    ),
    moderation_targets=(moderation_target.TARGET,),
    privacy=(privacy.HOOKS,),
    sections={"home": sections.HOME_SECTIONS, "consultation": sections.CONSULTATION_SECTIONS},
)
