"""Who may reply to, vote on, edit or delete a comment, and why not: pure predicates built on
the consultation's shared rules (:mod:`beteiligung.consultations.permissions`: the same
:class:`Denied` refusals and statuses; tests/unit/test_participation_rules.py is the table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from beteiligung.accounts.permissions import Actor
from beteiligung.comments.models import Comment
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.permissions import Denied, Rules, _participant, feature_open, why_not_comment
from beteiligung.consultations.phases import Feature

EDIT_WINDOW = timedelta(minutes=15)  # authors may correct a comment this long after posting
MAX_COMMENT_DEPTH = 3


def why_not_reply(actor: Actor, comment: Comment, consultation: Consultation, now: datetime) -> Denied | None:
    denied = why_not_comment(actor, consultation, now)
    if denied:
        return denied
    if comment.depth >= MAX_COMMENT_DEPTH:
        return Denied(409, "Auf diese Antwort kann nicht weiter geantwortet werden.")
    if comment.deleted_at is not None:
        return Denied(409, "Auf gelöschte Kommentare kann nicht geantwortet werden.")
    if not comment.is_public:
        return Denied(
            409, "Auf diesen Kommentar kann nicht geantwortet werden, solange er nicht öffentlich ist."
        )
    return None


def why_not_vote(actor: Actor, comment: Comment, consultation: Consultation, now: datetime) -> Denied | None:
    denied = why_not_comment(actor, consultation, now)
    if denied:
        return denied
    if comment.author_id == actor.user_id:
        return Denied(403, "Ihren eigenen Kommentar können Sie nicht bewerten.")
    if comment.deleted_at is not None:
        return Denied(409, "Gelöschte Kommentare können nicht bewertet werden.")
    if not comment.is_public:
        return Denied(409, "Dieser Kommentar ist nicht öffentlich und kann nicht bewertet werden.")
    return None


def why_not_edit(
    actor: Actor, comment: Comment, consultation: Consultation, now: datetime, edit_requested: bool = False
) -> Denied | None:
    """The author, within the edit window, or at any time while the moderation asks them to
    revise the comment (``edit_requested``)."""
    denied = _own_undeleted(
        actor,
        comment,
        Denied(403, "Nur die verfassende Person kann einen Kommentar bearbeiten."),
        Denied(409, "Gelöschte Kommentare können nicht bearbeitet werden."),
    )
    if denied:
        return denied
    if comment.visibility == "hidden":
        return Denied(409, "Von der Moderation entfernte Kommentare können nicht bearbeitet werden.")
    if edit_requested:
        return _participant(actor, now)
    if now - comment.created_at > EDIT_WINDOW:
        return Denied(409, "Kommentare können nur in den ersten 15 Minuten bearbeitet werden.")
    return feature_open(consultation, Feature.COMMENT, now)


def why_not_delete(actor: Actor, comment: Comment) -> Denied | None:
    return _own_undeleted(
        actor,
        comment,
        Denied(403, "Nur die verfassende Person kann einen Kommentar löschen."),
        Denied(409, "Dieser Kommentar ist bereits gelöscht."),
    )


def _own_undeleted(actor: Actor, comment: Comment, not_author: Denied, deleted: Denied) -> Denied | None:
    """Signed in, the comment's author, and the comment not deleted (else the given refusal)."""
    if not actor.is_authenticated:
        return Denied(401, "Bitte melden Sie sich an, um sich zu beteiligen.")
    if comment.author_id != actor.user_id:
        return not_author
    if comment.deleted_at is not None:
        return deleted
    return None


@dataclass(frozen=True)
class CommentRules(Rules):
    """The consultation's rules plus those about single comments, for the thread's templates."""

    def reply(self, comment: Comment) -> bool:
        return why_not_reply(self.actor, comment, self.consultation, self.now) is None

    def vote(self, comment: Comment) -> bool:
        return why_not_vote(self.actor, comment, self.consultation, self.now) is None

    def edit(self, comment: Comment, edit_requested: bool = False) -> bool:
        return why_not_edit(self.actor, comment, self.consultation, self.now, edit_requested) is None

    def delete(self, comment: Comment) -> bool:
        return why_not_delete(self.actor, comment) is None
