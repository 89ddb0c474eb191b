"""Proposals as a kind of contribution the moderation reviews
(moderation.targets.ModerationTarget, registered in proposals/feature.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.states import Visibility
from beteiligung.live.events import ProposalRemoved, ProposalSubmitted
from beteiligung.live.publish import queue_event
from beteiligung.proposals.models import Proposal
from beteiligung.proposals.queries import access_proposal
from beteiligung.web.urls import url


class ProposalTarget:
    kind = "proposal"
    queue_kind = "proposal"
    model = Proposal
    review_column = "proposal_id"
    flag_column: str | None = "proposal_id"
    editable = True

    def excerpt(self, obj: Any) -> str:
        return str(obj.title)

    async def link(self, db: AsyncSession, obj: Any) -> str:
        return url("proposals.page", proposal_id=obj.id)

    async def links(self, db: AsyncSession, ids: set[int]) -> dict[int, str]:
        return {pid: url("proposals.page", proposal_id=pid) for pid in ids}

    def visibility_changed(self, db: AsyncSession, obj: Any, was_public: bool) -> None:
        now_public = obj.visibility == Visibility.PUBLISHED
        if now_public and not was_public:
            queue_event(db, ProposalSubmitted(consultation_id=obj.consultation_id, proposal_id=obj.id))
        elif was_public:
            queue_event(db, ProposalRemoved(consultation_id=obj.consultation_id, proposal_id=obj.id))

    def queue_filter(self) -> ColumnElement[bool] | None:
        return None

    async def queue_context(self, db: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        proposals = await db.scalars(
            select(Proposal).where(Proposal.id.in_(ids)).options(joinedload(Proposal.author))
        )
        return {p.id: {"target": p, "proposal": p, "author": p.author} for p in proposals}

    async def flag_access(self, db: AsyncSession, actor: Actor, org_id: int, obj_id: int) -> tuple[Any, str]:
        proposal = await access_proposal(db, actor, org_id, obj_id)
        return proposal, url("proposals.page", proposal_id=proposal.id)


TARGET = ProposalTarget()
