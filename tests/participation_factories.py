"""Factories for participation tests: realistic objects written with the real models."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from beteiligung.app import make_alchemy_config
from beteiligung.consultations.models import Consultation, ConsultationStatus, Phase, Topic
from beteiligung.consultations.phases import PhaseKind
from beteiligung.db import utcnow
from beteiligung.organisations.models import Organisation
from beteiligung.settings import Settings


async def make_consultation(
    settings: Settings,
    *,
    slug: str = "isek-2030",
    title: str = "ISEK 2030+: Stadt der Arbeit und Ideen",
    kinds: tuple[PhaseKind, ...] = (PhaseKind.INFORMATION, PhaseKind.COLLECTION, PhaseKind.SUPPORT),
    current: int = 1,
    status: ConsultationStatus = ConsultationStatus.PUBLISHED,
    topics: tuple[str, ...] = ("Wirtschaft", "Innenstadt"),
    now: datetime | None = None,
    **fields: Any,
) -> int:
    """A consultation whose phase ``current`` (index into ``kinds``) runs at ``now``; each phase
    lasts ten days. ``current=-1``: all phases are over."""
    now = now or utcnow()
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            org = (await db.scalars(select(Organisation))).first()
            assert org is not None
            consultation = Consultation(
                organisation_id=org.id,
                slug=slug,
                title=title,
                summary=fields.pop("summary", "Wie soll sich Lüneburg als Wirtschaftsstandort entwickeln?"),
                body=fields.pop("body", "## Hintergrund\n\nDas ISEK 2030+ beschreibt Ziele."),
                status=status,
                published_at=now if status != ConsultationStatus.DRAFT else None,
                **fields,
            )
            for name in topics:
                topic = (
                    await db.scalars(select(Topic).where(Topic.organisation_id == org.id, Topic.name == name))
                ).first() or Topic(organisation_id=org.id, slug=name.lower(), name=name)
                consultation.topics.append(topic)
            anchor = now - timedelta(days=5) if current >= 0 else now - timedelta(days=10 * len(kinds) + 1)
            start = anchor - timedelta(days=10 * max(current, 0))
            for i, kind in enumerate(kinds):
                consultation.phases.append(
                    Phase(
                        kind=kind,
                        starts_at=start + timedelta(days=10 * i),
                        ends_at=start + timedelta(days=10 * (i + 1)),
                    )
                )
            db.add(consultation)
            await db.commit()
            return consultation.id
    finally:
        await config.get_engine().dispose()


async def run_sql(settings: Settings, fn: Any) -> Any:
    """Run ``await fn(db)`` in a session of its own (for arranging and checking rows)."""
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            result = await fn(db)
            await db.commit()
            return result
    finally:
        await config.get_engine().dispose()
