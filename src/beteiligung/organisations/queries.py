"""Reads of organisations and their texts."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.organisations.models import Organisation, OrgText


async def get_org_for_host(db: AsyncSession, host: str, default_slug: str) -> Organisation | None:
    """The organisation whose domain is ``host``, else the default one, else the first one."""
    host = host.split(":", 1)[0].lower()
    rows = (
        await db.scalars(
            select(Organisation)
            .where(or_(Organisation.domain == host, Organisation.slug == default_slug))
            .order_by(Organisation.id)
        )
    ).all()
    for org in rows:
        if org.domain == host:
            return org
    if rows:
        return rows[0]
    return (await db.scalars(select(Organisation).order_by(Organisation.id).limit(1))).first()


async def get_text(db: AsyncSession, org_id: int, key: str) -> OrgText | None:
    return (
        await db.scalars(select(OrgText).where(OrgText.organisation_id == org_id, OrgText.key == key))
    ).first()


async def text_version(db: AsyncSession, org_id: int, key: str) -> int:
    """The current version of one of the organisation's texts, 0 while it has none (the version a
    consent cites; offered to accounts as ``accounts.actions.TEXT_VERSION``)."""
    text = await get_text(db, org_id, key)
    return text.version if text else 0


async def list_texts(db: AsyncSession, org_id: int) -> list[OrgText]:
    return list(
        (
            await db.scalars(select(OrgText).where(OrgText.organisation_id == org_id).order_by(OrgText.key))
        ).all()
    )
