"""On PostgreSQL, 100 residents each send their support twice at the same moment (200
concurrent requests through the app): exactly 100 supports, and the page shows 100."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from beteiligung.proposals.models import Proposal, Support
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_participation_integrity import _proposals, _users
from tests.participation_factories import make_consultation, run_sql


@pytest.fixture(params=["postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """The concurrency test below runs on PostgreSQL only (SQLite serialises all writers)."""
    return str(request.param)


async def test_100_residents_support_twice_at_once_gives_100(app, settings):
    cid = await make_consultation(settings)
    (author,) = await _users(settings, 1, prefix="author")
    (pid,) = await _proposals(settings, cid, [author], 1)
    residents = await _users(settings, 100)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as lifespan_client:
        await lifespan_client.get("/healthz")
        # One address per resident, as in reality (the login limit counts per address).
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(f"10.0.{i // 200}.{i % 200 + 1}", 40000)),
                base_url="http://testserver.local",
            )
            for i in range(len(residents))
        ]
        try:

            async def sign_in(i: int, c: httpx.AsyncClient) -> None:
                await c.get("/anmelden")
                r = await c.post(
                    "/anmelden",
                    data={
                        "email": f"r{i}@example.org",
                        "password": DEMO_PASSWORD,
                        "_csrf_token": c.cookies["csrftoken"],
                    },
                )
                assert r.status_code == 303, r.text

            for start in range(0, len(clients), 20):
                await asyncio.gather(
                    *(sign_in(i, c) for i, c in enumerate(clients) if start <= i < start + 20)
                )

            async def support(c: httpx.AsyncClient) -> int:
                r = await c.post(
                    f"/vorschlaege/{pid}/unterstuetzen",
                    data={"_csrf_token": c.cookies["csrftoken"], "view": "seite"},
                    headers={"HX-Request": "true"},
                )
                return r.status_code

            statuses = await asyncio.gather(*(support(c) for c in clients for _ in range(2)))
            assert statuses.count(200) == 200, statuses
            page = await clients[0].get(f"/vorschlaege/{pid}")
        finally:
            for c in clients:
                await c.aclose()
    rows = await run_sql(
        settings,
        lambda db: db.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == pid)),
    )
    shown = await run_sql(
        settings, lambda db: db.scalar(select(Proposal.support_count).where(Proposal.id == pid))
    )
    assert rows == 100 and shown == 100
    assert re.search(r"<strong>100</strong>\s*Unterstützungen", page.text)
