"""The composition root's list of features: the one place (with ``app.py`` and ``cli.py``) that
imports every feature. Their order is the order of their routes, sections and hooks."""

from __future__ import annotations

from beteiligung.accounts.feature import FEATURE as accounts
from beteiligung.comments.feature import FEATURE as comments
from beteiligung.consultations.feature import FEATURE as consultations
from beteiligung.health.feature import FEATURE as health
from beteiligung.live.feature import FEATURE as live
from beteiligung.meetings.feature import FEATURE as meetings
from beteiligung.moderation.feature import FEATURE as moderation
from beteiligung.notifications.feature import FEATURE as notifications
from beteiligung.organisations.feature import FEATURE as organisations
from beteiligung.proposals.feature import FEATURE as proposals
from beteiligung.registry import Feature, Registry, install
from beteiligung.search.feature import FEATURE as search
from beteiligung.surveys.feature import FEATURE as surveys


def all_features() -> list[Feature]:
    from beteiligung.mine.feature import FEATURE as mine  # composition root: imports every feature

    return [
        organisations,
        accounts,
        consultations,
        proposals,
        comments,
        surveys,
        meetings,
        live,
        moderation,
        notifications,
        search,
        mine,
        health,
    ]


def install_all() -> Registry:
    """Install every feature (the app, the CLI, scripts and tests outside an app)."""
    registry = Registry(all_features())
    install(registry)
    return registry
