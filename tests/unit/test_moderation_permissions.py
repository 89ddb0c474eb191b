"""Moderation's pure permission checks as tables (issue 12): who may see the queue, claim,
release, decide, note and act in bulk, who edits the settings and reads the audit log (role ×
route → allowed, read from each route's guard), and whose new posts wait for the moderation
(role × consultation mode). Whether a moderator holds the claim needs the claims store (I/O):
tests/http cover it."""

from __future__ import annotations

import pytest

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import ANONYMOUS, Actor, Perm, can
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import ModerationMode
from beteiligung.moderation import admin, routes
from beteiligung.moderation.explain import holds_new_posts

ACTORS = {
    "visitor": ANONYMOUS,
    "resident": Actor(user_id=1, roles=frozenset({Role.RESIDENT}), email_verified=True),
    "moderator": Actor(user_id=2, roles=frozenset({Role.MODERATOR}), email_verified=True),
    "staff": Actor(user_id=3, roles=frozenset({Role.STAFF}), email_verified=True),
    "admin": Actor(user_id=4, roles=frozenset({Role.ADMIN}), email_verified=True),
    "staff_and_moderator": Actor(
        user_id=5, roles=frozenset({Role.STAFF, Role.MODERATOR}), email_verified=True
    ),
}
QUEUE = {"moderator", "admin", "staff_and_moderator"}
ADMIN_ONLY = {"admin"}

# route name -> the roles its guard lets in
ROUTES = {
    "moderation.queue": QUEUE,
    "moderation.queue_live": QUEUE,
    "live.moderation": QUEUE,
    "moderation.claim": QUEUE,
    "moderation.release": QUEUE,
    "moderation.decide": QUEUE,
    "moderation.note": QUEUE,
    "moderation.bulk": QUEUE,
    "moderation.settings": ADMIN_ONLY,
    "moderation.log": ADMIN_ONLY,
    "moderation.log.csv": ADMIN_ONLY,
}
GUARD_PREFIX = "permission_required_"


def _guarded_perm(route_name: str) -> Perm:
    """The permission the named route's guard asks for (``accounts.guards.permission_required``
    names its guard after it)."""
    handlers = [h for h in (*routes.ROUTES, *admin.ROUTES) if h.name == route_name]
    assert len(handlers) == 1, route_name
    names = [g.__name__ for g in handlers[0].guards or () if g.__name__.startswith(GUARD_PREFIX)]
    assert len(names) == 1, (route_name, names)
    return Perm[names[0].removeprefix(GUARD_PREFIX).upper()]


@pytest.mark.parametrize("role", ACTORS)
@pytest.mark.parametrize(("route_name", "allowed"), ROUTES.items())
def test_who_may_use_the_moderation_routes(route_name: str, allowed: set[str], role: str) -> None:
    assert can(ACTORS[role], _guarded_perm(route_name)) is (role in allowed)


# role -> does a new post wait in a pre-moderated consultation? (post-moderation: nobody's does)
HELD_IN_PRE = {
    "visitor": True,
    "resident": True,
    "moderator": False,
    "staff": False,
    "admin": False,
    "staff_and_moderator": False,
}


@pytest.mark.parametrize(("role", "held"), HELD_IN_PRE.items())
@pytest.mark.parametrize("mode", list(ModerationMode))
def test_whose_new_posts_wait(role: str, held: bool, mode: ModerationMode) -> None:
    consultation = Consultation(id=1, organisation_id=1, slug="c", title="C", moderation_mode=mode)
    expected = held and mode == ModerationMode.PRE
    assert holds_new_posts(ACTORS[role], consultation) is expected
