"""Logs, session cookies and the login limit (issue 21, items 3, 11 and 13).

* A database error logs no bound values: no session id (it signs you in), no e-mail address,
  no search text.
* A session cookie that is not an id as the app generates it (a NUL byte, another store key) is
  no session: it never reaches the store, and it cannot name the user → sessions index.
* The login limit per address counts failed attempts only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.conftest import DEMO_PASSWORD, login, make_user, post_form

EMAIL = "leakprobe@example.org"
SEARCH = "Geheimsuchwort"


def break_statements_mentioning(app: Any, markers: set[str]) -> None:
    """Make every statement whose bound values contain a marker fail in the database itself (a
    syntax error), on the app's engine and on the session store's engine."""
    engines = [app.state["alchemy_config"].get_engine(), app.stores.get("sessions")._config.get_engine()]

    def before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> Any:
        if any(marker in repr(parameters) for marker in markers):
            return statement + " THIS IS NOT SQL", parameters
        return statement, parameters

    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", before, retval=True)


async def test_database_errors_log_no_session_id_email_or_search_text(app, client, settings, capsys):
    await make_user(settings, email=EMAIL)
    markers = {EMAIL, SEARCH}
    break_statements_mentioning(app, markers)

    r = await client.get("/vorhaben", params={"q": SEARCH})
    assert r.status_code == 500  # the search statement failed in the database
    r = await post_form(client, "/anmelden", {"email": EMAIL, "password": "falsch falsch falsch"})
    assert r.status_code == 500  # the account lookup failed

    markers.discard(EMAIL)
    await login(client, EMAIL)
    session_id = client.cookies["session"]
    markers.add(session_id)
    r = await client.get("/konto")
    assert r.status_code == 500  # loading the session failed

    logs = "".join(capsys.readouterr())
    assert logs.count("request.failed") == 3, logs
    assert "THIS IS NOT SQL" in logs  # the errors themselves are logged ...
    assert session_id not in logs  # ... without the values bound to them
    assert EMAIL not in logs
    assert SEARCH not in logs


async def test_nul_byte_in_session_cookie_is_no_session(client, settings, capsys):
    await make_user(settings, email=EMAIL)
    await login(client, EMAIL)
    session_id = client.cookies["session"]
    client.cookies.clear()
    for cookie in (f"session={session_id}%00", "session=%00", f"session={session_id[:-1]}%01"):
        r = await client.get("/", headers={"cookie": cookie})
        assert r.status_code == 200, r.text
        r = await client.get("/konto", headers={"cookie": cookie})
        assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")  # no session
    # The real id still works: the malformed ones were not used to end it.
    r = await client.get("/konto", headers={"cookie": f"session={session_id}"})
    assert r.status_code == 200
    logs = "".join(capsys.readouterr())
    assert "request.failed" not in logs and session_id not in logs


async def test_a_cookie_cannot_name_another_users_session_index(client, settings):
    victim_id = await make_user(settings, email="victim@example.org", display_name="Opfer")
    await make_user(settings, email="attacker@example.org", display_name="Angreifer")
    # One test client (its app runs on one event loop), three browsers: their cookie jars.
    jars: dict[str, dict[str, str]] = {}

    def switch_to(name: str) -> None:
        client.cookies.clear()
        client.cookies.update(jars.get(name, {}))

    for device in ("phone", "laptop"):
        switch_to(device)
        await login(client, "victim@example.org")
        jars[device] = dict(client.cookies)

    # The attacker names the victim's index as session id, visits, and signs in (which deletes
    # the entry the old id named).
    switch_to("attacker")
    client.cookies.set("session", f"user-sessions:{victim_id}")
    r = await client.get("/konto")
    assert r.status_code == 303  # the index is no session
    r = await post_form(client, "/anmelden", {"email": "attacker@example.org", "password": DEMO_PASSWORD})
    assert r.status_code == 303
    assert "Angreifer" in (await client.get("/konto")).text

    # The victim's sessions and their index are intact: "sign out everywhere" on the laptop
    # still deletes the phone's stored session (DS-09: deleted, not only made invalid).
    switch_to("phone")
    assert (await client.get("/konto")).status_code == 200
    phone_session = jars["phone"]["session"]
    assert await stored_session_exists(settings, phone_session)
    switch_to("laptop")
    r = await post_form(client, "/konto/sitzungen-beenden", {})
    assert r.status_code in (200, 303)
    assert not await stored_session_exists(settings, phone_session), "the victim's index was lost"
    switch_to("phone")
    assert (await client.get("/konto")).status_code == 303


async def stored_session_exists(settings: Any, session_id: str) -> bool:
    from sqlalchemy import select

    from beteiligung.accounts.models import StoredSession
    from beteiligung.app import make_alchemy_config

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            found = await db.scalar(select(StoredSession.id).where(StoredSession.key == session_id))
            return found is not None
    finally:
        await config.get_engine().dispose()


async def test_successful_logins_do_not_count_against_the_address(client, settings):
    """A town hall's NAT: many people sign in from one address; only failures count."""
    from beteiligung.infra import LOGIN_PER_IP

    await make_user(settings, email=EMAIL)
    for _ in range(LOGIN_PER_IP.count + 1):
        r = await post_form(client, "/anmelden", {"email": EMAIL, "password": DEMO_PASSWORD})
        assert r.status_code == 303, r.text
        await post_form(client, "/abmelden", {})
    # Failed attempts do count (other accounts each time: the per-account limit stays away).
    for i in range(LOGIN_PER_IP.count):
        r = await post_form(client, "/anmelden", {"email": f"nobody{i}@example.org", "password": "falsch"})
        assert r.status_code == 422, r.text
    r = await post_form(client, "/anmelden", {"email": EMAIL, "password": DEMO_PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
