"""What people trip over on the pages (issue 20, items 9, 10, 12, 13 and 14), over HTTP on both
databases, in German and English:

* the survey's start page and its pages name the same number of parts ("hat 2 Teile" and
  "Teil 1 von 2"), both counted by ``surveys.views.survey_parts``;
* numbers follow the visitor's language: "66,7 %" and "4,33" in German, "66.7%" and "4.33" in
  English (survey results, quick polls, meeting polls and the presenter view);
* staff pages show local time (the outbox, the list of texts, a text's public page), never UTC;
* the legal-text editor previews the Markdown without saving, with and without htmx;
* ending a meeting needs the confirmation box;
* downloads carry one charset (``text/csv; charset=utf-8``, not twice).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from beteiligung.consultations.phases import PhaseKind
from beteiligung.db import utcnow
from beteiligung.mail.models import OutboxMail
from beteiligung.meetings.models import Meeting, MeetingState
from beteiligung.organisations.models import Organisation, OrgText
from beteiligung.surveys import actions
from beteiligung.surveys.actions import Respondent
from beteiligung.surveys.answers import Answer
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql
from tests.survey_factories import make_poll, make_survey

HX = {"HX-Request": "true"}
NNBSP = "\u202f"  # narrow no-break space between a number and "%" in German
KINDS = (PhaseKind.INFORMATION, PhaseKind.SURVEY, PhaseKind.EVALUATION)


async def _english(client: Any) -> None:
    r = await post_form(client, "/sprache", {"lang": "en", "next": "/"})
    assert r.status_code == 303


def _text(html: str) -> str:
    """The page's text without tags (entities as they are), whitespace kept as it is."""
    return re.sub(r"<[^>]+>", "", html)


# ---------------------------------------------------------------------------------------------
# 9. The survey's parts
# ---------------------------------------------------------------------------------------------
async def test_start_page_and_pages_count_the_same_parts(client, settings):
    """The factory's survey has three sections; the second only shows after "Ja". The start page
    said "hat 3 Teile" while page 1 said "Teil 1 von 2"."""
    cid = await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    s = await make_survey(settings, cid)
    await make_user(settings, email="heide@example.org", display_name="Heide aus Kaltenmoor")
    await login(client, "heide@example.org")

    start = _text((await client.get(f"/umfragen/{s.id}")).text)
    assert "Die Umfrage hat 2 Teile." in start, start
    assert "Je nach Ihren Antworten können weitere Teile hinzukommen." in start
    page = await client.get(f"/umfragen/{s.id}/teil/1")
    assert "Teil 1 von 2" in page.text

    # "Ja": the second section appears, and both say 3 from now on
    answers = {
        f"q{s.q['single']}": str(s.o["Online"]),
        f"q{s.q['yes_no']}": str(s.o["Ja"]),
        "aktion": "weiter",
    }
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", answers)
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/teil/2"
    assert "Teil 2 von 3" in (await client.get(f"/umfragen/{s.id}/teil/2")).text
    start = _text((await client.get(f"/umfragen/{s.id}")).text)
    assert "Die Umfrage hat 3 Teile." in start and "weitere Teile" not in start

    await _english(client)
    start = _text((await client.get(f"/umfragen/{s.id}")).text)
    assert "The survey has 3 parts." in start
    assert "Part 2 of 3" in (await client.get(f"/umfragen/{s.id}/teil/2")).text


# ---------------------------------------------------------------------------------------------
# 10. Numbers in the visitor's language
# ---------------------------------------------------------------------------------------------
async def _sent_responses(settings: Any, survey_id: int, rows: list[dict[int, Answer]]) -> None:
    """Sent responses of anonymous respondents, through the survey's own actions."""

    async def add(db: Any) -> None:
        survey = await actions.reload(db, survey_id)
        for n, answers in enumerate(rows):
            response, _created = await actions.ensure_response(db, survey, Respondent(anon_key=f"k{n}"))
            await actions.save_answers(db, response, survey.questions, answers)
            await actions.submit_response(db, survey, response, utcnow())

    await run_sql(settings, add)


