"""The start page shows what is happening now (issue 20): running and upcoming meetings, open
surveys, consultations in an active phase, each with its dates; only what visitors may see."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from beteiligung.consultations.models import ConsultationStatus
from beteiligung.consultations.phases import PhaseKind
from beteiligung.db import utcnow
from beteiligung.i18n import current_locale, format_datetime
from beteiligung.surveys.models import Survey, SurveyStatus
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql
from tests.survey_factories import make_poll, make_survey


def _section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', html, re.S)
    return found.group(0) if found else ""


async def test_home_lists_meetings_surveys_and_active_consultations_with_dates(client, settings):
    now = utcnow()
    cid = await make_consultation(
        settings, kinds=(PhaseKind.INFORMATION, PhaseKind.COLLECTION), current=1, now=now
    )
    survey = await make_survey(settings, cid, title="Digitales Rathaus")
    await make_survey(settings, cid, title="Noch ein Entwurf", publish=False)
    poll = await make_poll(settings, cid)
    await make_consultation(settings, slug="vorbei", title="Längst vorbei", current=-1)
    draft = await make_consultation(
        settings, slug="entwurf", title="Geheimer Entwurf", status=ConsultationStatus.DRAFT
    )
    await make_poll(settings, draft)  # a published poll in a draft consultation: not open to anyone
    live = await make_meeting(settings, title="Bürgerversammlung live", state="live")
    starts = now + timedelta(days=7)
    later = await make_meeting(
        settings,
        title="Stadtteilforum Kaltenmoor",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        format="hybrid",
        place="Rathaus, Huldigungssaal",
    )
    await make_meeting(
        settings,
        title="Schon vorbei",
        state="ended",
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3, hours=-2),
    )

    r = await client.get("/")
    assert r.status_code == 200
    token = current_locale.set("de")
    try:
        live_section = _section(r.text, "jetzt-live")
        assert f'href="/veranstaltungen/{live}"' in live_section and "Läuft jetzt" in live_section
        upcoming = _section(r.text, "termine")
        assert f'href="/veranstaltungen/{later}"' in upcoming and "Rathaus, Huldigungssaal" in upcoming
        assert (
            format_datetime(starts) in upcoming
            and format_datetime(starts + timedelta(hours=2), "time") in upcoming
        )
        assert "Schon vorbei" not in r.text

        surveys = _section(r.text, "umfragen")
        assert f'href="/umfragen/{survey.id}"' in surveys and f'href="/umfragen/{poll.id}"' in surveys
        assert "Noch ein Entwurf" not in r.text and "Schnellumfrage" in surveys
        assert "offen bis" in surveys  # the survey closes with its phase

        running = _section(r.text, "laufend")
        assert 'href="/vorhaben/isek-2030"' in running and "Vorschläge sammeln" in running
        assert "Längst vorbei" not in r.text and "Geheimer Entwurf" not in r.text
        assert re.search(r'<time datetime="[^"]+">[^<]+</time> bis <time', running)
    finally:
        current_locale.reset(token)


async def test_home_without_anything_happening(client, settings):
    r = await client.get("/")
    assert r.status_code == 200
    assert "Derzeit läuft kein Beteiligungsverfahren." in r.text
    assert "Zurzeit sind keine Veranstaltungen geplant." in r.text
    assert 'aria-labelledby="jetzt-live"' not in r.text and 'aria-labelledby="umfragen"' not in r.text
    assert 'action="/suche"' in r.text  # the search form works without JavaScript (GET)


async def test_home_in_english(client, settings):
    await make_meeting(settings, title="Bürgerversammlung live", state="live")
    client.cookies["lang"] = "en"
    r = await client.get("/")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert "Take part now" in r.text and "To the meeting" in r.text and "Jetzt mitmachen" not in r.text
    assert "December" in r.text  # dates in the visitor's language


async def test_home_escapes_text_of_staff_and_closed_surveys_are_gone(client, settings):
    hostile = '<img src=x onerror=alert(1)> <div hx-get="/verwaltung/rollen">x</div>'
    cid = await make_consultation(settings, title=hostile, summary=hostile)
    await make_meeting(settings, title=hostile, state="live", place=hostile)
    poll = await make_poll(settings, cid)

    async def close(db: Any) -> None:
        await db.execute(update(Survey).where(Survey.id == poll.id).values(status=SurveyStatus.CLOSED))

    await run_sql(settings, close)
    r = await client.get("/")
    assert "<img src=x" not in r.text and '<div hx-get="/verwaltung' not in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text
    assert f'href="/umfragen/{poll.id}"' not in r.text
    # Every container with such text carries hx-ignore.
    for m in re.finditer(r"<(\w+)([^>]*)>[^<]*&lt;img", r.text):
        assert "hx-ignore" in m.group(2), m.group(0)
