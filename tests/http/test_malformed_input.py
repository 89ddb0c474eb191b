"""Malformed input is refused with a page, never a 500 (issue 21 item 9).

NUL and other control characters in a query value or a path; Unicode digits ("²" passes
``str.isdigit()`` and fails ``int()``); numbers above a signed 64-bit integer (the database's
BIGINT overflows) and of thousands of digits (Python's digit limit); odd paths under ``/static``.

The sweep sends every variant to every route (GET: in every query parameter the app reads and in
every path parameter; POST: in every form field the app reads), signed in as an admin on real
objects so the requests get past "not found" to the code that parses. Nothing may answer 5xx, and
every refusal is an HTML page in German or English without a trace. The targeted cases pin the
answers the issue names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from beteiligung.consultations.models import Phase
from beteiligung.moderation.models import Review
from beteiligung.web.params import parse_ids, parse_int
from tests.conftest import login, make_user, post_form
from tests.http.test_meeting_polls import _make_poll
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql
from tests.survey_factories import make_survey

INT64_PLUS_1 = str(2**63)
VARIANTS: dict[str, str] = {
    "nul": "a\x00b",
    "control": "\x1b[2J",
    "superscript-digit": "²",
    "arabic-digits": "١٢",
    "int64+1": INT64_PLUS_1,
    "40-digits": "9" * 40,
    "5000-digits": "9" * 5000,
}
# Path parameters: numbers too large for the database, or a control character in a text part.
PATH_INTS = [INT64_PLUS_1, "9" * 40, "9" * 5000, str(-(2**63) - 1)]
PATH_TEXTS = ["%00", "x%00y", "%1b", "%7f"]

# Every query parameter the app reads.
QUERY_NAMES = [
    "q", "status", "thema", "seite", "seed", "sortierung", "kommentare", "verfahren", "grund", "seit",
    "next", "token", "vorhaben", "video", "ansicht", "fragen", "aktion", "praesentation",
]  # fmt: skip
# Every form field whose value the routes read outside a declared form (numbers, ids, switches),
# and the usual form fields.
FORM_NAMES = [
    "parent", "option", "ids", "agenda_item", "rule", "block", "decision", "verfahren", "grund", "value",
    "next", "view", "kommentare", "aktion", "ort", "richtung", "abmelden", "lang", "state", "text",
    "body", "title", "summary", "email", "password", "position", "submission_key", "token", "name",
    "reason", "note", "display_name", "place", "topic", "speaking_seconds", "scale_min", "scale_max",
]  # fmt: skip
# Streams would stay open; their refusals (path, control characters) are still checked.
STREAMS = re.compile(r"^/live/")
# POSTs that would end the admin's session for the rest of the sweep.
SKIP_POST = {"/abmelden", "/konto/sitzungen-beenden", "/konto/loeschen"}


@dataclass
class World:
    ids: dict[str, str]
    survey: Any
    meeting: int
    poll: int
    options: list[int]


async def _world(client: Any, settings: Any) -> World:
    consultation = await make_consultation(settings, moderation_mode="pre")
    await make_user(settings, email="admin@example.org", role="admin")
    await make_user(settings)
    await login(client)
    r = await post_form(
        client,
        "/vorhaben/isek-2030/vorschlaege/neu",
        {
            "title": "Mehr Fahrradbügel am Bahnhof",
            "body": "Am Bahnhof Lüneburg fehlen sichere Abstellplätze für Fahrräder.",
            "topic": "wirtschaft",
            "place": "Bahnhof",
        },
    )
    assert r.status_code == 303, r.text
    proposal = r.headers["location"].rsplit("/", 1)[1]
    r = await post_form(client, "/vorhaben/isek-2030/kommentare", {"body": "Ein Kommentar zur Sache, bitte."})
    assert r.status_code == 303, r.text
    comment = int(r.headers["location"].rsplit("-", 1)[1])
    await post_form(client, "/abmelden", {})
    await login(client, "admin@example.org")
    meeting = await make_meeting(settings, state="live", consultation_id=consultation)
    poll, options = await _make_poll(settings, meeting)
    survey = await make_survey(settings, consultation)

    async def lookup(db: Any) -> tuple[int, int]:
        review = await db.scalar(select(Review.id).where(Review.comment_id == comment))
        phase = await db.scalar(select(Phase.id).where(Phase.consultation_id == consultation))
        return int(review), int(phase)

    review, phase = await run_sql(settings, lookup)
    ids = {
        "{key}": "impressum",
        "{slug}": "isek-2030",
        "{phase_id}": str(phase),
        "{proposal_id}": proposal,
        "{comment_id}": str(comment),
        "{teil}": "kommentare",
        "{survey_id}": str(survey.id),
        "{number}": "1",
        "{section_id}": str(survey.sections[0]),
        "{answer_id}": "999999",
        "{entscheidung}": "freigeben",
        "{review_id}": str(review),
        "{meeting_id}": str(meeting),
        "{poll_id}": str(poll),
        "{speaker_id}": "999999",
    }
    return World(ids=ids, survey=survey, meeting=meeting, poll=poll, options=options)


def _routes(app: Any, method: str) -> list[str]:
    out = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if path.startswith("/static"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if method in handler.http_methods:
                out.add(path)
    return sorted(out)


def _fill(path: str, world: World, **override: str) -> str:
    url = path
    for name, value in {**world.ids, **override}.items():
        url = url.replace(name, value)
    if "/umfragen/" in path and "{question_id}" in path:
        url = url.replace("{question_id}", str(world.survey.q["single"]))
    return url.replace("{question_id}", "999999")


def assert_page(r: Any, what: Any) -> None:
    """No 5xx; a refusal is a whole page in the visitor's language, without a trace."""
    assert r.status_code < 500, (what, r.status_code)
    assert "Traceback" not in r.text and 'File "' not in r.text, what
    if r.status_code >= 400:
        assert re.search(r'<html lang="(de|en)"', r.text), (what, r.status_code, r.text[:300])