async def test_survey_results_and_quick_polls_format_numbers_by_language(client, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    s = await make_survey(settings, cid)
    rows = [
        {
            s.q["single"]: Answer(options=(s.o[choice],)),
            s.q["yes_no"]: Answer(options=(s.o["Ja"],)),
            s.q["scale"]: Answer(number=value),
        }
        for choice, value in (("Online", 4), ("Online", 4), ("Im Bürgeramt", 5))
    ]
    await _sent_responses(settings, s.id, rows)
    poll = await make_poll(settings, cid)
    q = poll.q["single"]
    await _sent_responses(
        settings, poll.id, [{q: Answer(options=(poll.o[o],))} for o in ("Schulen", "Schulen", "Gewerbe")]
    )

    page = _text((await client.get(f"/umfragen/{s.id}/ergebnisse")).text)  # shown text only
    assert f"66,7{NNBSP}%" in page and f"33,3{NNBSP}%" in page and f"100{NNBSP}%" in page
    assert "Mittelwert: 4,33" in page
    assert "66.7" not in page and "4.33" not in page and "100.0" not in page
    card = (await client.get(f"/umfragen/{poll.id}")).text  # the poll's result beside the vote
    assert f"66,7{NNBSP}%" in card and f"33,3{NNBSP}%" in card

    await _english(client)
    page = _text((await client.get(f"/umfragen/{s.id}/ergebnisse")).text)
    assert "66.7%" in page and "33.3%" in page and "100%" in page and "Mean: 4.33" in page
    assert "66,7" not in page and "4,33" not in page
    assert "66.7%" in (await client.get(f"/umfragen/{poll.id}")).text


async def test_meeting_poll_shares_are_formatted(client, settings):
    """The room's closed poll ("Radweg: 2 Stimmen (67 %)") and the presenter view."""
    from beteiligung.meetings.models import MeetingPoll, MeetingPollOption, PollResults, PollState

    meeting_id = await make_meeting(settings, state="live")

    async def add(db: Any) -> None:
        now = utcnow()
        poll = MeetingPoll(
            meeting_id=meeting_id,
            question="Welches Projekt zuerst?",
            state=PollState.CLOSED,
            results=PollResults.LIVE,
            opened_at=now,
            closed_at=now,
            ballot_count=3,
        )
        poll.options = [
            MeetingPollOption(position=1, label="Radweg", vote_count=2),
            MeetingPollOption(position=2, label="Spielplatz", vote_count=1),
        ]
        db.add(poll)
        await db.commit()

    await run_sql(settings, add)
    room = " ".join(_text((await client.get(f"/veranstaltungen/{meeting_id}")).text).split(" "))
    assert f"(67{NNBSP}%)" in room and f"(33{NNBSP}%)" in room and "(67 %)" not in room
    presenter = (
        await client.get(f"/veranstaltungen/{meeting_id}/praesentation/live/abstimmung", headers=HX)
    ).text
    assert f"(67{NNBSP}%)" in presenter

    await _english(client)
    room = _text((await client.get(f"/veranstaltungen/{meeting_id}")).text)
    assert "(67%)" in room and "(33%)" in room


# ---------------------------------------------------------------------------------------------
# 12. Local time on the staff pages
# ---------------------------------------------------------------------------------------------
WINTER_NIGHT = datetime(2027, 1, 15, 23, 30, tzinfo=UTC)  # 16 January, 00:30 in Lüneburg
SUMMER_NIGHT = datetime(2027, 6, 30, 22, 15, tzinfo=UTC)  # 1 July, 00:15 in Lüneburg


async def test_outbox_and_texts_show_local_time(client, settings):
    await make_user(settings, email="admin@example.org", role="admin")

    async def arrange(db: Any) -> None:
        db.add(
            OutboxMail(
                to_address="heide@example.org",
                subject="Ihr Kommentar ist freigegeben",
                body="Hallo",
                created_at=WINTER_NIGHT,
                updated_at=WINTER_NIGHT,
            )
        )
        org = (await db.scalars(select(Organisation))).first()
        await db.execute(
            update(OrgText)
            .where(OrgText.organisation_id == org.id, OrgText.key == "impressum")
            .values(updated_at=SUMMER_NIGHT)
        )

    await run_sql(settings, arrange)
    await login(client, "admin@example.org")

    outbox = _text((await client.get("/verwaltung/postausgang")).text)
    assert "16. Januar 2027, 00:30 Uhr" in outbox, "the outbox shows UTC"
    assert "15.01.2027 23:30" not in outbox
    texts = (await client.get("/verwaltung/texte")).text
    assert "01.07.27, 00:15" in texts and "30.06.2027 22:15" not in texts
    assert 'datetime="2027-07-01T00:15+02:00"' in texts
    public = _text((await client.get("/impressum")).text)
    assert "zuletzt geändert am 1. Juli 2027" in public

    await _english(client)
    assert "January 16, 2027, 00:30" in _text((await client.get("/verwaltung/postausgang")).text)
    assert "7/1/27, 00:15" in (await client.get("/verwaltung/texte")).text


# ---------------------------------------------------------------------------------------------
# 13. The legal-text editor's preview; ending a meeting
# ---------------------------------------------------------------------------------------------
async def _text_row(settings: Any, key: str) -> tuple[str, str, int]:
    async def read(db: Any) -> tuple[str, str, int]:
        row = (await db.scalars(select(OrgText).where(OrgText.key == key))).one()
        return row.title, row.body, row.version

    return await run_sql(settings, read)  # type: ignore[no-any-return]


async def test_text_editor_previews_without_saving(client, settings):
    await make_user(settings, email="admin@example.org", role="admin")
    await login(client, "admin@example.org")
    before = await _text_row(settings, "impressum")
    edit = await client.get("/verwaltung/texte/impressum")
    assert edit.status_code == 200
    assert re.search(r'<textarea[^>]+id="text-body"[^>]+rows="24"', edit.text)
    assert 'name="aktion" value="vorschau"' in edit.text and "text-preview" not in edit.text

    body = "## Anschrift\n\nRathaus, **Am Ochsenmarkt 1** <script>alert(1)</script> [x](javascript:alert(1))"
    data = {"title": "Impressum (neu)", "body": body, "aktion": "vorschau"}
    # Without JavaScript: the whole page, the form keeps the text, the preview under it
    r = await post_form(client, "/verwaltung/texte/impressum", data)
    assert r.status_code == 200 and "<html" in r.text
    preview = r.text.split('id="text-preview"', 1)[1].split("</section>", 1)[0]
    assert "<h3>Anschrift</h3>" in preview and "<strong>Am Ochsenmarkt 1</strong>" in preview
    assert "<script>alert" not in preview and 'href="javascript:' not in preview
    assert "Impressum (neu)" in preview and "hx-ignore" in preview
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text.split('id="text-preview"', 1)[0]
    )  # kept in the field
    assert await _text_row(settings, "impressum") == before  # nothing saved

    # With htmx: the editor block only, with the preview and an announcement
    r = await post_form(client, "/verwaltung/texte/impressum", data, htmx=True)
    assert r.status_code == 200 and "<html" not in r.text and 'id="text-editor"' in r.text
    assert "<strong>Am Ochsenmarkt 1</strong>" in r.text and "bt:announce" in r.headers["hx-trigger"]
    assert await _text_row(settings, "impressum") == before

    # Saving still saves
    r = await post_form(client, "/verwaltung/texte/impressum", data | {"aktion": "speichern"})
    assert r.status_code == 303
    assert await _text_row(settings, "impressum") == ("Impressum (neu)", body, before[2] + 1)

    await _english(client)
    r = await post_form(client, "/verwaltung/texte/impressum", data, htmx=True)
    assert "Preview" in r.text and "<strong>Am Ochsenmarkt 1</strong>" in r.text


