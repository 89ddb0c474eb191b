"""Paths excluded from a middleware are anchored (issue 21 item 6): Litestar searches each
exclude pattern anywhere in the path, so ``"/static"`` also exempted
``POST /verwaltung/vorhaben/static-analyse-der-bruecken`` from the CSRF check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from beteiligung.consultations.models import Consultation, ConsultationStatus
from tests.conftest import login, make_user
from tests.participation_factories import make_consultation, run_sql

# A consultation slug that starts with each word an exclude list names.
WORDS = ["static", "healthz", "readyz", "live"]


async def _consultation(settings: Any, slug: str) -> tuple[str, ConsultationStatus]:
    async def q(db: Any) -> tuple[str, ConsultationStatus]:
        row = (await db.scalars(select(Consultation).where(Consultation.slug == slug))).one()
        return row.title, row.status

    return await run_sql(settings, q)  # type: ignore[no-any-return]


@pytest.mark.parametrize("word", WORDS)
async def test_unsafe_requests_on_look_alike_paths_need_the_token(client, settings, word):
    slug = f"{word}-analyse-der-bruecken"
    await make_consultation(settings, slug=slug, title="Brücken im Stadtgebiet")
    await make_user(settings, email="staff@example.org", role="staff")
    await login(client, "staff@example.org")
    form = {
        "title": "Geändert ohne Token",
        "summary": "Eine Kurzbeschreibung, die niemand geschickt hat.",
        "subject": "Brücken",
    }
    for url in (f"/verwaltung/vorhaben/{slug}", f"/verwaltung/vorhaben/{slug}/schliessen"):
        r = await client.post(url, data=form)
        assert r.status_code == 403, (url, r.status_code)
        r = await client.post(url, data=form, headers={"x-csrftoken": "gefaelscht"})
        assert r.status_code == 403, (url, r.status_code)
    assert await _consultation(settings, slug) == ("Brücken im Stadtgebiet", ConsultationStatus.PUBLISHED)


def _patterns(app: Any) -> list[str]:
    """The CSRF config's exclude list and the request log's (the structlog plugin's)."""
    found = list(app.csrf_config.exclude or [])
    for plugin in app.plugins:
        config = getattr(getattr(plugin, "_config", None), "middleware_logging_config", None)
        if config is not None:
            found += list(config.exclude or [])
    return found


async def test_every_exclude_pattern_is_anchored(app):
    patterns = _patterns(app)
    assert len(patterns) >= 6, patterns  # the CSRF list and the request log's list
    for pattern in patterns:
        assert pattern.startswith("^"), pattern
        regex = re.compile(pattern)
        for word in WORDS:
            assert not regex.search(f"/verwaltung/vorhaben/{word}-analyse"), pattern
            assert not regex.search(f"/vorhaben/x/{word}"), pattern