async def test_every_route_refuses_malformed_input_with_a_page(app, client, settings):
    world = await _world(client, settings)
    sent = 0
    for path in _routes(app, "GET"):
        # Path parameters: numbers beyond BIGINT are not found, control characters are refused.
        for name in re.findall(r"\{\w+\}", path):
            if name in {"{phase_id}", "{proposal_id}", "{comment_id}", "{survey_id}", "{number}",
                        "{section_id}", "{answer_id}", "{review_id}", "{meeting_id}", "{poll_id}",
                        "{speaker_id}", "{question_id}"}:  # fmt: skip
                for value in PATH_INTS:
                    r = await client.get(_fill(path, world, **{name: value}))
                    assert r.status_code == 404, (path, name, value[:30], r.status_code)
                    assert_page(r, (path, name))
            else:
                for value in PATH_TEXTS:
                    r = await client.get(_fill(path, world, **{name: value}))
                    assert r.status_code in (400, 404), (path, name, value, r.status_code)
                    assert_page(r, (path, name))
            sent += 1
        # Query parameters: every name the app reads at once, with each variant.
        for label, value in VARIANTS.items():
            refused = label in ("nul", "control")
            if STREAMS.match(path) and not refused:
                continue
            size = 8 if len(value) > 1000 else len(QUERY_NAMES)  # URLs stay below httpx's limit
            for start in range(0, len(QUERY_NAMES), size):
                query = "&".join(f"{n}={quote(value)}" for n in QUERY_NAMES[start : start + size])
                r = await client.get(f"{_fill(path, world)}?{query}")
                assert_page(r, (path, label))
                if refused:
                    assert r.status_code == 400, (path, label, r.status_code)
                sent += 1
    survey_fields = [f"q{q}" for q in world.survey.q.values()] + [
        f"q{world.survey.q['ranking']}-rang-{o}" for o in world.survey.o.values()
    ]
    for path in _routes(app, "POST"):
        if path in SKIP_POST:
            continue
        for label, value in VARIANTS.items():
            data = dict.fromkeys(FORM_NAMES + survey_fields, value)
            r = await post_form(client, _fill(path, world), data)
            assert_page(r, (path, label))
            sent += 1
        for value in PATH_INTS[:2]:
            for name in re.findall(r"\{\w+_id\}", path):
                r = await post_form(client, _fill(path, world, **{name: value}), {})
                assert r.status_code == 404, (path, name, value, r.status_code)
                assert_page(r, (path, name))
    assert (await client.get("/verwaltung")).status_code == 200, "the sweep ran signed in"
    assert sent > 500