async def _meeting_state(settings: Any, meeting_id: int) -> MeetingState:
    return await run_sql(
        settings, lambda db: db.scalar(select(Meeting.state).where(Meeting.id == meeting_id))
    )  # type: ignore[no-any-return]


async def test_ending_a_meeting_needs_the_confirmation(client, settings):
    meeting_id = await make_meeting(settings, state="live")
    await make_user(settings, email="staff@example.org", role="staff")
    await login(client, "staff@example.org")
    url = f"/verwaltung/veranstaltungen/{meeting_id}/status"
    room = (await client.get(f"/veranstaltungen/{meeting_id}")).text
    assert 'name="beenden_bestaetigt" value="ja" required' in room
    assert "Ich möchte die Veranstaltung jetzt beenden" in room

    # Without JavaScript: the room again, 422, the error beside the box
    r = await post_form(client, url, {"status": "ended"})
    assert r.status_code == 422 and "<html" in r.text and "<title>Fehler: " in r.text
    assert 'aria-invalid="true" aria-describedby="meeting-' in r.text
    assert "Bitte bestätigen Sie, dass Sie die Veranstaltung jetzt beenden möchten." in r.text
    assert await _meeting_state(settings, meeting_id) == MeetingState.LIVE
    # With htmx: the state block with the error, focus on the box
    r = await post_form(client, url, {"status": "ended", "beenden_bestaetigt": "nein"}, htmx=True)
    assert r.status_code == 422 and "<html" not in r.text and f'id="meeting-{meeting_id}-state"' in r.text
    assert "data-focus-after-swap" in r.text and "beenden möchten" in r.text
    assert await _meeting_state(settings, meeting_id) == MeetingState.LIVE

    await _english(client)
    r = await post_form(client, url, {"status": "ended"})
    assert r.status_code == 422 and "<title>Error: " in r.text and "End meeting" in r.text
    assert await _meeting_state(settings, meeting_id) == MeetingState.LIVE

    r = await post_form(client, url, {"status": "ended", "beenden_bestaetigt": "ja"})
    assert r.status_code == 303
    assert await _meeting_state(settings, meeting_id) == MeetingState.ENDED


# ---------------------------------------------------------------------------------------------
# 14. One charset per download
# ---------------------------------------------------------------------------------------------
async def test_downloads_name_their_charset_once(client, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    s = await make_survey(settings, cid)
    ended = await make_meeting(settings, state="ended")
    await make_user(settings, email="admin@example.org", role="admin")
    await login(client, "admin@example.org")
    for url, kind in (
        ("/verwaltung/moderation/protokoll.csv", "text/csv"),
        (f"/verwaltung/umfragen/{s.id}/export.csv", "text/csv"),
        (f"/veranstaltungen/{ended}/protokoll.md", "text/markdown"),
        (f"/veranstaltungen/{ended}/kalender.ics", "text/calendar"),
    ):
        r = await client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"] == f"{kind}; charset=utf-8", (url, r.headers["content-type"])
