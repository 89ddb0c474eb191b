"""Surveys through HTTP: answering page by page (without JS and with htmx), save and continue,
summary and sending, conditions, bad input, anonymous answering, results and quick polls."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from beteiligung.consultations.phases import PhaseKind
from beteiligung.surveys.models import SurveyAnswer, SurveyResponse
from tests.conftest import login, make_user, post_form
from tests.participation_factories import make_consultation, run_sql
from tests.survey_factories import Built, make_poll, make_survey

HX = {"HX-Request": "true"}
KINDS = (PhaseKind.INFORMATION, PhaseKind.SURVEY, PhaseKind.EVALUATION)


async def _setup(client: Any, settings: Any, **survey: Any) -> Built:
    cid = await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    built = await make_survey(settings, cid, **survey)
    await make_user(settings, email="heide@example.org", display_name="Heide aus Kaltenmoor")
    await login(client, "heide@example.org")
    return built


def _first(s: Built, **extra: Any) -> dict[str, Any]:
    return {
        f"q{s.q['single']}": str(s.o["Online"]),
        f"q{s.q['multiple']}": [str(s.o["Anträge stellen"]), str(s.o["Termine buchen"])],
        f"q{s.q['yes_no']}": str(s.o["Ja"]),
        "aktion": "weiter",
    } | extra


async def _count(settings: Any, model: Any, *where: Any) -> int:
    return await run_sql(
        settings, lambda db: db.scalar(select(func.count()).select_from(model).where(*where))
    )  # type: ignore[no-any-return]


async def test_resident_answers_every_kind_without_js(client, settings):
    s = await _setup(client, settings)
    page = await client.get("/vorhaben/digital")
    assert page.status_code == 200 and "Digitales Rathaus und Beteiligungsservice" in page.text
    start = await client.get(f"/umfragen/{s.id}")
    assert start.status_code == 200 and "Umfrage beginnen" in start.text and "2 Teile" in start.text
    r = await client.get(f"/umfragen/{s.id}/teil/1")
    assert r.status_code == 200 and "Teil 1 von 2" in r.text and "<fieldset" in r.text and "<legend" in r.text

    # Required answers missing: 422, the answers given so far kept, errors beside the questions.
    r = await post_form(
        client,
        f"/umfragen/{s.id}/teil/1",
        {f"q{s.q['multiple']}": str(s.o["Termine buchen"]), "aktion": "weiter"},
    )
    assert r.status_code == 422 and "<html" in r.text
    assert r.text.count("Bitte beantworten Sie diese Frage.") == 4  # summary and beside the questions
    assert re.search(rf'value="{s.o["Termine buchen"]}" checked', r.text)
    # Too many choices: 422 with the message
    too_many = [str(s.o[k]) for k in ("Anträge stellen", "Termine buchen", "Gebühren bezahlen")]
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s, **{f"q{s.q['multiple']}": too_many}))
    assert r.status_code == 422 and "höchstens 2 Antworten" in r.text
    # A tampered option id (of another question): 400, nothing stored
    r = await post_form(
        client, f"/umfragen/{s.id}/teil/1", _first(s, **{f"q{s.q['single']}": str(s.o["Ja"])})
    )
    assert r.status_code == 400 and "nicht anbietet" in r.text
    assert await _count(settings, SurveyResponse) == 0

    r = await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s))
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/teil/2"
    # "Ja" opened the follow-up questions; a scale value out of range comes back with 422.
    r = await post_form(
        client,
        f"/umfragen/{s.id}/teil/2",
        {f"q{s.q['scale']}": "7", f"q{s.q['long_text']}": "Zu viele Klicks.", "aktion": "weiter"},
    )
    assert r.status_code == 422 and "von 1 bis 5" in r.text and "Zu viele Klicks." in r.text
    r = await post_form(
        client,
        f"/umfragen/{s.id}/teil/2",
        {f"q{s.q['scale']}": "4", f"q{s.q['long_text']}": "Zu viele Klicks.", "aktion": "weiter"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/teil/3"
    ranks = {
        f"q{s.q['ranking']}-rang-{s.o[k]}": v
        for k, v in (
            ("Online-Umfragen", "2"),
            ("Diskussionsforen", "3"),
            ("Virtuelle Bürgerversammlungen", "1"),
        )
    }
    r = await post_form(
        client,
        f"/umfragen/{s.id}/teil/3",
        {**ranks, f"q{s.q['ranking']}-rang-{s.o['Diskussionsforen']}": "2", "aktion": "weiter"},
    )
    assert r.status_code == 422 and "genau einmal" in r.text
    r = await post_form(
        client,
        f"/umfragen/{s.id}/teil/3",
        {**ranks, f"q{s.q['short_text']}": "Kaltenmoor", "aktion": "weiter"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/zusammenfassung"

    summary = await client.get(f"/umfragen/{s.id}/zusammenfassung")
    assert summary.status_code == 200
    for text in ("Online", "Anträge stellen, Termine buchen", "Zu viele Klicks.", "Kaltenmoor", "Absenden"):
        assert text in summary.text
    assert summary.text.index("Virtuelle Bürgerversammlungen") < summary.text.index("Diskussionsforen")
    r = await post_form(client, f"/umfragen/{s.id}/absenden", {})
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}"
    done = await client.get(f"/umfragen/{s.id}")
    assert "Vielen Dank! Ihre Antworten sind eingegangen." in done.text and "Teilnahme bestätigt" in done.text
    # Sent: read-only
    r = await post_form(client, f"/umfragen/{s.id}/absenden", {})
    assert r.status_code == 409 and "bereits teilgenommen" in r.text
    r = await client.get(f"/umfragen/{s.id}/teil/1")
    assert r.status_code == 409
    assert await _count(settings, SurveyResponse, SurveyResponse.submitted_at.is_not(None)) == 1
    assert (
        await _count(settings, SurveyAnswer) == 2 + 1 + 1 + 1 + 1 + 3 + 1
    )  # multiple has two rows, ranking three

    results = await client.get(f"/umfragen/{s.id}/ergebnisse")
    assert results.status_code == 200 and '<div class="survey-chart" role="img"' in results.text
    assert "<table" in results.text and "100\u202f%" in results.text and "Mittelwert: 4" in results.text
    assert "Zu viele Klicks." in results.text


async def test_save_continue_back_and_conditions(client, settings):
    s = await _setup(client, settings)
    # Save for later without the required answers
    r = await post_form(
        client,
        f"/umfragen/{s.id}/teil/1",
        {f"q{s.q['single']}": str(s.o["Im Bürgeramt"]), "aktion": "speichern"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/teil/1"
    r = await client.get(f"/umfragen/{s.id}/teil/1")
    assert "zwischengespeichert" in r.text and re.search(rf'value="{s.o["Im Bürgeramt"]}" checked', r.text)
    assert "Umfrage fortsetzen" in (await client.get(f"/umfragen/{s.id}")).text
    # "Nein": the section with the follow-up questions is skipped, forwards and backwards.
    r = await post_form(
        client, f"/umfragen/{s.id}/teil/1", _first(s, **{f"q{s.q['yes_no']}": str(s.o["Nein"])})
    )
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/teil/3"
    r = await client.get(f"/umfragen/{s.id}/teil/2")
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/teil/3"
    r = await post_form(client, f"/umfragen/{s.id}/teil/3", {"aktion": "zurueck"})
    assert r.status_code == 303 and r.headers["location"] == f"/umfragen/{s.id}/teil/1"
    assert "Teil 2 von 2" in (await client.get(f"/umfragen/{s.id}/teil/3")).text
    # Missing required answers at sending (the scale after switching back to "Ja"): 422 on the summary
    await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s))
    r = await post_form(client, f"/umfragen/{s.id}/absenden", {})
    assert (
        r.status_code == 422
        and "Wie zufrieden waren Sie?" in r.text
        and f"/umfragen/{s.id}/teil/2#frage-" in r.text
    )
    # Back to "Nein": answers to hidden questions go when sending
    await post_form(client, f"/umfragen/{s.id}/teil/2", {f"q{s.q['scale']}": "2", "aktion": "speichern"})
    await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s, **{f"q{s.q['yes_no']}": str(s.o["Nein"])}))
    r = await post_form(client, f"/umfragen/{s.id}/absenden", {})
    assert r.status_code == 303
    assert await _count(settings, SurveyAnswer, SurveyAnswer.question_id == s.q["scale"]) == 0


async def test_htmx_gets_the_form_block_or_a_redirect(client, settings):
    s = await _setup(client, settings)
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", {"aktion": "weiter"}, htmx=True)
    assert (
        r.status_code == 422
        and "<html" not in r.text
        and 'id="survey-form"' in r.text
        and "survey-errors" in r.text
    )
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s), htmx=True)
    assert r.status_code == 200 and r.headers["hx-redirect"] == f"/umfragen/{s.id}/teil/2"


async def test_rules_for_visitors_staff_and_closed_surveys(client, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    s = await make_survey(settings, cid)
    draft = await make_survey(settings, cid, title="Entwurf", publish=False)
    # A visitor is sent to the login; the draft is 404
    r = await client.get(f"/umfragen/{s.id}")
    assert r.status_code == 200 and "Anmelden, um an der Umfrage teilzunehmen" in r.text
    assert (await client.get(f"/umfragen/{s.id}/teil/1")).status_code == 303
    assert (await client.get(f"/umfragen/{draft.id}")).status_code == 404
    # Staff do not answer
    await make_user(settings, email="staff@example.org", role="staff")
    await login(client, "staff@example.org")
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s))
    assert r.status_code == 403 and "Einwohner:innen" in r.text
    assert (await client.get(f"/umfragen/{draft.id}")).status_code == 200  # staff preview
    # Closed by staff: 409 for residents
    r = await post_form(client, f"/verwaltung/umfragen/{s.id}/beenden", {})
    assert r.status_code == 303
    await post_form(client, "/abmelden", {})
    await make_user(settings, email="heide@example.org")
    await login(client, "heide@example.org")
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s))
    assert r.status_code == 409 and "beendet" in r.text


async def test_anonymous_answering_one_response_per_session(client, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    s = await make_survey(settings, cid, allow_anonymous=True)
    start = await client.get(f"/umfragen/{s.id}")
    assert "ohne Anmeldung" in start.text and "session" not in client.cookies
    for path in (1, 3):
        data = _first(s) if path == 1 else {"aktion": "weiter"}
        if path == 1:
            r = await post_form(
                client, f"/umfragen/{s.id}/teil/1", _first(s, **{f"q{s.q['yes_no']}": str(s.o["Nein"])})
            )
        else:
            r = await post_form(client, f"/umfragen/{s.id}/teil/3", data)
        assert r.status_code == 303, r.text
    assert "session" in client.cookies
    r = await post_form(client, f"/umfragen/{s.id}/absenden", {})
    assert r.status_code == 303
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s))
    assert r.status_code == 409
    # Another browser session (cookies gone) is another respondent
    client.cookies.clear()
    r = await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s))
    assert r.status_code == 303
    rows = await run_sql(
        settings, lambda db: db.execute(select(SurveyResponse.user_id, SurveyResponse.anon_key))
    )
    rows = rows.all()
    assert len(rows) == 2 and all(u is None and k and re.fullmatch(r"[0-9a-f]{48}", k) for u, k in rows)


async def test_free_texts_wait_for_review_and_exports_have_no_personal_data(client, settings):
    s = await _setup(client, settings, free_text_reviewed=True)
    await post_form(client, f"/umfragen/{s.id}/teil/1", _first(s))
    await post_form(
        client,
        f"/umfragen/{s.id}/teil/2",
        {f"q{s.q['scale']}": "5", f"q{s.q['long_text']}": "Ruft mich an: 04131 123456", "aktion": "weiter"},
    )
    await post_form(
        client, f"/umfragen/{s.id}/teil/3", {f"q{s.q['short_text']}": "Altstadt", "aktion": "weiter"}
    )
    assert (await post_form(client, f"/umfragen/{s.id}/absenden", {})).status_code == 303
    r = await client.get(f"/umfragen/{s.id}/ergebnisse")
    assert "04131" not in r.text and "Altstadt" not in r.text and "wird noch geprüft" in r.text

    await post_form(client, "/abmelden", {})
    await make_user(settings, email="staff@example.org", role="staff")
    await login(client, "staff@example.org")
    admin = await client.get(f"/verwaltung/umfragen/{s.id}")
    assert admin.status_code == 200 and "04131 123456" in admin.text and "Altstadt" in admin.text
    ids = re.findall(rf"/verwaltung/umfragen/{s.id}/antworten/(\d+)/freigeben", admin.text)
    assert len(ids) == 2
    texts = dict(
        re.findall(
            r'survey-free-text">([^<]+)</p>\s*<form method="post" action="[^"]+/antworten/(\d+)/freigeben',
            admin.text,
        )
    )
    altstadt = next(i for t, i in texts.items() if t == "Altstadt")
    phone = next(i for t, i in texts.items() if "04131" in t)
    assert (
        await post_form(client, f"/verwaltung/umfragen/{s.id}/antworten/{altstadt}/freigeben", {})
    ).status_code == 303
    assert (
        await post_form(client, f"/verwaltung/umfragen/{s.id}/antworten/{phone}/ablehnen", {})
    ).status_code == 303
    assert (
        await post_form(client, f"/verwaltung/umfragen/{s.id}/antworten/999999/freigeben", {})
    ).status_code == 404
    await post_form(client, "/abmelden", {})
    r = await client.get(f"/umfragen/{s.id}/ergebnisse")
    assert "Altstadt" in r.text and "04131" not in r.text

    await login(client, "staff@example.org")
    csv = await client.get(f"/verwaltung/umfragen/{s.id}/export.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert "Altstadt" in csv.text and "04131" not in csv.text and "Heide" not in csv.text
    assert csv.text.splitlines()[1].startswith("1;")
    js = await client.get(f"/verwaltung/umfragen/{s.id}/export.json")
    data = js.json()
    assert data["responses"][0]["number"] == 1 and data["survey"]["responses"] == 1
    flat = js.text
    for secret in ("heide@example.org", "Heide", "user_id", "anon_key", "response_id"):
        assert secret not in flat
    ranking = next(r for r in data["results"] if r["number"] == 6)
    assert ranking["counts"][0]["average_place"] is None or "average_place" in ranking["counts"][0]


async def test_quick_poll_on_the_consultation_page(client, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    poll = await make_poll(settings, cid)
    await make_user(settings, email="heide@example.org")
    r = await client.get("/vorhaben/digital")
    assert "Schnellumfrage" in r.text and "Anmelden, um abzustimmen" in r.text
    await login(client, "heide@example.org")
    r = await client.get("/vorhaben/digital")
    assert f'action="/umfragen/{poll.id}/abstimmen"' in r.text
    q = poll.q["single"]
    r = await post_form(client, f"/umfragen/{poll.id}/abstimmen", {"next": "/vorhaben/digital"}, htmx=True)
    assert r.status_code == 422 and "Bitte beantworten Sie diese Frage." in r.text and "<html" not in r.text
    r = await post_form(client, f"/umfragen/{poll.id}/abstimmen", {f"q{q}": "999999"}, htmx=True)
    assert r.status_code == 400
    r = await post_form(
        client,
        f"/umfragen/{poll.id}/abstimmen",
        {f"q{q}": str(poll.o["Schulen"]), "next": "/vorhaben/digital"},
        htmx=True,
    )
    assert r.status_code == 200 and "<html" not in r.text and f'id="umfrage-{poll.id}"' in r.text
    assert "ist gezählt" in r.text and "100\u202f%" in r.text and "bt:announce" in r.headers["hx-trigger"]
    # Once only: a second vote without JS is refused before it is counted
    r = await post_form(
        client,
        f"/umfragen/{poll.id}/abstimmen",
        {f"q{q}": str(poll.o["Gewerbe"]), "next": "/vorhaben/digital"},
    )
    assert r.status_code == 409
    assert await _count(settings, SurveyResponse) == 1
    page = await client.get("/vorhaben/digital")
    assert "1 Stimme insgesamt." in page.text and f'action="/umfragen/{poll.id}/abstimmen"' not in page.text
    # The poll's own page without JS
    assert (await client.get(f"/umfragen/{poll.id}")).status_code == 200


async def test_staff_build_publish_close_and_export(client, settings):
    await make_consultation(settings, slug="digital", kinds=KINDS, current=1)
    await make_user(settings, email="staff@example.org", role="staff")
    await login(client, "staff@example.org")
    assert (await client.get("/verwaltung/umfragen")).status_code == 200
    assert "Digital" in (await client.get("/verwaltung/umfragen/neu")).text or True
    r = await post_form(
        client,
        "/verwaltung/umfragen/neu",
        {"consultation": "digital", "kind": "survey", "title": "X", "results_visibility": "after"},
    )
    assert r.status_code == 422 and "mindestens 3 Zeichen" in r.text and 'value="X"' in r.text
    r = await post_form(
        client,
        "/verwaltung/umfragen/neu",
        {
            "consultation": "digital",
            "kind": "survey",
            "title": "Digitales Rathaus",
            "results_visibility": "after",
            "allow_anonymous": "on",
        },
    )
    assert r.status_code == 303
    base = r.headers["location"]
    sid = int(base.rsplit("/", 1)[1])
    page = await client.get(base)
    section = int(re.search(r'id="teil-(\d+)"', page.text).group(1))
    # Publishing needs questions
    await post_form(client, f"{base}/veroeffentlichen", {})
    assert "mindestens eine Frage" in (await client.get(base)).text
    r = await post_form(
        client,
        f"{base}/teile/{section}/fragen/neu",
        {"kind": "single", "text": "Wie oft nutzen Sie Online-Dienste?", "options": "Nur eine"},
    )
    assert r.status_code == 422 and "mindestens zwei" in r.text
    r = await post_form(
        client,
        f"{base}/teile/{section}/fragen/neu",
        {"kind": "yes_no", "text": "Kennen Sie das Bürgerportal?", "required": "on"},
    )
    assert r.status_code == 303
    r = await post_form(client, f"{base}/teile/neu", {"title": "Mehr dazu"})
    assert r.status_code == 303
    page = (await client.get(base)).text
    second = int(re.findall(r'id="teil-(\d+)"', page)[1])
    form = await client.get(f"{base}/teile/{second}/fragen/neu")
    cond = re.search(r'<option value="(\d+)"[^>]*>„Kennen Sie das Bürgerportal\?“: Ja</option>', form.text)
    assert cond, form.text
    r = await post_form(
        client,
        f"{base}/teile/{second}/fragen/neu",
        {"kind": "scale", "text": "Wie gut finden Sie es?", "scale_max": "11", "condition": cond.group(1)},
    )
    assert r.status_code == 422 and "von 2 bis 10" in r.text
    r = await post_form(
        client,
        f"{base}/teile/{second}/fragen/neu",
        {"kind": "scale", "text": "Wie gut finden Sie es?", "scale_max": "5", "condition": cond.group(1)},
    )
    assert r.status_code == 303
    r = await post_form(
        client, f"{base}/teile/{second}/fragen/neu", {"kind": "short_text", "text": "Was fehlt?"}
    )
    assert r.status_code == 303
    page = (await client.get(base)).text
    assert "Nur wenn „Kennen Sie das Bürgerportal?“ = Ja" in page
    questions = re.findall(r'<li id="frage-(\d+)">', page)
    # Moving the second section up would put the condition after the question: refused
    await post_form(client, f"{base}/teile/{second}/verschieben", {"richtung": "hoch"})
    assert "nicht mehr vorher gefragt" in (await client.get(base)).text
    await post_form(client, f"{base}/fragen/{questions[2]}/verschieben", {"richtung": "hoch"})
    page = (await client.get(base)).text
    assert page.index("Was fehlt?") < page.index("Wie gut finden Sie es?")
    assert (await post_form(client, f"{base}/veroeffentlichen", {})).status_code == 303
    page = (await client.get(base)).text
    assert "Umfrage beenden" in page and "Frage hinzufügen" not in page
    r = await post_form(
        client, f"{base}/teile/{section}/fragen/neu", {"kind": "short_text", "text": "Noch eine Frage?"}
    )
    assert r.status_code == 422 and "nicht mehr umgebaut" in r.text
    assert (await post_form(client, f"{base}/beenden", {})).status_code == 303
    assert "Wieder öffnen" in (await client.get(base)).text
    assert (await client.get(f"{base}/export.csv")).status_code == 200
    assert (await client.get(f"/umfragen/{sid}/ergebnisse")).status_code == 200
    # Another organisation's or an unknown id: 404
    assert (await client.get("/verwaltung/umfragen/999999")).status_code == 404