# -- the cases the probe found -------------------------------------------------------------------


async def test_named_cases_are_refused(client, settings):
    world = await _world(client, settings)
    slug, meeting, poll = "isek-2030", world.meeting, world.poll

    # NUL in q, thema, a slug: 400.
    for url in ["/vorhaben?q=a%00b", "/vorhaben?thema=%00", f"/vorhaben/{slug}%00",
                f"/verwaltung/vorhaben/{slug}%00", f"/vorhaben/{slug}/vorschlaege?thema=x%00"]:  # fmt: skip
        r = await client.get(url)
        assert r.status_code == 400 and "Ungültige Anfrage" in r.text, (url, r.status_code)

    # Ids above 64 bit in paths: 404, GET and POST.
    for value in PATH_INTS:
        for url in [f"/vorschlaege/{value}", f"/veranstaltungen/{value}", f"/umfragen/{value}",
                    f"/kommentare/{value}/melden"]:  # fmt: skip
            r = await client.get(url)
            assert r.status_code == 404 and "Seite nicht gefunden" in r.text, (url[:40], r.status_code)
        r = await post_form(client, f"/moderation/{value}/uebernehmen", {})
        assert r.status_code == 404, r.status_code

    # Odd static paths: 404 (or 400 for a NUL), never a file system error.
    for url, status in [("/static/css/app.css%00.js", 400), ("/static/css/app.css/%2e%2e", 404),
                        ("/static/css/app.css/x", 404), ("/static/" + "a" * 300, 404)]:  # fmt: skip
        r = await client.get(url)
        assert r.status_code == status, (url, r.status_code)
        assert "Traceback" not in r.text
    assert (await client.get("/static/css/app.css")).status_code == 200

    for bad in ["²", "١٢", INT64_PLUS_1, "9" * 40, "9" * 5000]:
        # A comment's parent that is no number: not found (as for "abc").
        r = await post_form(
            client, f"/vorhaben/{slug}/kommentare", {"body": "Ein Kommentar dazu.", "parent": bad}
        )
        assert r.status_code == 404, (bad[:20], r.status_code)
        # A poll option that is no number: refused as tampered (as for "abc").
        r = await post_form(client, f"/veranstaltungen/{meeting}/abstimmungen/{poll}/stimme", {"option": bad})
        assert r.status_code == 400, (bad[:20], r.status_code)
        # A bulk decision over ids that are no numbers: nothing selected.
        r = await post_form(client, "/moderation/sammelaktion", {"ids": bad, "decision": "approve"})
        assert r.status_code == 422 and "mindestens einen Beitrag" in r.text, (bad[:20], r.status_code)
        # Filters and the random order's seed ignore what is no number, as they ignore "abc".
        for url in [f"/moderation?verfahren={quote(bad)}",
                    f"/vorhaben/{slug}/vorschlaege?sortierung=zufall&seed={quote(bad)}"]:  # fmt: skip
            r = await client.get(url)
            plain = await client.get(url.split("=" + quote(bad))[0] + "=abc")
            assert r.status_code == plain.status_code == 200, (url[:60], r.status_code)


def test_parse_int_takes_ascii_digits_within_bigint_only():
    assert parse_int("42") == 42 and parse_int(" 7 ") == 7 and parse_int(str(2**63 - 1)) == 2**63 - 1
    for bad in [
        "",
        "²",
        "١٢",
        "+1",
        "-1",
        "1_000",
        "1.0",
        "0x10",
        str(2**63),
        "9" * 5000,
        "a\x00",
        None,
        True,
    ]:
        assert parse_int(bad) is None, bad
    assert parse_int("0") == 0 and parse_int("0", minimum=1) is None
    assert parse_int("5", maximum=4) is None
    assert parse_ids(["3", "²", "1", "3", "0", INT64_PLUS_1]) == [1, 3]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_error_page_follows_the_language(settings):
    """The guard runs after the language is chosen: an English visitor gets English."""
    from beteiligung.app import create_app
    from tests.conftest import reset_database

    await reset_database(settings)
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as c:
        c.cookies.set("lang", "en")
        r = await c.get("/vorhaben?q=%00")
        assert r.status_code == 400 and '<html lang="en"' in r.text
