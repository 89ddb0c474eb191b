"""Public reads: the Vorhabenliste (with status and topic filters, full-text search and pages)
and ``access_consultation``, the lookup that authorises.

Full-text search: PostgreSQL with German stemming (``Radwege`` finds ``Radweg``) through the GIN
expression index of migration 0002; SQLite through an FTS5 table with prefix matching. The search
page (/suche, beteiligung.search) searches consultations the same way, and proposals and comments.
"""

from __future__ import annotations

import re
from datetime import datetime

from litestar.exceptions import NotFoundException
from sqlalchemy import Select, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.models import (
    Consultation,
    ConsultationStatus,
    Phase,
    Topic,
    consultation_topic,
)
from beteiligung.consultations.permissions import enforce, why_not_view
from beteiligung.db import LabelledEnum, dialect_name
from beteiligung.web.paging import Page

PER_PAGE = 10

# Must stay identical to the index expression in migrations/versions/0002_participation_core.py.
PG_SEARCH_DOCUMENT = (
    "to_tsvector('german', coalesce(consultation.title, '') || ' ' || coalesce(consultation.summary, '') || ' ' "
    "|| coalesce(consultation.subject, '') || ' ' || coalesce(consultation.body, ''))"
)


class Timing(LabelledEnum):
    """What the Vorhabenliste filters by: where the consultation stands in time."""

    RUNNING = "laufend", "Laufend"
    PLANNED = "geplant", "Geplant"
    FINISHED = "abgeschlossen", "Abgeschlossen"


TIMING_NAMES: dict[Timing, str] = Timing.labels()


def timing_of(consultation: Consultation, now: datetime) -> Timing:
    if consultation.status == ConsultationStatus.CLOSED or not consultation.phases:
        return Timing.FINISHED if consultation.status == ConsultationStatus.CLOSED else Timing.PLANNED
    if consultation.phases[0].starts_at > now:
        return Timing.PLANNED
    if max(p.ends_at for p in consultation.phases) <= now:
        return Timing.FINISHED
    return Timing.RUNNING


def fts5_query(q: str) -> str:
    """Words as quoted prefix terms, all required: no FTS5 syntax reaches the engine (also used by
    the search page, beteiligung.search.queries)."""
    words = re.findall(r"\w+", q, flags=re.UNICODE)[:8]
    return " ".join(f'"{w}"*' for w in words)


def _search(stmt: Select[Consultation], q: str, dialect: str) -> Select[Consultation]:
    if dialect == "postgresql":
        return stmt.where(literal_column(PG_SEARCH_DOCUMENT).op("@@")(func.websearch_to_tsquery("german", q)))
    match = fts5_query(q)
    if not match:
        return stmt
    return stmt.where(
        Consultation.id.in_(
            select(literal_column("rowid"))
            .select_from(text("consultation_fts"))
            .where(text("consultation_fts MATCH :fts_query").bindparams(fts_query=match))
        )
    )


async def list_consultations(
    db: AsyncSession,
    org_id: int,
    *,
    now: datetime,
    timing: str = "",
    topic: str = "",
    q: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    stmt = select(Consultation).where(
        Consultation.organisation_id == org_id, Consultation.status != ConsultationStatus.DRAFT
    )
    if topic:
        stmt = stmt.where(
            exists()
            .where(consultation_topic.c.consultation_id == Consultation.id)
            .where(consultation_topic.c.topic_id == Topic.id)
            .where(Topic.slug == topic)
        )
    if q.strip():
        stmt = _search(stmt, q.strip()[:200], dialect_name(db))
    started = exists().where(Phase.consultation_id == Consultation.id, Phase.starts_at <= now)
    ongoing = exists().where(Phase.consultation_id == Consultation.id, Phase.ends_at > now)
    published = Consultation.status == ConsultationStatus.PUBLISHED
    if timing == Timing.RUNNING:
        stmt = stmt.where(published, started, ongoing)
    elif timing == Timing.PLANNED:
        stmt = stmt.where(published, ~started)
    elif timing == Timing.FINISHED:
        stmt = stmt.where(or_(Consultation.status == ConsultationStatus.CLOSED, and_(published, ~ongoing)))
    total = int(await db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = (
        await db.scalars(
            stmt.order_by(Consultation.published_at.desc(), Consultation.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    ).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


async def list_topics(db: AsyncSession, org_id: int) -> list[Topic]:
    """Topics used by a public consultation of the organisation, for the filter."""
    stmt = (
        select(Topic)
        .where(Topic.organisation_id == org_id)
        .where(
            exists()
            .where(consultation_topic.c.topic_id == Topic.id)
            .where(consultation_topic.c.consultation_id == Consultation.id)
            .where(Consultation.status != ConsultationStatus.DRAFT)
        )
        .order_by(Topic.name)
    )
    return list((await db.scalars(stmt)).all())


async def access_consultation(db: AsyncSession, actor: Actor, org_id: int, slug: str) -> Consultation:
    """The organisation's consultation with this slug, if the actor may see it; else 404."""
    stmt = select(Consultation).where(Consultation.organisation_id == org_id, Consultation.slug == slug)
    consultation = (await db.scalars(stmt)).first()
    if consultation is None:
        raise NotFoundException()
    enforce(why_not_view(actor, consultation))
    return consultation
