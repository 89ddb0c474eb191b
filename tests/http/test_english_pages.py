"""The public pages in English (issue 20): labels that come from msgid dicts ("Läuft jetzt",
"Meiste Unterstützungen" …) stayed German on English pages because their dicts were not
extracted. With the Lüneburg demo loaded and the English locale chosen, none of those German
labels is left on the pages visitors see most, and their English equivalents are shown."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from beteiligung.app import make_alchemy_config
from beteiligung.demo.participation import ARBEIT_SLUG, DIGITAL_SLUG
from beteiligung.demo.seed import seed_demo
from beteiligung.meetings.models import Meeting, MeetingState
from beteiligung.proposals.models import Proposal
from beteiligung.proposals.queries import Sort
from beteiligung.settings import Settings
from beteiligung.surveys.models import Survey, SurveyStatus
from tests.conftest import post_form

# German labels that must not appear on an English page (whole words: the demo's German content
# may contain longer words such as "Geplante").
GERMAN = (
    "Läuft jetzt",
    "Geplant",
    "Zufällige Reihenfolge",
    "Meiste Unterstützungen",
    "Meiste Kommentare",
    "Abgeschlossen",
    "Hilfreichste zuerst",
    "Neueste zuerst",
    "Älteste zuerst",
    "Jetzt live",
    "Nächste Veranstaltungen",
    "Offene Umfragen",
)
SORT_LABELS = {
    Sort.RANDOM: "Random order",
    Sort.NEWEST: "Newest first",
    Sort.SUPPORTED: "Most supported",
    Sort.DISCUSSED: "Most comments",
}
COMMENT_SORTS = ("Newest first", "Oldest first", "Most helpful first")


async def _load_demo(settings: Settings) -> dict[str, Any]:
    """Seed the demo (the ``client`` fixture has emptied the database) and return the ids used."""
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            _, created = await seed_demo(db)
            assert created
            meetings = {m.state: m.id for m in (await db.scalars(select(Meeting))).all()}
            survey = (
                await db.scalars(
                    select(Survey).where(Survey.status == SurveyStatus.PUBLISHED).order_by(Survey.id)
                )
            ).first()
            # The proposal with the most comments: its thread shows the comment sorts.
            proposal = (await db.scalars(select(Proposal).order_by(Proposal.comment_count.desc()))).first()
            assert survey is not None and proposal is not None and proposal.comment_count > 1
            assert set(meetings) == set(MeetingState)
            return {"meetings": meetings, "survey": survey.id, "proposal": proposal.id}
    finally:
        await config.get_engine().dispose()


def _german_left(html: str) -> list[str]:
    return [w for w in GERMAN if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", html)]


def _selected_option(html: str, select_id: str) -> str:
    select_html = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S)
    assert select_html, select_id
    found = re.search(r"<option[^>]*\sselected[^>]*>([^<]*)</option>", select_html.group(0))
    assert found, select_html.group(0)
    return found.group(1).strip()


async def test_public_pages_in_english_have_no_german_labels(client, settings):
    ids = await _load_demo(settings)
    r = await post_form(client, "/sprache", {"lang": "en", "next": "/"})
    assert r.status_code == 303

    meetings = ids["meetings"]
    pages: dict[str, tuple[str, ...]] = {
        "/": ("Live now", "Running now", "Upcoming meetings", "Open surveys", "open until"),
        "/vorhaben": ("Planned", "Closed"),
        f"/vorhaben/{ARBEIT_SLUG}": ("Running now", "Planned", "Closed"),
        f"/vorhaben/{DIGITAL_SLUG}": COMMENT_SORTS,
        "/veranstaltungen": ("Running now", "Planned", "Closed"),
        f"/veranstaltungen/{meetings[MeetingState.LIVE]}": ("Running now",),
        f"/veranstaltungen/{meetings[MeetingState.SCHEDULED]}": ("Planned",),
        f"/veranstaltungen/{meetings[MeetingState.ENDED]}": ("Closed",),
        f"/umfragen/{ids['survey']}": ("Survey in the consultation", "Start survey"),
        f"/vorschlaege/{ids['proposal']}": COMMENT_SORTS,
    }
    for sort in Sort:
        pages[f"/vorhaben/{ARBEIT_SLUG}/vorschlaege?sortierung={sort.value}"] = tuple(SORT_LABELS.values())

    problems = []
    for url, english in pages.items():
        r = await client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        assert '<html lang="en"' in r.text, url
        if german := _german_left(r.text):
            problems.append(f"{url}: German {german}")
        if missing := [e for e in english if e not in r.text]:
            problems.append(f"{url}: English missing {missing}")
    assert not problems, "\n".join(problems)

    # Each sort of the proposal list is named in English as the chosen one.
    for sort, label in SORT_LABELS.items():
        r = await client.get(f"/vorhaben/{ARBEIT_SLUG}/vorschlaege?sortierung={sort.value}")
        assert _selected_option(r.text, "filter-sort") == label, sort
