"""Account flows over HTTP, full page and htmx fragment, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import re

from tests.conftest import DEMO_PASSWORD, Mailbox, login, make_user, post_form

NEW = {
    "display_name": "Lüne-Fan",
    "email": "Neu.Person@Example.org",
    "password": "ein langer Satz als Passwort",
    "accept_terms": "on",
}


async def test_register_verify_login_logout(client, mailbox: Mailbox, settings):
    r = await post_form(client, "/registrieren", NEW)
    assert r.status_code == 303 and r.headers["location"] == "/registrieren/gesendet"
    link = mailbox.last_link("neu.person@example.org", "/email-bestaetigen")
    token = link.split("token=")[1]

    # Not verified yet: login is refused with a clear message (and a fresh link is mailed).
    r = await post_form(client, "/anmelden", {"email": NEW["email"], "password": NEW["password"]})
    assert r.status_code == 403 and "bestätigen Sie zuerst" in r.text

    r = await client.get(f"/email-bestaetigen?token={token}")
    assert r.status_code == 400  # the re-sent mail replaced that token
    token = mailbox.last_link("neu.person@example.org", "/email-bestaetigen").split("token=")[1]
    r = await client.get(f"/email-bestaetigen?token={token}")
    assert r.status_code == 200 and "E-Mail-Adresse bestätigen" in r.text
    r = await post_form(client, "/email-bestaetigen", {"token": token})
    assert r.status_code == 303
    r = await post_form(client, "/email-bestaetigen", {"token": token})
    assert r.status_code == 400, "a token works once"

    r = await post_form(client, "/anmelden", {"email": "neu.person@EXAMPLE.org", "password": NEW["password"]})
    assert r.status_code == 303 and r.headers["location"] == "/konto"
    r = await client.get("/konto")
    assert r.status_code == 200 and "Lüne-Fan" in r.text
    r = await post_form(client, "/abmelden", {})
    assert r.status_code == 303
    assert (await client.get("/konto")).status_code == 303


async def test_register_with_taken_email_looks_the_same(client, mailbox: Mailbox, settings):
    await make_user(settings, email="taken@example.org")
    r = await post_form(client, "/registrieren", {**NEW, "email": "TAKEN@example.org"})
    assert r.status_code == 303 and r.headers["location"] == "/registrieren/gesendet"
    [mail] = mailbox.to("taken@example.org")
    assert "bereits ein Konto" in Mailbox.text(mail)


async def test_register_errors_keep_values_full_page_and_fragment(client, settings):
    bad = {"display_name": "Heide", "email": "kein-at-zeichen", "password": "kurz"}
    r = await post_form(client, "/registrieren", bad)
    assert r.status_code == 422
    assert "<title>Fehler:" in r.text and "Bitte korrigieren Sie 3 Angaben" in r.text
    assert 'value="Heide"' in r.text and 'value="kein-at-zeichen"' in r.text
    assert 'value="kurz"' not in r.text, "passwords are never echoed"
    assert (
        'aria-invalid="true"' in r.text
        and 'aria-describedby="register-email-hint register-email-error"' in r.text
    )
    assert "mindestens 12 Zeichen" in r.text and "gültige E-Mail-Adresse" in r.text

    r = await post_form(client, "/registrieren", bad, htmx=True)
    assert r.status_code == 422 and r.text.lstrip().startswith("<form")
    assert "<html" not in r.text and 'value="Heide"' in r.text
    assert r.headers["vary"] == "HX-Request"


async def test_bad_input_never_500(client, settings):
    cases = [
        {},
        {
            "display_name": "x" * 10_000,
            "email": "a" * 300 + "@b.de",
            "password": "p" * 500,
            "accept_terms": "on",
        },
        {"display_name": ["a", "b"], "email": "1", "password": "2", "accept_terms": "vielleicht"},
        {"display_name": "<script>alert(1)</script>", "email": "x@y.de", "password": "\x00" * 20},
    ]
    for data in cases:
        r = await post_form(client, "/registrieren", data)
        assert r.status_code == 422, (data, r.status_code)
        assert "Traceback" not in r.text
    r = await post_form(client, "/registrieren", {"display_name": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    # JSON to a form route: a clear 422, not a crash
    r = await client.post(
        "/anmelden", json={"email": 1}, headers={"x-csrftoken": client.cookies.get("csrftoken")}
    )
    assert r.status_code == 422


async def test_oversized_body_refused(client, settings):
    r = await post_form(client, "/registrieren", {"display_name": "x" * (settings.max_body_bytes + 10)})
    assert r.status_code == 413
    assert "zu groß" in r.text


async def test_missing_or_wrong_csrf_keeps_values(client, settings):
    await client.get("/anmelden")
    r = await client.post("/anmelden", data={"email": "heide@example.org", "password": "irgendwas"})
    assert r.status_code == 403
    assert 'value="heide@example.org"' in r.text and "senden Sie das Formular erneut" in r.text
    r = await client.post("/registrieren", data={"display_name": "Heide", "_csrf_token": "falsch"})
    assert r.status_code == 403 and 'value="Heide"' in r.text


async def test_login_errors_are_identical_for_unknown_and_wrong(client, settings):
    await make_user(settings, email="known@example.org")
    r1 = await post_form(
        client, "/anmelden", {"email": "known@example.org", "password": "falsches Passwort 1"}
    )
    r2 = await post_form(
        client, "/anmelden", {"email": "unknown@example.org", "password": "falsches Passwort 1"}
    )
    assert r1.status_code == r2.status_code == 422
    strip = lambda t: re.sub(r'value="[^"]*"|name="_csrf_token"[^>]*|"x-csrftoken": "[^"]*"', "", t)  # noqa: E731
    assert strip(r1.text).replace("known@", "X@") == strip(r2.text).replace("unknown@", "X@")
    assert "E-Mail-Adresse oder Passwort ist falsch" in r1.text
    assert "set-cookie" not in {k.lower() for k in r1.headers if "session" in r1.headers.get(k, "")}


async def test_login_rate_limited_per_account(client, settings):
    await make_user(settings, email="target@example.org")
    for _ in range(5):
        r = await post_form(
            client, "/anmelden", {"email": "target@example.org", "password": "falsches Passwort"}
        )
        assert r.status_code == 422
    r = await post_form(client, "/anmelden", {"email": "target@example.org", "password": DEMO_PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Zu viele Versuche" in r.text and 'value="target@example.org"' in r.text


async def test_session_rotates_at_login_and_dies_at_logout(client, settings):
    await make_user(settings)
    await login(client)
    first = client.cookies.get("session")
    assert first
    await login(client)  # logging in again while logged in: a new id again
    second = client.cookies.get("session")
    assert second and second != first
    client.cookies.set("session", first, domain="testserver.local")
    assert (await client.get("/konto")).status_code == 303, "the old id is gone from the store"
    client.cookies.set("session", second, domain="testserver.local")
    assert (await client.get("/konto")).status_code == 200
    await post_form(client, "/abmelden", {})
    client.cookies.set("session", second, domain="testserver.local")
    assert (await client.get("/konto")).status_code == 303


async def test_visitor_gets_no_session_cookie(client, settings):
    r = await client.get("/")
    assert "session" not in client.cookies
    assert all("session" not in v for v in r.headers.get_list("set-cookie"))


async def test_password_reset_flow_ends_other_sessions(client, mailbox: Mailbox, settings):
    await make_user(settings, email="reset@example.org")
    await login(client, "reset@example.org")
    other_session = client.cookies.get("session")  # a second device, logged in
    client.cookies.clear()

    r = await post_form(client, "/passwort-vergessen", {"email": "reset@example.org"})
    assert r.status_code == 303
    r2 = await post_form(client, "/passwort-vergessen", {"email": "nobody@example.org"})
    assert r2.status_code == 303 and r2.headers["location"] == r.headers["location"]
    token = mailbox.last_link("reset@example.org", "/passwort-neu").split("token=")[1]
    assert (await client.get(f"/passwort-neu?token={token}")).status_code == 200
    r = await post_form(client, "/passwort-neu", {"token": token, "password": "ganz neues Passwort 2026"})
    assert r.status_code == 303
    r = await post_form(client, "/passwort-neu", {"token": token, "password": "noch ein Passwort 2026"})
    assert r.status_code == 400 and "ungültig oder abgelaufen" in r.text
    assert any("Passwort wurde geändert" in m["Subject"] for m in mailbox.to("reset@example.org"))

    client.cookies.set("session", other_session, domain="testserver.local")
    assert (await client.get("/konto")).status_code == 303, "other sessions end after a reset"
    client.cookies.clear()
    await login(client, "reset@example.org", "ganz neues Passwort 2026")
    assert (await client.get("/konto")).status_code == 200


async def test_change_password_requires_current_and_keeps_this_session(client, settings, mailbox):
    await make_user(settings)
    await login(client)
    r = await post_form(
        client, "/konto/passwort", {"current_password": "falsch", "new_password": "neues Passwort 12345"}
    )
    assert r.status_code == 422 and "aktuelle Passwort ist nicht richtig" in r.text
    r = await post_form(
        client,
        "/konto/passwort",
        {"current_password": DEMO_PASSWORD, "new_password": "passwort1234"},
        htmx=True,
    )
    assert r.status_code == 422 and "zu verbreitet" in r.text and "<html" not in r.text
    r = await post_form(
        client, "/konto/passwort", {"current_password": DEMO_PASSWORD, "new_password": "neues Passwort 12345"}
    )
    assert r.status_code == 303
    assert (await client.get("/konto")).status_code == 200


async def test_change_email_confirms_new_address(client, settings, mailbox: Mailbox):
    await make_user(settings, email="alt@example.org")
    await login(client, "alt@example.org")
    r = await post_form(
        client, "/konto/email", {"new_email": "Neu@Example.org", "current_password": DEMO_PASSWORD}
    )
    assert r.status_code == 303
    token = mailbox.last_link("neu@example.org", "/email-bestaetigen").split("token=")[1]
    r = await post_form(client, "/email-bestaetigen", {"token": token})
    assert r.status_code == 303
    assert "neu@example.org" in (await client.get("/konto")).text
    assert mailbox.to("alt@example.org"), "the old address is told"


async def test_htmx_success_redirects_by_header(client, settings):
    await make_user(settings)
    r = await post_form(
        client, "/anmelden", {"email": "resident@example.org", "password": DEMO_PASSWORD}, htmx=True
    )
    assert r.status_code == 200 and r.headers["hx-redirect"] == "/konto"


async def test_next_parameter_is_same_site_only(client, settings):
    await make_user(settings)
    for evil in ["https://evil.example", "//evil.example", "/\\evil.example"]:
        r = await post_form(
            client, "/anmelden", {"email": "resident@example.org", "password": DEMO_PASSWORD, "next": evil}
        )
        assert r.headers["location"] == "/konto", evil
    r = await post_form(
        client,
        "/anmelden",
        {"email": "resident@example.org", "password": DEMO_PASSWORD, "next": "/konto/daten"},
    )
    assert r.headers["location"] == "/konto/daten"


async def test_language_switch_without_js(client, settings):
    r = await post_form(client, "/sprache", {"lang": "en", "next": "/anmelden"})
    assert r.status_code == 303 and r.headers["location"] == "/anmelden"
    page = (await client.get("/anmelden")).text
    assert '<html lang="en">' in page
    r = await post_form(client, "/sprache", {"lang": "xx", "next": "https://evil.example"})
    assert r.headers["location"] == "/"
    assert '<html lang="de">' in (await client.get("/")).text


async def test_forms_carry_a_real_csrf_field(client, settings):
    """Without JavaScript the token travels in the form: it must be markup, not escaped text."""
    for url in ["/anmelden", "/registrieren", "/passwort-vergessen"]:
        page = (await client.get(url)).text
        assert '<input type="hidden" name="_csrf_token"' in page, url
        assert "&lt;input" not in page, url
