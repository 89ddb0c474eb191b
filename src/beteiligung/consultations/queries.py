"""Reads of consultations, their phases and topics.

Every read is scoped to one organisation: a slug is unique per organisation only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations.models import Consultation, Topic


# --- staff reads ---
# For the staff pages (consultations/admin.py): drafts included, nothing filtered by status.
async def staff_list_consultations(db: AsyncSession, org_id: int) -> list[Consultation]:
    """All consultations of the organisation, drafts included, newest first."""
    rows = await db.scalars(
        select(Consultation)
        .where(Consultation.organisation_id == org_id)
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    )
    return list(rows.all())


async def staff_get_consultation(db: AsyncSession, org_id: int, slug: str) -> Consultation | None:
    """One consultation of the organisation by its slug, whatever its status (phases and topics loaded)."""
    return (
        await db.scalars(
            select(Consultation).where(Consultation.organisation_id == org_id, Consultation.slug == slug)
        )
    ).first()


async def staff_slugs_taken(db: AsyncSession, org_id: int, base: str) -> set[str]:
    """Consultation slugs of the organisation equal to ``base`` or starting with ``base-``."""
    rows = await db.scalars(
        select(Consultation.slug).where(
            Consultation.organisation_id == org_id,
            (Consultation.slug == base) | Consultation.slug.startswith(base + "-", autoescape=True),
        )
    )
    return set(rows.all())


async def staff_list_topics(db: AsyncSession, org_id: int) -> list[Topic]:
    """The organisation's topics, alphabetically (offered as suggestions on the form)."""
    rows = await db.scalars(select(Topic).where(Topic.organisation_id == org_id).order_by(Topic.name))
    return list(rows.all())


async def staff_topics_by_slug(db: AsyncSession, org_id: int, slugs: list[str]) -> dict[str, Topic]:
    if not slugs:
        return {}
    rows = await db.scalars(select(Topic).where(Topic.organisation_id == org_id, Topic.slug.in_(slugs)))
    return {t.slug: t for t in rows.all()}
