"""Reads of the moderation: the queue with each item's context, in a fixed number of queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.consultations.models import Consultation
from beteiligung.moderation.claims import Claim
from beteiligung.moderation.models import Flag, Review, ReviewStatus, Trigger
from beteiligung.moderation.targets import all_targets

QUEUE_LIMIT = 100  # per page view; a spam wave beyond that is handled in rounds of bulk actions


@dataclass
class QueueItem:
    """An open review with what the queue shows of it. The contribution is ``target``; its kind
    (moderation.targets.ModerationTarget.queue_kind) adds the fields the queue template shows of
    that kind, named after it: a comment's ``comment``, ``parent`` and ``on_proposal``, a
    proposal's ``proposal``, a meeting question's ``question``, ``meeting`` and ``agenda_item``."""

    review: Review
    consultation: Consultation | None  # None: a question in a meeting of the organisation itself
    kind: str = ""
    target: Any = None
    comment: Any = None
    proposal: Any = None
    question: Any = None
    parent: Any = None  # the comment this one replies to
    on_proposal: Any = None  # the proposal a comment is about
    meeting: Any = None  # the meeting a question was asked in
    agenda_item: Any = None  # the agenda item a question is about
    author: User | None = None
    guest_name: str | None = None  # a guest's chosen name (no account: nothing to block or notify)
    flags: list[Flag] = field(default_factory=list)
    author_record: dict[str, int] = field(default_factory=dict)  # earlier outcomes by status
    claim: Claim | None = None

    @property
    def is_guest(self) -> bool:
        """A contribution of a guest (no account: nothing to block or notify)."""
        return self.guest_name is not None

    @property
    def author_name(self) -> str:
        """The name the contribution appears under ("" for a deleted account)."""
        if self.guest_name is not None:
            return self.guest_name
        return self.author.display_name if self.author else ""

    @property
    def text(self) -> str:
        return str(self.target.body)

    @property
    def flag_reasons(self) -> Counter[str]:
        return Counter(f.reason for f in self.flags)


@dataclass
class Queue:
    items: list[QueueItem]
    total: int
    consultations: list[Consultation]  # for the filter


async def load_queue(
    db: AsyncSession,
    org_id: int,
    *,
    consultation_id: int | None = None,
    without_consultation: bool = False,
    trigger: Trigger | None = None,
    review_ids: list[int] | None = None,
) -> Queue:
    """Open items, oldest first, with context: the consultation, the text, the comment replied
    to, the meeting and agenda item of a question, the flags with reasons and the author's
    earlier outcomes (display names only, never e-mail addresses, DS-17).
    ``without_consultation``: only items outside every consultation (questions in the
    organisation's own meetings)."""
    where = [Review.organisation_id == org_id, Review.status == ReviewStatus.OPEN]
    if consultation_id is not None:
        where.append(Review.consultation_id == consultation_id)
    elif without_consultation:
        where.append(Review.consultation_id.is_(None))
    if trigger is not None:
        where.append(Review.trigger == trigger)
    if review_ids is not None:
        where.append(Review.id.in_(review_ids))
    targets = list(all_targets().values())
    for target in targets:
        condition = target.queue_filter()
        if condition is not None:
            where.append(condition)
    total = int(await db.scalar(select(func.count()).select_from(Review).where(*where)) or 0)
    reviews = list(
        (
            await db.scalars(
                select(Review).where(*where).order_by(Review.opened_at, Review.id).limit(QUEUE_LIMIT)
            )
        ).all()
    )
    consultations = {
        c.id: c
        for c in await db.scalars(
            select(Consultation).where(Consultation.organisation_id == org_id).order_by(Consultation.title)
        )
    }
    # Per kind: its reviews' contribution ids and, in one query per kind, what the queue shows.
    contexts: dict[str, dict[int, dict[str, Any]]] = {}
    flag_ids: dict[str, list[int]] = {}
    for target in targets:
        ids = [getattr(r, target.review_column) for r in reviews]
        ids = [i for i in ids if i is not None]
        contexts[target.kind] = await target.queue_context(db, ids) if ids else {}
        if ids and target.flag_column is not None:
            flag_ids[target.flag_column] = ids
    flags: dict[tuple[str, int], list[Flag]] = defaultdict(list)
    if flag_ids:
        rows = await db.scalars(
            select(Flag)
            .where(
                Flag.resolved_at.is_(None),
                or_(*(getattr(Flag, column).in_(ids) for column, ids in flag_ids.items())),
            )
            .order_by(Flag.created_at)
        )
        for f in rows:
            column = next(c for c in flag_ids if getattr(f, c) is not None)
            flags[(column, getattr(f, column))].append(f)
    author_ids = {r.author_id for r in reviews if r.author_id is not None}
    record: dict[int, dict[str, int]] = defaultdict(dict)
    if author_ids:
        rows2 = await db.execute(
            select(Review.author_id, Review.status, func.count())
            .where(
                Review.organisation_id == org_id,
                Review.author_id.in_(author_ids),
                Review.status != ReviewStatus.OPEN,
            )
            .group_by(Review.author_id, Review.status)
        )
        for author_id, status, count in rows2.all():
            if author_id is not None:
                record[author_id][str(status)] = int(count)
    items = []
    for r in reviews:
        consultation = consultations.get(r.consultation_id) if r.consultation_id is not None else None
        kind = next((t for t in targets if getattr(r, t.review_column) is not None), None)
        if kind is None:
            continue
        target_id = getattr(r, kind.review_column)
        found = contexts[kind.kind].get(target_id)
        if found is None:
            continue
        item = QueueItem(review=r, consultation=consultation, kind=kind.queue_kind, **found)
        if kind.flag_column is not None:
            item.flags = flags.get((kind.flag_column, target_id), [])
        item.author_record = record.get(r.author_id or 0, {})
        items.append(item)
    return Queue(items=items, total=total, consultations=list(consultations.values()))


async def get_review(db: AsyncSession, org_id: int, review_id: int) -> Review | None:
    review = await db.get(Review, review_id)
    if review is None or review.organisation_id != org_id:
        return None
    return review


STATUS_LABELS: dict[str, str] = {
    ReviewStatus.APPROVED: "freigegeben",
    ReviewStatus.HIDDEN: "ausgeblendet",
    ReviewStatus.EDIT_REQUESTED: "zur Überarbeitung",
    ReviewStatus.DISMISSED: "Meldungen verworfen",
}
