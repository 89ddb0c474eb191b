"""Role changes: a plain form POST confirmed with the admin's own password (SEC, issue 21).

Markup that reached a page could make htmx send the page's CSRF header; so a role change needs a
secret no page contains, and a request sent by htmx is refused.
"""

from __future__ import annotations

from sqlalchemy import select

from beteiligung.accounts.models import Membership, Role
from beteiligung.app import make_alchemy_config
from tests.conftest import DEMO_PASSWORD, login, make_user, post_form


async def _role(settings, user_id: int) -> Role:
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            return (await db.scalars(select(Membership.role).where(Membership.user_id == user_id))).one()
    finally:
        await config.get_engine().dispose()


async def test_role_change_needs_the_admins_password_and_a_plain_post(client, settings):
    await make_user(settings, email="admin@example.org", display_name="Admin", role="admin")
    staff_id = await make_user(settings, email="staff@example.org", display_name="Staff", role="staff")
    await login(client, "admin@example.org")
    page = await client.get("/verwaltung/rollen")
    assert page.status_code == 200
    assert 'name="confirm_password"' in page.text
    assert 'hx-post="/verwaltung/rollen"' not in page.text  # a plain form

    wanted = {"email": "staff@example.org", "role": "admin"}
    # What an injected <div hx-post hx-vals> would send: the page's token, no password.
    r = await post_form(client, "/verwaltung/rollen", wanted, htmx=True)
    assert r.status_code == 422 and await _role(settings, staff_id) == Role.STAFF
    r = await post_form(
        client, "/verwaltung/rollen", {**wanted, "confirm_password": DEMO_PASSWORD}, htmx=True
    )
    assert r.status_code == 422 and "nur über das Formular" in r.text
    assert await _role(settings, staff_id) == Role.STAFF

    r = await post_form(client, "/verwaltung/rollen", wanted)
    assert r.status_code == 422 and await _role(settings, staff_id) == Role.STAFF
    r = await post_form(client, "/verwaltung/rollen", {**wanted, "confirm_password": "falsch-falsch-falsch"})
    assert r.status_code == 422 and "Das Passwort stimmt nicht." in r.text
    assert 'value="staff@example.org"' in r.text  # the form comes back filled in
    assert "falsch-falsch-falsch" not in r.text  # never the password
    assert await _role(settings, staff_id) == Role.STAFF

    r = await post_form(client, "/verwaltung/rollen", {**wanted, "confirm_password": DEMO_PASSWORD})
    assert r.status_code == 303
    assert await _role(settings, staff_id) == Role.ADMIN
