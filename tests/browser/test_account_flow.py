"""Register → confirm e-mail → log in → log out, with and without JavaScript; the htmx error state
(A11Y-06/07/08/09) and the Content-Security-Policy (no violations in the console)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.browser.conftest import assert_accessible, wait_for_htmx

pytestmark = pytest.mark.browser

PASSWORD = "Abendrot über der Ilmenau 47"


def _new_address() -> str:
    return f"browser-{uuid.uuid4().hex[:10]}@example.org"


def _wait_for_link(smtp_server: tuple[Any, int], address: str, path: str) -> str:
    box, _ = smtp_server
    deadline = time.monotonic() + 15
    while True:
        try:
            return str(box.last_link(address, path))
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _settled(page: Any, js: bool) -> None:
    page.wait_for_load_state("load")
    if js:
        wait_for_htmx(page)


def run_account_flow(page: Any, base: str, smtp_server: tuple[Any, int], *, js: bool) -> None:
    label = "js" if js else "no-js"
    address = _new_address()

    # 1. Register
    page.goto(base + "/registrieren")
    assert_accessible(page, f"{label} register")
    page.locator("#register-display_name").fill("Testperson " + address[8:14])
    page.locator("#register-email").fill(address)
    page.locator("#register-password").fill(PASSWORD)
    page.locator("#register-accept_terms").check()
    page.locator("#register button[type=submit]").click()
    page.wait_for_url("**/registrieren/gesendet")
    _settled(page, js)
    assert page.locator("h1").inner_text() == "Bitte prüfen Sie Ihr E-Mail-Postfach"
    assert_accessible(page, f"{label} register sent")

    # 2. The verification mail reaches the SMTP server; open its link and confirm
    link = _wait_for_link(smtp_server, address, "/email-bestaetigen")
    assert link.startswith(base + "/email-bestaetigen?token=")
    page.goto(link)
    assert_accessible(page, f"{label} confirm e-mail")
    page.get_by_role("button", name="E-Mail-Adresse bestätigen").click()
    page.wait_for_url("**/anmelden")
    _settled(page, js)
    assert "Ihre E-Mail-Adresse ist bestätigt" in page.locator("main").inner_text()
    assert_accessible(page, f"{label} confirmed, login page")

    # 3. Log in
    page.locator("#login-email").fill(address)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login button[type=submit]").click()
    page.wait_for_url("**/konto")
    _settled(page, js)
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    assert nav.get_by_role("link", name="Mein Konto").is_visible()
    assert page.locator("h1").inner_text() == "Mein Konto"
    assert address in page.locator("main").inner_text()
    assert_accessible(page, f"{label} account")

    # 4. Log out
    nav.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(base + "/")
    _settled(page, js)
    assert "Sie sind abgemeldet." in page.locator("main").inner_text()
    assert nav.get_by_role("link", name="Mein Konto").count() == 0
    assert nav.get_by_role("link", name="Anmelden").is_visible()
    assert_accessible(page, f"{label} logged out")
    # The session is really gone
    page.goto(base + "/konto")
    assert "/anmelden" in page.url or page.locator("h1").inner_text() != "Mein Konto"


def test_account_flow_with_javascript(browser: Any, live_server: str, smtp_server: tuple[Any, int]) -> None:
    context = browser.new_context(bypass_csp=True)
    try:
        run_account_flow(context.new_page(), live_server, smtp_server, js=True)
    finally:
        context.close()


def test_account_flow_without_javascript(
    browser: Any, live_server: str, smtp_server: tuple[Any, int]
) -> None:
    context = browser.new_context(bypass_csp=True, java_script_enabled=False)
    # axe needs JavaScript: run it in a second, JS-enabled page on the same (server-rendered) HTML.
    try:
        page = context.new_page()
        _run_no_js_flow(browser, page, live_server, smtp_server)
    finally:
        context.close()


def _run_no_js_flow(browser: Any, page: Any, base: str, smtp_server: tuple[Any, int]) -> None:
    """Same flow as with JS, but axe runs on a JS-enabled copy of each page's HTML (the page itself
    cannot run scripts)."""
    checker_context = browser.new_context(bypass_csp=True)
    checker = checker_context.new_page()

    def check(label: str) -> None:
        html = page.content()
        checker.route(
            "**/*",
            lambda route: (
                route.fulfill(body=html, content_type="text/html")
                if route.request.resource_type == "document"
                else route.continue_()
            ),
        )
        checker.goto(page.url)
        checker.unroute("**/*")
        # Scripts of the page must not change what we check: the server-rendered HTML is the state.
        assert_accessible(checker, f"no-js {label}")

    try:
        address = _new_address()
        page.goto(base + "/registrieren")
        check("register")
        page.locator("#register-display_name").fill("Ohne Skript " + address[8:14])
        page.locator("#register-email").fill(address)
        page.locator("#register-password").fill(PASSWORD)
        page.locator("#register-accept_terms").check()
        page.locator("#register button[type=submit]").click()
        page.wait_for_url("**/registrieren/gesendet")
        assert page.locator("h1").inner_text() == "Bitte prüfen Sie Ihr E-Mail-Postfach"
        check("register sent")

        link = _wait_for_link(smtp_server, address, "/email-bestaetigen")
        page.goto(link)
        check("confirm e-mail")
        page.get_by_role("button", name="E-Mail-Adresse bestätigen").click()
        page.wait_for_url("**/anmelden")
        assert "Ihre E-Mail-Adresse ist bestätigt" in page.locator("main").inner_text()
        check("confirmed, login page")

        page.locator("#login-email").fill(address)
        page.locator("#login-password").fill(PASSWORD)
        page.locator("#login button[type=submit]").click()
        page.wait_for_url("**/konto")
        nav = page.get_by_role("navigation", name="Hauptnavigation")
        assert nav.get_by_role("link", name="Mein Konto").is_visible()
        check("account")

        nav.get_by_role("button", name="Abmelden").click()
        page.wait_for_url(base + "/")
        assert "Sie sind abgemeldet." in page.locator("main").inner_text()
        assert nav.get_by_role("link", name="Mein Konto").count() == 0
        check("logged out")
    finally:
        checker_context.close()


def test_register_errors_with_htmx(browser: Any, live_server: str) -> None:
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(live_server + "/registrieren")
        wait_for_htmx(page)
        assert page.locator("#sr-status[role=status]").count() == 1

        # Empty form, sent by htmx: the 422 fragment is swapped in, not a new page.
        with page.expect_response(lambda r: r.request.method == "POST") as response_info:
            page.locator("#register button[type=submit]").click()
        response = response_info.value
        assert response.status == 422
        assert response.request.headers.get("hx-request") == "true", "the form was not sent by htmx"
        summary = page.locator("#register-errors")
        summary.wait_for(state="visible")
        wait_for_htmx(page)
        _assert_error_state(page)
        assert page.evaluate("document.activeElement.closest('#register-errors') !== null"), (
            "focus is not in the error summary: "
            + page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        )
        assert page.locator("#sr-status[role=status]").count() == 1
        assert_accessible(page, "register error state (htmx)")

        # What the person typed survives the next failed submit (3.3.7).
        page.locator("#register-display_name").fill("Heidi Holunder")
        page.locator("#register button[type=submit]").click()
        page.wait_for_function(
            "document.querySelector('#register-display_name') && "
            "!document.querySelector('#register-display_name').hasAttribute('aria-invalid')"
        )
        wait_for_htmx(page)
        assert page.locator("#register-display_name").input_value() == "Heidi Holunder"
        assert page.evaluate("document.activeElement.closest('#register-errors') !== null")
        assert page.locator("#register-email").get_attribute("aria-invalid") == "true"
        assert page.locator("#sr-status[role=status]").count() == 1
        assert_accessible(page, "register error state after second submit (htmx)")
    finally:
        context.close()


def _assert_error_state(page: Any) -> None:
    summary = page.locator("#register-errors")
    assert summary.is_visible()
    assert "Bitte korrigieren Sie" in summary.locator("h2").inner_text()
    invalid = page.locator("#register [aria-invalid=true]")
    assert invalid.count() >= 3, "display name, e-mail, password and terms are required"
    for i in range(invalid.count()):
        field = invalid.nth(i)
        described = (field.get_attribute("aria-describedby") or "").split()
        errors = [d for d in described if d.endswith("-error")]
        assert errors, f"{field.get_attribute('id')} has no error in aria-describedby"
        for error_id in errors:
            error = page.locator(f"#{error_id}")
            assert error.count() == 1 and error.is_visible(), f"#{error_id} is missing or hidden"
            assert error.inner_text().strip()
        # The summary links to each invalid field
        assert summary.locator(f"a[href='#{field.get_attribute('id')}']").count() == 1


def test_register_errors_without_javascript(browser: Any, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/registrieren")
        page.locator("#register-display_name").fill("Heidi Holunder")
        with page.expect_navigation() as nav_info:
            page.locator("#register button[type=submit]").click()
        response = nav_info.value
        assert response is not None and response.status == 422
        assert page.title().startswith("Fehler:"), page.title()
        _assert_error_state(page)
        assert page.locator("#register-display_name").input_value() == "Heidi Holunder"
        assert page.locator("#sr-status[role=status]").count() == 1
        assert page.locator("h1").count() == 1
    finally:
        context.close()


def test_no_csp_violations_in_js_flow(browser: Any, live_server: str, smtp_server: tuple[Any, int]) -> None:
    """The normal context (CSP enforced): the whole JS flow and an htmx error swap log no CSP violation."""
    context = browser.new_context()
    messages: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        page.goto(live_server + "/registrieren")
        wait_for_htmx(page)
        assert page.evaluate("typeof window.htmx") == "object", "htmx did not load under the CSP"
        page.locator("#register button[type=submit]").click()
        page.locator("#register-errors").wait_for(state="visible")
        wait_for_htmx(page)
        assert page.evaluate("document.activeElement.closest('#register-errors') !== null")
        _run_flow_without_axe(page, live_server, smtp_server)
        csp = [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m]
        assert csp == [], "\n".join(csp)
        errors = [m for m in messages if m.startswith("pageerror")]
        assert errors == [], "\n".join(errors)
    finally:
        context.close()


def _run_flow_without_axe(page: Any, base: str, smtp_server: tuple[Any, int]) -> None:
    address = _new_address()
    page.goto(base + "/registrieren")
    page.locator("#register-display_name").fill("CSP " + address[8:14])
    page.locator("#register-email").fill(address)
    page.locator("#register-password").fill(PASSWORD)
    page.locator("#register-accept_terms").check()
    page.locator("#register button[type=submit]").click()
    page.wait_for_url("**/registrieren/gesendet")
    page.goto(_wait_for_link(smtp_server, address, "/email-bestaetigen"))
    page.get_by_role("button", name="E-Mail-Adresse bestätigen").click()
    page.wait_for_url("**/anmelden")
    page.locator("#login-email").fill(address)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login button[type=submit]").click()
    page.wait_for_url("**/konto")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("button", name="Abmelden").click()
    page.wait_for_url(base + "/")
    page.wait_for_load_state("load")
