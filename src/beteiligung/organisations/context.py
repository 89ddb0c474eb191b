"""The organisation of the request, by its host (a ``request_context`` hook, web/context.py):
one query. Every later hook and every page reads ``request.state.org`` (an ``OrgView``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.organisations.queries import get_org_for_host
from beteiligung.web.context import FALLBACK_ORG, Connection, ContextHook, OrgView, settings_of


async def load_organisation(connection: Connection, db: AsyncSession) -> None:
    org = await get_org_for_host(db, connection.headers.get("host", ""), settings_of(connection).default_org)
    connection.state.org = OrgView.of(org) if org else FALLBACK_ORG


CONTEXT = ContextHook(load=load_organisation, defaults={"org": FALLBACK_ORG})
