"""Security headers, cookies, CSRF on every unsafe route, and the route × role table (SEC-07/08/11)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import login, make_user, post_form

ROLES = ["anonymous", "resident", "moderator", "staff", "admin"]

# Every GET route and what each role gets. A route missing here fails test_every_route_is_in_the_table.
GET_POLICY: dict[str, dict[str, int]] = {
    "/": dict.fromkeys(ROLES, 200),
    "/registrieren": dict.fromkeys(ROLES, 200),
    "/registrieren/gesendet": dict.fromkeys(ROLES, 200),
    "/email-bestaetigen": dict.fromkeys(ROLES, 400),  # no token
    "/anmelden": dict.fromkeys(ROLES, 200),
    "/passwort-vergessen": dict.fromkeys(ROLES, 200),
    "/passwort-vergessen/gesendet": dict.fromkeys(ROLES, 200),
    "/passwort-neu": dict.fromkeys(ROLES, 400),
    "/konto": {"anonymous": 303, "resident": 200, "moderator": 200, "staff": 200, "admin": 200},
    "/konto/daten": {"anonymous": 303, "resident": 200, "moderator": 200, "staff": 200, "admin": 200},
    "/konto/daten/export.json": {
        "anonymous": 303,
        "resident": 200,
        "moderator": 200,
        "staff": 200,
        "admin": 200,
    },
    "/konto/loeschen": {"anonymous": 303, "resident": 200, "moderator": 200, "staff": 200, "admin": 200},
    "/verwaltung": {"anonymous": 303, "resident": 403, "moderator": 200, "staff": 200, "admin": 200},
    "/konto/mitteilungen": {"anonymous": 303, "resident": 200, "moderator": 200, "staff": 200, "admin": 200},
    "/konto/beitraege": {"anonymous": 303, "resident": 200, "moderator": 200, "staff": 200, "admin": 200},
    **{
        path: {"anonymous": 303, "resident": 403, "moderator": 403, "staff": 403, "admin": 200}
        for path in [
            "/verwaltung/moderation/einstellungen",
            "/verwaltung/moderation/protokoll",
            "/verwaltung/moderation/protokoll.csv",
        ]
    },
    "/verwaltung/texte": {"anonymous": 303, "resident": 403, "moderator": 403, "staff": 403, "admin": 200},
    "/verwaltung/texte/{key}": {
        "anonymous": 303,
        "resident": 403,
        "moderator": 403,
        "staff": 403,
        "admin": 200,
    },
    "/verwaltung/rollen": {"anonymous": 303, "resident": 403, "moderator": 403, "staff": 403, "admin": 200},
    "/verwaltung/postausgang": {
        "anonymous": 303,
        "resident": 403,
        "moderator": 403,
        "staff": 403,
        "admin": 200,
    },
    # Staff pages for consultations (unknown slug and phase: 404 once past the guard).
    **{
        path: {"anonymous": 303, "resident": 403, "moderator": 403, "staff": status, "admin": status}
        for path, status in [
            ("/verwaltung/vorhaben", 200),
            ("/verwaltung/vorhaben/neu", 200),
            ("/verwaltung/vorhaben/{slug}", 404),
            ("/verwaltung/vorhaben/{slug}/phasen/neu", 404),
            ("/verwaltung/vorhaben/{slug}/phasen/{phase_id}", 404),
        ]
    },
    # Public participation pages (the samples below are unknown ids: 404 for everyone allowed in).
    "/vorhaben": dict.fromkeys(ROLES, 200),
    "/suche": dict.fromkeys(ROLES, 200),  # the search page (issue 20)
    "/vorhaben/{slug}": dict.fromkeys(ROLES, 404),
    "/vorhaben/{slug}/vorschlaege": dict.fromkeys(ROLES, 404),
    "/vorhaben/{slug}/vorschlaege/neu": dict.fromkeys(ROLES, 404),
    "/vorschlaege/{proposal_id}": dict.fromkeys(ROLES, 404),
    "/vorschlaege/{proposal_id}/bearbeiten": dict.fromkeys(ROLES, 404),  # the author's edit page
    "/live/vorhaben/{slug}": dict.fromkeys(ROLES, 404),
    "/vorhaben/{slug}/live/{teil}": dict.fromkeys(ROLES, 404),
    "/vorschlaege/{proposal_id}/live/{teil}": dict.fromkeys(ROLES, 404),
    "/kommentare/{comment_id}/live/bewertung": dict.fromkeys(ROLES, 404),
    "/live/vorschlaege/{proposal_id}": dict.fromkeys(ROLES, 404),
    # Flags: unknown contributions are 404 for everyone.
    "/kommentare/{comment_id}/melden": dict.fromkeys(ROLES, 404),
    "/vorschlaege/{proposal_id}/melden": dict.fromkeys(ROLES, 404),
    # The moderation queue, its live part and stream: moderators (and admins) only.
    "/moderation": {"anonymous": 303, "resident": 403, "moderator": 200, "staff": 403, "admin": 200},
    "/moderation/live/warteschlange": {
        "anonymous": 303,
        "resident": 403,
        "moderator": 303,
        "staff": 403,
        "admin": 303,
    },
    "/live/moderation": {"anonymous": 303, "resident": 403, "moderator": 200, "staff": 403, "admin": 200},
    **{
        path: {"anonymous": 303, "resident": 403, "moderator": 403, "staff": 404, "admin": 404}
        for path in ["/vorhaben/{slug}/vorschlaege/erfassen", "/vorschlaege/{proposal_id}/antwort"]
    },
    # Surveys (docs/surveys.md): unknown ids are 404 for everyone allowed in.
    **{
        path: dict.fromkeys(ROLES, 404)
        for path in [
            "/umfragen/{survey_id}",
            "/umfragen/{survey_id}/teil/{number}",
            "/umfragen/{survey_id}/zusammenfassung",
            "/umfragen/{survey_id}/ergebnisse",
        ]
    },
    **{
        path: {"anonymous": 303, "resident": 403, "moderator": 403, "staff": status, "admin": status}
        for path, status in [
            ("/verwaltung/umfragen", 200),
            ("/verwaltung/umfragen/neu", 200),
            ("/verwaltung/umfragen/{survey_id}", 404),
            ("/verwaltung/umfragen/{survey_id}/teile/neu", 404),
            ("/verwaltung/umfragen/{survey_id}/teile/{section_id}", 404),
            ("/verwaltung/umfragen/{survey_id}/teile/{section_id}/fragen/neu", 404),
            ("/verwaltung/umfragen/{survey_id}/fragen/{question_id}", 404),
            ("/verwaltung/umfragen/{survey_id}/export.csv", 404),
            ("/verwaltung/umfragen/{survey_id}/export.json", 404),
        ]
    },
    # Meetings (docs/meetings.md): public rooms; unknown ids are 404 for everyone.
    "/veranstaltungen": dict.fromkeys(ROLES, 200),
    **{
        path: dict.fromkeys(ROLES, 404)
        for path in [
            "/veranstaltungen/{meeting_id}",
            "/veranstaltungen/{meeting_id}/live/{teil}",
            "/veranstaltungen/{meeting_id}/video",
            "/veranstaltungen/{meeting_id}/kalender.ics",
            "/live/veranstaltungen/{meeting_id}",
            "/veranstaltungen/{meeting_id}/praesentation",
            "/veranstaltungen/{meeting_id}/praesentation/live/{teil}",
            "/veranstaltungen/{meeting_id}/protokoll",
            "/veranstaltungen/{meeting_id}/protokoll.md",
            # Meetings: presenter view and minutes (public paths) go here.
        ]
    },
    **{
        path: {"anonymous": 303, "resident": 403, "moderator": 403, "staff": status, "admin": status}
        for path, status in [
            ("/verwaltung/veranstaltungen", 200),
            ("/verwaltung/veranstaltungen/neu", 200),
            ("/verwaltung/veranstaltungen/{meeting_id}", 404),
            ("/verwaltung/veranstaltungen/{meeting_id}/protokoll", 404),
            # Meetings: staff-only GET paths go here.
        ]
    },
    "/verwaltung/veranstaltungen/einbettung": {
        "anonymous": 303,
        "resident": 403,
        "moderator": 403,
        "staff": 403,
        "admin": 200,
    },
    "/healthz": dict.fromkeys(ROLES, 200),
    "/readyz": dict.fromkeys(ROLES, 200),
    **{
        f"/{k}": dict.fromkeys(ROLES, 200)
        for k in [
            "impressum",
            "datenschutz",
            "barrierefreiheit",
            "netiquette",
            "nutzungsbedingungen",
            "leichte-sprache",
        ]
    },
}
# Streams that open (200) for some roles: the in-process client would wait on them forever, so
# the table checks only their refusals (tests/integration/test_moderation_processes.py opens one).
OPEN_STREAMS = {"/live/moderation"}

SAMPLE = {
    "{key}": "impressum",
    "{slug}": "gibt-es-nicht",
    "{phase_id}": "999999",
    "{proposal_id}": "999999",
    "{comment_id}": "999999",
    "{teil}": "kommentare",
    "{survey_id}": "999999",
    "{number}": "1",
    "{section_id}": "999999",
    "{question_id}": "999999",
    "{answer_id}": "999999",
    "{entscheidung}": "freigeben",
    "{review_id}": "999999",
    "{meeting_id}": "999999",
    "{poll_id}": "999999",
    "{speaker_id}": "999999",
}


def _routes(app: Any, method: str) -> set[str]:
    out = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # "{key:str}" → "{key}"
        if path.startswith("/static"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if method in handler.http_methods:
                out.add(path)
    return out


async def test_every_route_is_in_the_table(app):
    assert _routes(app, "GET") == set(GET_POLICY), "declare new GET routes in GET_POLICY"


@pytest.mark.parametrize("role", ROLES)
async def test_route_role_table(client, settings, role):
    if role != "anonymous":
        await make_user(settings, email=f"{role}@example.org", role=role)
        await login(client, f"{role}@example.org")
    for path, expected in GET_POLICY.items():
        if path in OPEN_STREAMS and expected[role] == 200:
            continue  # an endless stream; its 200 is tested with real processes
        url = path
        for k, v in SAMPLE.items():
            url = url.replace(k, v)
        r = await client.get(url)
        assert r.status_code == expected[role], (role, url, r.status_code)
        if r.status_code == 403:
            assert "keine Berechtigung" in r.text
        if r.status_code == 303 and expected["anonymous"] == 303 and role == "anonymous":
            assert r.headers["location"].startswith("/anmelden?next=")


async def test_every_unsafe_route_needs_csrf(app, client, settings):
    await make_user(settings, role="admin", email="admin@example.org")
    await login(client, "admin@example.org")
    for path in sorted(_routes(app, "POST")):
        url = path
        for k, v in SAMPLE.items():
            url = url.replace(k, v)
        r = await client.post(url, data={"x": "1"})
        assert r.status_code == 403, (url, r.status_code)
        r = await client.post(url, data={"x": "1", "_csrf_token": "forged-token"})
        assert r.status_code == 403, (url, r.status_code)


async def test_no_state_change_on_get(app):
    verbs = re.compile(r"(submit|logout|delete|language|resend|end)", re.I)
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" in handler.http_methods and not handler.handler_name.endswith("_page"):
                assert not verbs.search(handler.handler_name), (route.path, handler.handler_name)


async def test_security_headers_on_pages_and_errors(client, settings):
    for url in ["/", "/anmelden", "/gibt-es-nicht", "/healthz"]:
        r = await client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert r.headers["cross-origin-opener-policy"] == "same-origin"
        assert r.headers["x-frame-options"] == "DENY"
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
        assert "server" not in r.headers or not re.search(r"\d", r.headers["server"])
        assert "strict-transport-security" not in r.headers, "HSTS only in production"
    assert (await client.get("/konto")).headers["cache-control"] == "no-store"


async def test_errors_are_german_pages_without_trace(client, settings):
    r = await client.get("/gibt-es-nicht")
    assert r.status_code == 404 and "Seite nicht gefunden" in r.text and "<h1" in r.text
    r = await client.get("/verwaltung/texte/unbekannt")
    assert r.status_code == 303
    r = await client.delete("/")
    assert r.status_code in (403, 405) and "Traceback" not in r.text
    r = await client.get("/healthz", headers={"accept": "application/json"})
    assert r.json() == {"status": "ok"}


async def test_production_cookies_are_host_prefixed_and_secure(app, settings):
    from dataclasses import replace

    from beteiligung.app import create_app

    secure_app = create_app(replace(settings, secure_cookies=True))
    async with AsyncTestClient(app=secure_app, base_url="https://testserver.local") as c:
        c.follow_redirects = False
        await make_user(settings)
        r = await c.get("/anmelden")
        csrf = [v for v in r.headers.get_list("set-cookie") if v.startswith("__Host-csrf=")]
        assert csrf and "Secure" in csrf[0] and "HttpOnly" in csrf[0] and "Domain=" not in csrf[0]
        r = await c.post(
            "/anmelden",
            data={
                "email": "resident@example.org",
                "password": "Lüneburg-Demo-2030",
                "_csrf_token": c.cookies["__Host-csrf"],
            },
        )
        assert r.status_code == 303
        session = [v for v in r.headers.get_list("set-cookie") if v.startswith("__Host-session=")]
        assert session, r.headers.get_list("set-cookie")
        cookie = session[0]
        assert "Secure" in cookie and "HttpOnly" in cookie and re.search("SameSite=Lax", cookie, re.I)
        assert "Path=/" in cookie and "Domain=" not in cookie


async def test_login_csrf_failure_keeps_email_but_never_password(client, settings):
    await client.get("/")
    r = await client.post("/anmelden", data={"email": "a@b.de", "password": "geheimes passwort 1"})
    assert r.status_code == 403 and 'value="a@b.de"' in r.text and "geheimes passwort" not in r.text


async def test_logs_hold_no_email_or_ip(client, settings, capsys, mailbox):
    await post_form(
        client,
        "/registrieren",
        {
            "display_name": "Logtest",
            "email": "logprobe@example.org",
            "password": "ein sehr langes passwort",
            "accept_terms": "on",
        },
    )
    await post_form(
        client, "/anmelden", {"email": "logprobe@example.org", "password": "falsch falsch falsch"}
    )
    out = capsys.readouterr()
    logs = out.out + out.err
    assert "logprobe@example.org" not in logs
    assert "ein sehr langes passwort" not in logs
    assert not re.search(r"\b127\.0\.0\.1\b|testclient", logs.replace("127.0.0.1:", ""))
