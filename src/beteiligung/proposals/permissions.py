"""Who may support a proposal, and why not: a pure predicate built on the consultation's shared
rules (:mod:`beteiligung.consultations.permissions`; editing and withdrawing: ``rules.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import Denied, Rules, _resident, feature_open
from beteiligung.consultations.phases import Feature
from beteiligung.proposals.models import Proposal


def why_not_support(
    actor: Actor, proposal: Proposal, consultation: Consultation, now: datetime
) -> Denied | None:
    denied = _resident(actor, now) or feature_open(consultation, Feature.SUPPORT, now)
    if denied:
        return denied
    if not proposal.is_public:
        return Denied(409, "Dieser Vorschlag ist nicht öffentlich und kann nicht unterstützt werden.")
    if proposal.withdrawn_at is not None:  # its supports are frozen (proposals/rules.py)
        return Denied(
            409, "Dieser Vorschlag wurde zurückgezogen; seine Unterstützungen bleiben, wie sie sind."
        )
    if proposal.author_id == actor.user_id:
        return Denied(403, "Ihren eigenen Vorschlag können Sie nicht unterstützen.")
    return None


@dataclass(frozen=True)
class ProposalRules(Rules):
    """The consultation's rules plus supporting a proposal, for the proposal pages' templates."""

    def support(self, proposal: Proposal) -> bool:
        return why_not_support(self.actor, proposal, self.consultation, self.now) is None
