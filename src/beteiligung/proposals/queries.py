"""Reads for proposals: the list with its sorts and filters, one proposal, the viewer's supports.

Each read is a fixed number of statements whatever the number of items (tests/integration/
test_query_counts.py): authors and topics come joined, the viewer's supports in one ``IN`` query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from beteiligung.accounts.permissions import Perm, can
from beteiligung.consultations.models import Consultation, Topic
from beteiligung.consultations.permissions import enforce, why_not_view
from beteiligung.consultations.states import Visibility
from beteiligung.db import LabelledEnum
from beteiligung.moderation.models import Review
from beteiligung.moderation.reasons import placeholder
from beteiligung.proposals.models import AnswerState, Proposal, ProposalVersion, Support
from beteiligung.web.errors import PublicHTTPException
from beteiligung.web.paging import Page

__all__ = ["Page"]  # moved to web/paging.py; importers elsewhere still name it here

PER_PAGE = 20


class Sort(LabelledEnum):
    RANDOM = "zufall", "Zufällige Reihenfolge"
    NEWEST = "neueste", "Neueste zuerst"
    SUPPORTED = "unterstuetzt", "Meiste Unterstützungen"
    DISCUSSED = "diskutiert", "Meiste Kommentare"


SORT_NAMES: dict[Sort, str] = Sort.labels()


# A stable pseudo-random order per seed, in portable SQL (SQLite has no md5 or random(seed)):
# x = (id·M + seed) mod P with a seed-dependent multiplier M, then x² mod P. A linear map alone
# would give every seed the same cyclic order (only rotated); squaring breaks that. P = 2³¹−1 is
# prime and keeps x² below 2⁶³, so neither database overflows.
_P = 2_147_483_647


def _random_key(seed: int) -> Any:
    multiplier = 48_271 + (seed * 2_654_435_761) % (_P - 48_272)
    x = (Proposal.id * multiplier + seed) % _P
    return (x * x) % _P


@dataclass(frozen=True)
class ProposalFilters:
    sort: Sort = Sort.NEWEST
    topic: str = ""  # topic slug
    state: str = ""  # AnswerState value
    page: int = 1
    seed: int = 0


def _filtered(consultation_id: int, filters: ProposalFilters) -> Select[Any]:
    # Only published proposals are listed or counted (docs/moderation.md).
    stmt = select(Proposal).where(
        Proposal.consultation_id == consultation_id, Proposal.visibility == Visibility.PUBLISHED
    )
    if filters.topic:
        stmt = stmt.join(Topic, Proposal.topic_id == Topic.id).where(Topic.slug == filters.topic)
    if filters.state:
        stmt = stmt.where(Proposal.answer_state == AnswerState(filters.state))
    return stmt


async def list_proposals(
    db: AsyncSession, consultation_id: int, filters: ProposalFilters, per_page: int = PER_PAGE
) -> Page:
    base = _filtered(consultation_id, filters)
    total = int(await db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    order: list[Any]
    if filters.sort == Sort.SUPPORTED:
        order = [Proposal.support_count.desc(), Proposal.id.desc()]
    elif filters.sort == Sort.DISCUSSED:
        order = [Proposal.comment_count.desc(), Proposal.id.desc()]
    elif filters.sort == Sort.RANDOM:
        order = [_random_key(filters.seed), Proposal.id]
    else:
        order = [Proposal.created_at.desc(), Proposal.id.desc()]
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    stmt = (
        base.options(joinedload(Proposal.author), joinedload(Proposal.topic))
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = list((await db.scalars(stmt)).unique().all())
    return Page(items=items, total=total, page=page, per_page=per_page)


async def supported_ids(db: AsyncSession, user_id: int | None, proposal_ids: list[int]) -> set[int]:
    """Which of these proposals the viewer supports (one query)."""
    if user_id is None or not proposal_ids:
        return set()
    stmt = select(Support.proposal_id).where(
        Support.user_id == user_id, Support.proposal_id.in_(proposal_ids)
    )
    return set((await db.scalars(stmt)).all())


async def get_proposal(db: AsyncSession, proposal_id: int) -> Proposal | None:
    stmt = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            joinedload(Proposal.author),
            joinedload(Proposal.topic),
            joinedload(Proposal.consultation),
        )
        .execution_options(populate_existing=True)
    )
    return (await db.scalars(stmt)).first()


async def public_versions(db: AsyncSession, proposal_id: int) -> list[ProposalVersion]:
    """The proposal's earlier texts that were public when replaced, newest first (one query)."""
    stmt = (
        select(ProposalVersion)
        .where(ProposalVersion.proposal_id == proposal_id, ProposalVersion.public.is_(True))
        .order_by(ProposalVersion.written_at.desc(), ProposalVersion.id.desc())
    )
    return list((await db.scalars(stmt)).all())


async def get_consultation_topics(db: AsyncSession, consultation: Consultation) -> list[Topic]:
    return list(consultation.topics)


async def access_proposal(db: AsyncSession, actor: Any, org_id: int, proposal_id: int) -> Proposal:
    """The proposal with author, topic and consultation (and its phases), if it belongs to the
    organisation and its consultation is visible to the actor; else 404."""

    proposal = await get_proposal(db, proposal_id)
    if proposal is None or proposal.consultation.organisation_id != org_id:
        raise NotFoundException()
    enforce(why_not_view(actor, proposal.consultation))
    if not proposal.is_public and not can(actor, Perm.MODERATION_QUEUE_REVIEW):
        if proposal.visibility == Visibility.HIDDEN:
            rule = await db.scalar(select(Review.rule).where(Review.proposal_id == proposal.id))
            raise PublicHTTPException(status_code=410, detail=placeholder(rule))
        if proposal.author_id is None or proposal.author_id != actor.user_id:
            raise NotFoundException()  # held: only its author sees it, "wartet auf Freigabe"
    return proposal
