"""What the author of a held contribution is told: why it waits, in plain words, and what
happens next (docs/moderation.md, "Was Bürger:innen sehen").

The moderators see the check codes (``checks.CHECK_NAMES``) and the trigger
(``models.TRIGGER_NAMES``); the author sees these sentences instead, right after posting (the
confirmation) and on their own held contribution. They name the rule, never the matching blocklist
term, and promise only what the application does: the moderation looks at it; if it approves, the
contribution goes public and an account holder gets a notification (``decide`` notifies on
approval, hiding and edit requests). No time is promised: nothing here knows the moderators' hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import ModerationMode
from beteiligung.i18n import gettext as _
from beteiligung.moderation.actions import TRUSTED_ROLES

# Check code (moderation.checks.check_submission) -> the rule, as its author reads it.
AUTHOR_REASON_MESSAGES: dict[str, str] = {
    "links": (
        "Ihr Text enthält mehrere Links. Beiträge mit vielen Links sieht sich die Moderation vor der "
        "Veröffentlichung an, damit keine Werbung erscheint."
    ),
    "blocklist": (
        "Ihr Text enthält einen Begriff, bei dem die Moderation den Beitrag vor der Veröffentlichung ansieht."
    ),
    "repeat": "Sie haben denselben Text in den letzten 24 Stunden schon einmal geschrieben.",
    "rate": "Sie haben in den letzten 10 Minuten viele Beiträge geschrieben.",
    "new_account": ("Ihr Konto ist neu und hat in der letzten Stunde schon mehrere Beiträge geschrieben."),
}

# Why a contribution entered the queue (moderation.models.Trigger values), for its author. The
# automatic checks ("auto") speak through AUTHOR_REASON_MESSAGES instead.
AUTHOR_TRIGGER_MESSAGES: dict[str, str] = {
    "pre": "In diesem Verfahren sieht sich die Moderation jeden Beitrag vor der Veröffentlichung an.",
    "pre_meeting": (
        "In dieser Veranstaltung sieht sich die Moderation jede Frage vor der Veröffentlichung an."
    ),
    "flags": (
        "Mehrere Personen haben diesen Beitrag gemeldet. Bis die Moderation entschieden hat, ist er "
        "nicht öffentlich."
    ),
    "edited": "Sie haben den Beitrag überarbeitet; die Moderation sieht ihn sich noch einmal an.",
    "auto": "Eine automatische Prüfung hat den Beitrag zurückgehalten.",
}

# What happens next: an account holder is notified of the decision, a meeting guest is not.
AUTHOR_NEXT_STEP_MESSAGES: dict[str, str] = {
    "account": (
        "Wie geht es weiter? Die Moderation sieht sich Ihren Beitrag an. Gibt sie ihn frei, "
        "erscheint er öffentlich, und Sie erhalten eine Mitteilung. Bis dahin sehen nur Sie ihn."
    ),
    "guest": (
        "Wie geht es weiter? Die Moderation sieht sich Ihre Frage an. Gibt sie sie frei, erscheint "
        "sie für alle in der Veranstaltung. Bis dahin sehen nur Sie sie."
    ),
}


@dataclass(frozen=True)
class HeldExplanation:
    """Translated sentences: the reasons (one per rule) and the next step."""

    reasons: tuple[str, ...]
    next_step: str

    def text(self) -> str:
        return " ".join((*self.reasons, self.next_step))


def explain_hold(
    trigger: str | None, codes: Iterable[str] = (), *, meeting: bool = False, guest: bool = False
) -> HeldExplanation:
    """The author's explanation of a held contribution: ``trigger`` is the review's trigger
    (``pre``, ``auto``, ``flags``, ``edited``; None: unknown), ``codes`` its automatic checks.
    A pre-moderated meeting question names the meeting's rule; checks that also failed are named
    after it."""
    reasons: list[str] = []
    trigger = str(trigger) if trigger is not None else None
    if trigger == "pre":
        key = "pre_meeting" if meeting else "pre"
        reasons.append(_(AUTHOR_TRIGGER_MESSAGES[key]))
    elif trigger in ("flags", "edited"):
        reasons.append(_(AUTHOR_TRIGGER_MESSAGES[trigger]))
    checks = [_(AUTHOR_REASON_MESSAGES[c]) for c in dict.fromkeys(codes) if c in AUTHOR_REASON_MESSAGES]
    if trigger == "auto" and not checks:
        reasons.append(_(AUTHOR_TRIGGER_MESSAGES[trigger]))
    reasons.extend(checks)
    step = "guest" if guest else "account"
    return HeldExplanation(tuple(reasons), _(AUTHOR_NEXT_STEP_MESSAGES[step]))


def holds_new_posts(actor: Actor, consultation: Consultation) -> bool:
    """Does a new contribution of this actor wait for the moderation in this consultation
    (pre-moderation)? Moderators and staff publish at once (moderation.actions.screen)."""
    return consultation.moderation_mode == ModerationMode.PRE and not (actor.roles & TRUSTED_ROLES)
