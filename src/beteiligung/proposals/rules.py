"""Who may change or withdraw a proposal, and why not: pure predicates like
:mod:`beteiligung.consultations.permissions` (the same :class:`Denied` refusals and statuses).

The rule (docs/participation.md, "Eigene Vorschläge bearbeiten und zurückziehen"):

* Only the person who submitted the proposal, signed in, may change or withdraw it (staff do not
  edit residents' words; a contribution recorded from paper has no author account).
* Only while the consultation collects proposals (its phase allows submitting them), and only
  until the town has answered it officially: supporters and the answer refer to that text.
* When the moderation asked the author to revise it, the author may change it (and withdraw it)
  at any time, as with comments.
* Not after it was withdrawn, and not once the moderation removed it.

Supports stay when the text changes; the earlier texts are kept and shown on the page. Withdrawing
is final: the proposal stays visible, marked "Von der Person zurückgezogen", and its supports are
frozen (nobody can add or take back a support; see ``why_not_support``).
"""

from __future__ import annotations

from datetime import datetime

from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import Denied, _participant, why_not_propose
from beteiligung.consultations.states import Visibility
from beteiligung.proposals.models import AnswerState, Proposal


def _own_and_open(actor: Actor, proposal: Proposal, verb: str) -> Denied | None:
    if not actor.is_authenticated:
        return Denied(401, "Bitte melden Sie sich an, um sich zu beteiligen.")
    if proposal.author_id is None or proposal.author_id != actor.user_id:
        if verb == "edit":
            return Denied(403, "Nur die einreichende Person kann einen Vorschlag bearbeiten.")
        return Denied(403, "Nur die einreichende Person kann einen Vorschlag zurückziehen.")
    if proposal.withdrawn_at is not None:
        return Denied(409, "Dieser Vorschlag ist zurückgezogen und kann nicht mehr geändert werden.")
    if proposal.visibility == Visibility.HIDDEN:
        return Denied(409, "Von der Moderation entfernte Vorschläge können nicht geändert werden.")
    if proposal.answer_state != AnswerState.NONE:
        return Denied(
            409,
            "Die Verwaltung hat auf diesen Vorschlag geantwortet; er kann nicht mehr geändert "
            "oder zurückgezogen werden.",
        )
    return None


def why_not_edit_proposal(
    actor: Actor, proposal: Proposal, consultation: Consultation, now: datetime, edit_requested: bool = False
) -> Denied | None:
    return _own_and_open(actor, proposal, "edit") or _while_open(actor, consultation, now, edit_requested)


def why_not_withdraw_proposal(
    actor: Actor, proposal: Proposal, consultation: Consultation, now: datetime, edit_requested: bool = False
) -> Denied | None:
    return _own_and_open(actor, proposal, "withdraw") or _while_open(actor, consultation, now, edit_requested)


def _while_open(
    actor: Actor, consultation: Consultation, now: datetime, edit_requested: bool
) -> Denied | None:
    """While proposals are collected, or at any time while the moderation asks for a revision."""
    if edit_requested:
        return _participant(actor, now)
    return why_not_propose(actor, consultation, now)
