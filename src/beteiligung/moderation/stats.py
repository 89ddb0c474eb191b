"""Public moderation statistics of a consultation (transparency, docs/moderation.md): how many
contributions the moderation removed, by Netiquette rule, and how many pre-moderated ones it
approved. Counts only; nothing about who wrote or decided what."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import MODE_NAMES
from beteiligung.moderation.models import Review, ReviewStatus, Trigger
from beteiligung.registry import Section


@dataclass(frozen=True)
class ModerationStats:
    hidden_total: int = 0
    # (rule number or None for "no rule cited", count), most frequent first
    hidden_by_rule: list[tuple[int | None, int]] = field(default_factory=list)
    approved_pre: int = 0


async def moderation_stats(db: AsyncSession, consultation_id: int | None) -> ModerationStats:
    """One grouped query over the consultation's decided reviews (its comments, proposals and
    the questions of its meetings). ``None`` (a meeting of the organisation itself, outside every
    consultation) has no consultation statistics: empty, never the reviews of every such meeting."""
    if consultation_id is None:
        return ModerationStats()
    rows = await db.execute(
        select(Review.status, Review.rule, Review.trigger, func.count())
        .where(
            Review.consultation_id == consultation_id,
            Review.status.in_((ReviewStatus.HIDDEN, ReviewStatus.APPROVED)),
        )
        .group_by(Review.status, Review.rule, Review.trigger)
    )
    by_rule: dict[int | None, int] = {}
    approved_pre = 0
    for status, rule, trigger, count in rows.all():
        if status == ReviewStatus.HIDDEN:
            by_rule[rule] = by_rule.get(rule, 0) + count
        elif trigger == Trigger.PRE:
            approved_pre += count
    ordered = sorted(by_rule.items(), key=lambda item: (-item[1], item[0] is None, item[0] or 0))
    return ModerationStats(
        hidden_total=sum(by_rule.values()), hidden_by_rule=ordered, approved_pre=approved_pre
    )


async def consultation_section(request: Any, db: AsyncSession, consultation: Consultation) -> dict[str, Any]:
    """The consultation page's moderation section: its mode and the statistics."""
    return {
        "stats": await moderation_stats(db, consultation.id),
        "mode": consultation.moderation_mode,
        "mode_names": MODE_NAMES,
    }


# The consultation page draws it after everything else (registry.Section).
CONSULTATION_SECTIONS = (
    Section(
        name="moderation",
        template="moderation/_consultation_stats.html",
        load=consultation_section,
        order=900,
    ),
)
