"""The permission vocabulary and the role table, in one place (see docs/permissions.md).

Permissions are ``scope:resource:action`` strings. A role grants a fixed set of them in the
organisation where the user holds the role. Predicates here are pure: no I/O, so the whole table
is tested as data (tests/unit/test_permissions.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from beteiligung.accounts.models import Role


class Perm(enum.StrEnum):
    ACCOUNT_SELF_MANAGE = "account:self:manage"
    ADMIN_AREA_VIEW = "admin:area:view"
    MAIL_OUTBOX_READ = "mail:outbox:read"
    ORG_MEMBERS_MANAGE = "org:members:manage"
    ORG_TEXTS_EDIT = "org:texts:edit"
    # Used by later features (participation core, moderation); declared here so the table is whole.
    CONSULTATION_MANAGE = "org:consultations:manage"
    MODERATION_QUEUE_REVIEW = "moderation:queue:review"
    MODERATION_SETTINGS_EDIT = "moderation:settings:edit"  # thresholds, limits, blocklist
    MODERATION_LOG_READ = "moderation:log:read"  # the audit log and its CSV export


_RESIDENT = frozenset({Perm.ACCOUNT_SELF_MANAGE})

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.RESIDENT: _RESIDENT,
    Role.MODERATOR: _RESIDENT | {Perm.ADMIN_AREA_VIEW, Perm.MODERATION_QUEUE_REVIEW},
    Role.STAFF: _RESIDENT | {Perm.ADMIN_AREA_VIEW, Perm.CONSULTATION_MANAGE},
    Role.ADMIN: frozenset(Perm),
}


@dataclass(frozen=True)
class Actor:
    """Who is asking, in which organisation. ``user_id`` is None for visitors."""

    user_id: int | None = None
    display_name: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    email_verified: bool = False
    # Set while a moderator's block bars the account from contributing (moderation.models.Block).
    blocked_until: datetime | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def perms(self) -> frozenset[Perm]:
        out: frozenset[Perm] = frozenset()
        for role in self.roles:
            out |= ROLE_PERMS[role]
        return out


ANONYMOUS = Actor()


def can(actor: Actor, perm: Perm | str) -> bool:
    """True when one of the actor's roles in the current organisation grants ``perm``."""
    return actor.is_authenticated and Perm(perm) in actor.perms
