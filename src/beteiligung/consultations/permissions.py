"""Who may do what in a consultation, and why not: pure predicates over loaded objects.

Every rule takes the clock as a parameter and reads the phase that is active at that moment, so
an action closes by itself when its phase ends (tests/unit/test_participation_rules.py is the
table of role × phase × state). A refusal carries the HTTP status the server answers with:

* 401 (log in first), 403 (not for this account), 409 (not possible any more, or not yet: the
  phase, the consultation's state, a time limit) and 404 (not visible to this account).

Routes call the ``why_not_*`` functions through ``access_*`` lookups and raise the refusal;
templates ask the same functions through :class:`Rules`, so the UI and the server agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from litestar.exceptions import NotAuthorizedException, NotFoundException

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import Actor, Perm, can
from beteiligung.consultations.models import Consultation, ConsultationStatus
from beteiligung.consultations.phases import PHASE_FEATURES, Feature
from beteiligung.i18n import format_datetime
from beteiligung.i18n import gettext as _
from beteiligung.web.errors import ActionConflict, ActionForbidden


class Contribution(Protocol):
    """What the shared rules read of a comment or a proposal (their models match it)."""

    @property
    def author_id(self) -> int | None: ...

    @property
    def is_public(self) -> bool: ...


@dataclass(frozen=True)
class Denied:
    """A refusal: the status code and a German msgid with its parameters."""

    status: int
    message: str
    params: dict[str, Any] = field(default_factory=dict)


def _participant(actor: Actor, now: datetime | None = None) -> Denied | None:
    if not actor.is_authenticated:
        return Denied(401, "Bitte melden Sie sich an, um sich zu beteiligen.")
    if not actor.email_verified:
        return Denied(403, "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse.")
    if not actor.roles:
        return Denied(403, "Ihr Konto gehört nicht zu dieser Kommune.")
    if actor.blocked_until is not None and (now is None or actor.blocked_until > now):
        return Denied(
            403,
            "Ihr Konto ist von der Moderation bis %(date)s für Beiträge gesperrt.",
            {"date": actor.blocked_until},
        )
    return None


def _resident(actor: Actor, now: datetime | None = None) -> Denied | None:
    denied = _participant(actor, now)
    if denied:
        return denied
    if Role.RESIDENT not in actor.roles:
        # Staff and moderators speak for the town; supports and proposals are the residents'.
        return Denied(403, "Vorschläge und Unterstützungen sind Einwohner:innen-Konten vorbehalten.")
    return None


def feature_open(consultation: Consultation, feature: Feature, now: datetime) -> Denied | None:
    """Is ``feature`` open in the phase running at ``now``? If not, say since when or from when."""
    if consultation.status == ConsultationStatus.DRAFT:
        return Denied(404, "Dieses Beteiligungsverfahren ist nicht veröffentlicht.")
    if consultation.status == ConsultationStatus.CLOSED:
        return Denied(
            409, "Dieses Beteiligungsverfahren ist abgeschlossen. Beiträge sind nicht mehr möglich."
        )
    phase = consultation.active_phase(now)
    if phase is not None and feature in PHASE_FEATURES[phase.kind]:
        return None
    with_feature = [p for p in consultation.phases if feature in PHASE_FEATURES[p.kind]]
    later = [p for p in with_feature if p.starts_at > now]
    if later:
        return Denied(409, "Das ist erst ab %(date)s möglich.", {"date": later[0].starts_at})
    earlier = [p for p in with_feature if p.ends_at <= now]
    if earlier:
        return Denied(409, "Die Frist dafür ist am %(date)s abgelaufen.", {"date": earlier[-1].ends_at})
    return Denied(409, "In diesem Beteiligungsverfahren ist das nicht vorgesehen.")


def why_not_view(actor: Actor, consultation: Consultation) -> Denied | None:
    if consultation.status == ConsultationStatus.DRAFT and not can(actor, Perm.CONSULTATION_MANAGE):
        return Denied(404, "Dieses Beteiligungsverfahren ist nicht veröffentlicht.")
    return None


def why_not_comment(actor: Actor, consultation: Consultation, now: datetime) -> Denied | None:
    return _participant(actor, now) or feature_open(consultation, Feature.COMMENT, now)


def why_not_propose(actor: Actor, consultation: Consultation, now: datetime) -> Denied | None:
    return _resident(actor, now) or feature_open(consultation, Feature.PROPOSE, now)


def why_not_flag(actor: Actor, item: Contribution, now: datetime) -> Denied | None:
    """Any signed-in account of the organisation may report a public contribution of someone else."""
    denied = _participant(actor, now)
    if denied:
        return denied
    if item.author_id == actor.user_id:
        return Denied(403, "Ihren eigenen Beitrag können Sie nicht melden.")
    if not item.is_public or getattr(item, "deleted_at", None) is not None:
        return Denied(409, "Dieser Beitrag ist nicht öffentlich und kann nicht gemeldet werden.")
    return None


def why_not_manage(actor: Actor) -> Denied | None:
    if not actor.is_authenticated:
        return Denied(401, "Bitte melden Sie sich an, um sich zu beteiligen.")
    if not can(actor, Perm.CONSULTATION_MANAGE):
        return Denied(403, "Sie haben keine Berechtigung für diese Seite oder Aktion.")
    return None


@dataclass(frozen=True)
class Rules:
    """The rules bound to one viewer, one consultation and one moment, for templates (the
    comment thread's ``comments.permissions.CommentRules`` and the proposals'
    ``proposals.permissions.ProposalRules`` add their own)."""

    actor: Actor
    consultation: Consultation
    now: datetime

    def comment(self) -> bool:
        return why_not_comment(self.actor, self.consultation, self.now) is None

    def propose(self) -> bool:
        return why_not_propose(self.actor, self.consultation, self.now) is None

    def flag(self, item: Contribution) -> bool:
        return why_not_flag(self.actor, item, self.now) is None

    def manage(self) -> bool:
        return why_not_manage(self.actor) is None

    def open(self, feature: str) -> bool:
        """Is the feature open right now, for anyone allowed to use it?"""
        return feature_open(self.consultation, Feature(feature), self.now) is None

    def would(self, feature: str) -> bool:
        """A visitor who could do this after logging in ("Anmelden, um …")."""
        return not self.actor.is_authenticated and self.open(feature)

    def closed_reason(self, feature: str) -> Denied | None:
        return feature_open(self.consultation, Feature(feature), self.now)


def enforce(denied: Denied | None) -> None:
    """Raise the refusal as the matching HTTP error, with its message in the visitor's language."""
    if denied is None:
        return
    params = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in denied.params.items()}
    message = _(denied.message, **params)
    if denied.status == 401:
        raise NotAuthorizedException(message)
    if denied.status == 404:
        raise NotFoundException(message)
    if denied.status == 403:
        raise ActionForbidden(detail=message)
    raise ActionConflict(detail=message)
