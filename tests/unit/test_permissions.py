"""The role table as data (STYLE.md: permissions as data)."""

from __future__ import annotations

import pytest

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import ANONYMOUS, ROLE_PERMS, Actor, Perm, can

TABLE = {
    # perm: roles that have it
    Perm.ACCOUNT_SELF_MANAGE: {Role.RESIDENT, Role.MODERATOR, Role.STAFF, Role.ADMIN},
    Perm.ADMIN_AREA_VIEW: {Role.MODERATOR, Role.STAFF, Role.ADMIN},
    Perm.MODERATION_QUEUE_REVIEW: {Role.MODERATOR, Role.ADMIN},
    Perm.MODERATION_SETTINGS_EDIT: {Role.ADMIN},
    Perm.MODERATION_LOG_READ: {Role.ADMIN},
    Perm.CONSULTATION_MANAGE: {Role.STAFF, Role.ADMIN},
    Perm.ORG_TEXTS_EDIT: {Role.ADMIN},
    Perm.ORG_MEMBERS_MANAGE: {Role.ADMIN},
    Perm.MAIL_OUTBOX_READ: {Role.ADMIN},
}


def test_table_covers_every_permission():
    assert set(TABLE) == set(Perm)
    assert set(ROLE_PERMS) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("perm", list(Perm))
def test_role_table(role, perm):
    actor = Actor(user_id=1, display_name="x", roles=frozenset({role}))
    assert can(actor, perm) == (role in TABLE[perm])


def test_visitors_can_nothing():
    for perm in Perm:
        assert not can(ANONYMOUS, perm)


def test_a_user_without_role_in_this_organisation_has_nothing():
    assert not can(Actor(user_id=5, roles=frozenset()), Perm.ACCOUNT_SELF_MANAGE)


def test_vocabulary_shape():
    for perm in Perm:
        assert len(perm.value.split(":")) == 3, perm
