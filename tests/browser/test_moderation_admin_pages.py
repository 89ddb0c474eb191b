"""Notifications, moderation settings and the audit log in the browser, with data in them: axe
clean in light and dark, marking read with htmx (the header badge goes), and the settings form's
error state."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import arrange, assert_accessible, wait_for_htmx
from tests.browser.test_a11y_pages import SCHEMES, check_page
from tests.participation_factories import run_sql


async def _arrange(settings: Any, user_id: int) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from beteiligung.db import utcnow
    from beteiligung.moderation.models import LogAction, ModerationLog
    from beteiligung.notifications.models import Notification
    from beteiligung.organisations.models import Organisation

    async def add(db: Any) -> None:
        org = (await db.scalars(select(Organisation))).first()
        old = utcnow() - timedelta(days=1)
        db.add(
            Notification(
                user_id=user_id,
                kind="moderation_approved",
                params={"excerpt": "Mehr Bänke am Sande"},
                link="/vorhaben",
                read_at=old,
                created_at=old,
                updated_at=old,
            )
        )
        db.add(
            Notification(
                user_id=user_id,
                kind="moderation_hidden",
                params={"excerpt": "Alles Quatsch", "rule": 2, "reason_text": "Bitte sachlich bleiben."},
                link="/vorhaben",
            )
        )
        for action, kind, target, rule, reason in (
            (LogAction.HIDE, "proposal", 1, 2, "Beleidigung"),
            (LogAction.BLOCK, "user", user_id, 8, "Zweitkonto"),
            (LogAction.APPROVE, "comment", 1, None, ""),
        ):
            db.add(
                ModerationLog(
                    organisation_id=org.id,
                    moderator_name="Moderation Lüneburg",
                    action=action,
                    target_kind=kind,
                    target_id=target,
                    rule=rule,
                    reason_text=reason,
                )
            )

    await run_sql(settings, add)


@pytest.fixture(scope="module")
def moderation_data(live_settings: Any, people: dict[str, Any]) -> Any:
    arrange(_arrange(live_settings, people["b"].user_id))
    return people["b"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_pages_with_data_are_accessible(
    browser: Any, live_server: str, storage_states: dict[str, Any], moderation_data: Any, scheme: str
) -> None:
    check_page(browser, live_server, "/konto/mitteilungen", scheme, moderation_data.state)
    for path in ("/verwaltung/moderation/protokoll", "/verwaltung/moderation/einstellungen"):
        check_page(browser, live_server, path, scheme, storage_states["admin"])


def test_mark_read_with_htmx_removes_the_badge(browser: Any, live_server: str, moderation_data: Any) -> None:
    context = browser.new_context(storage_state=moderation_data.state)
    try:
        page = context.new_page()
        page.goto(live_server + "/konto/mitteilungen")
        expect(page.locator("#notification-badge a")).to_have_count(1)
        expect(page.locator("#notifications")).to_contain_text("Alles Quatsch")
        wait_for_htmx(page)
        page.get_by_role("button", name="Alle als gelesen markieren").click()
        expect(page.locator("#sr-status")).to_contain_text("als gelesen markiert")
        expect(page.locator("#notification-badge a")).to_have_count(0)
        expect(page.locator("#notifications")).not_to_contain_text("Neu")
        assert page.url.endswith("/konto/mitteilungen")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_settings_errors_are_accessible(
    browser: Any, live_server: str, storage_states: dict[str, Any], scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme, bypass_csp=True, storage_state=storage_states["admin"])
    try:
        page = context.new_page()
        page.goto(live_server + "/verwaltung/moderation/einstellungen")
        wait_for_htmx(page)
        page.locator("#moderation-settings-flag_threshold").fill("0")
        page.get_by_role("button", name="Speichern").click()
        expect(page.locator("#moderation-settings-errors")).to_be_visible()
        expect(page.locator("#moderation-settings-flag_threshold")).to_have_value("0")
        assert_accessible(page, f"{scheme} settings with errors")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_consultation_statistics_are_accessible(
    browser: Any, live_server: str, live_settings: Any, scheme: str
) -> None:
    from tests.browser.conftest import unique
    from tests.participation_factories import make_consultation

    slug = unique("moderation-stats")
    arrange(make_consultation(live_settings, slug=slug, title="Moderation im Verfahren"))
    check_page(browser, live_server, f"/vorhaben/{slug}", scheme)
