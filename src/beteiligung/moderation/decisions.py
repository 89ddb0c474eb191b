"""The moderators' decisions as use cases (issue 12): one decision on an item the moderator
holds, or one decision for many items (a spam wave). The route parses and authorises (the item
is open, the moderator holds its claim), calls one of these, commits, and then
:meth:`Decided.tell`: the claims are dropped and the authors mailed only once the decision is in
the database (a mail never announces a decision that was rolled back)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.permissions import Actor
from beteiligung.i18n import gettext as _
from beteiligung.moderation.actions import Decision, MailSettings, block_author, decide, mail_author
from beteiligung.moderation.claims import Claims
from beteiligung.moderation.models import Review
from beteiligung.moderation.targets import target_of_review
from beteiligung.web.errors import Refused


@dataclass(frozen=True)
class Decided:
    """What a decision wrote (the decided review ids, the number skipped) and what follows its
    commit."""

    review_ids: list[int]
    skipped: int
    decision: str
    rule: int | None
    reason_text: str

    async def tell(self, db: AsyncSession, claims: Claims, mail: MailSettings) -> None:
        """After the commit: drop the claims, and mail the authors of hides and edit requests,
        once per author (a spam wave from one account is one mail, not fifty)."""
        await claims.forget(self.review_ids)
        mailed: set[int] = set()
        for review_id in self.review_ids:
            review = await db.get(Review, review_id)
            if review is None or review.author_id is None or review.author_id in mailed:
                continue
            mailed.add(review.author_id)
            await mail_author(
                db, mail, review=review, decision=self.decision, rule=self.rule, reason_text=self.reason_text
            )


async def decide_one(
    db: AsyncSession,
    *,
    review: Review,
    decision: str,
    moderator: Actor,
    rule: int | None,
    reason_text: str,
    block_days: int | None,
    now: datetime,
) -> Decided:
    """One moderator's decision on a review they hold: decide, and block the author if asked.
    Refused beside the decision for a meeting question sent back for revision (its asker cannot
    edit it), and without a field when someone else decided first (nothing kept)."""
    if decision == Decision.REQUEST_EDIT and not target_of_review(review).editable:
        raise Refused(
            _("Eine Frage aus einer Veranstaltung kann nur freigegeben oder ausgeblendet werden."), "decision"
        )
    outcome = await decide(
        db, review=review, decision=decision, moderator=moderator, rule=rule, reason_text=reason_text, now=now
    )
    if not outcome.decided:
        raise Refused(_("Dieser Beitrag ist bereits entschieden."))
    if block_days and review.author_id is not None:
        await block_author(
            db,
            org_id=review.organisation_id,
            user_id=review.author_id,
            days=block_days,
            rule=rule,
            reason_text=reason_text,
            moderator=moderator,
            review_id=review.id,
            now=now,
        )
    return Decided([review.id], 0, decision, rule, reason_text)


async def decide_many(
    db: AsyncSession,
    *,
    org_id: int,
    review_ids: Sequence[int],
    claim: Callable[[int], Awaitable[bool]],
    decision: str,
    moderator: Actor,
    rule: int | None,
    now: datetime,
) -> Decided:
    """One decision for many items (a spam wave): each item is claimed with ``claim`` (items
    someone else holds, decided or of another organisation are skipped), decided and logged; the
    caller commits once for all."""
    decided: list[int] = []
    skipped = 0
    for review_id in review_ids:
        review = await db.get(Review, review_id)
        if (
            review is None
            or review.organisation_id != org_id
            or not review.is_open
            or not await claim(review.id)
        ):
            skipped += 1
            continue
        outcome = await decide(
            db, review=review, decision=decision, moderator=moderator, rule=rule, reason_text="", now=now
        )
        if outcome.decided:
            decided.append(review.id)
        else:
            skipped += 1
    return Decided(decided, skipped, decision, rule, "")
