"""Proposal forms in a real browser with htmx (issue 20): failed sends replace the error summary
instead of adding one (proposal form, comment form), and the author's edit and withdrawal reach
another resident's open page live, without a reload. axe on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person, arrange, assert_accessible, unique, wait_for_htmx
from tests.participation_factories import make_consultation

pytestmark = pytest.mark.browser

TIMEOUT = 10_000
MARKER = "window.__noReload"


@pytest.fixture
def contexts(browser: Any) -> Iterator[Any]:
    opened: list[Any] = []

    def open_context(person: Person | None = None) -> Any:
        context = browser.new_context(storage_state=person.state if person else None)
        context.set_default_timeout(TIMEOUT)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def _send(page: Any, form: str, status: int) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.locator(f"#{form} button[type=submit]").click()
    assert info.value.status == status
    assert info.value.request.headers.get("hx-request") == "true", "the form was not sent by htmx"
    wait_for_htmx(page)


def _one_summary(page: Any, form: str, text: str) -> None:
    expect(page.locator(".error-summary")).to_have_count(1)
    expect(page.locator(f"#{form}-errors")).to_contain_text(text)
    focused = page.evaluate("(s) => document.activeElement?.closest(s) !== null", f"#{form}-errors")
    assert focused, "focus is not on the error summary"


def test_failed_sends_show_one_error_summary(
    contexts: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    slug = unique("schattenplaetze")
    arrange(make_consultation(live_settings, slug=slug, title="Schatten in der Altstadt"))
    page = contexts(people["a"]).new_page()
    page.goto(f"{live_server}/vorhaben/{slug}/vorschlaege/neu")
    wait_for_htmx(page)
    page.evaluate(f"{MARKER} = 1")

    _send(page, "proposal", 422)  # empty
    _one_summary(page, "proposal", "Bitte korrigieren Sie 2 Angaben")
    # A 5,000-character title (the field's maxlength lifted, as a script or old browser would).
    title = page.locator("#proposal-title")
    assert title.get_attribute("maxlength") == "150"
    title.evaluate("el => el.removeAttribute('maxlength')")
    title.fill("x" * 5000)
    _send(page, "proposal", 422)
    _one_summary(page, "proposal", "Bitte korrigieren Sie 2 Angaben")
    page.locator("#proposal-title").fill("Sonnensegel am Marktplatz")
    _send(page, "proposal", 422)  # the body still missing
    _one_summary(page, "proposal", "Bitte korrigieren Sie 1 Angabe")
    assert page.evaluate(f"{MARKER} === 1"), "the page was reloaded instead of swapped"
    assert_accessible(page, "proposal form after three failed sends")

    page.locator("#proposal-body").fill("Sonnensegel über dem Marktplatz spenden im Sommer Schatten.")
    page.locator("#proposal button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/vorschlaege/\d+$"))
    wait_for_htmx(page)
    expect(page.locator(".error-summary")).to_have_count(0)

    # The comment form on the proposal page: the thread is swapped with its summary.
    for _ in range(2):
        _send(page, "comment-new", 422)
        _one_summary(page, "comment-new", "Bitte korrigieren Sie 1 Angabe")


def test_edit_and_withdrawal_reach_another_page_live(
    contexts: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    slug = unique("trinkbrunnen")
    arrange(make_consultation(live_settings, slug=slug, title="Trinkwasser in der Innenstadt"))
    author = contexts(people["a"]).new_page()
    author.goto(f"{live_server}/vorhaben/{slug}/vorschlaege/neu")
    author.locator("#proposal-title").fill("Wasserspender am Sande")
    author.locator("#proposal-body").fill("Trinkwasser für alle im Sommer, gerade an heißen Markttagen.")
    author.locator("#proposal button[type=submit]").click()
    author.wait_for_url(re.compile(r".*/vorschlaege/\d+$"))
    pid = int(author.url.rsplit("/", 1)[1])

    reader = contexts(people["b"]).new_page()
    reader.goto(f"{live_server}/vorschlaege/{pid}")
    expect(reader.locator("#live[data-live-connected]")).to_have_count(1, timeout=30_000)
    reader.evaluate(f"{MARKER} = 1")

    author.get_by_role("link", name="Vorschlag bearbeiten oder zurückziehen").click()
    author.wait_for_url(f"**/vorschlaege/{pid}/bearbeiten")
    wait_for_htmx(author)
    assert_accessible(author, "edit form")
    author.locator("#proposal-edit-title").fill("Zwei Trinkbrunnen am Sande")
    author.get_by_role("button", name="Änderung speichern").click()
    author.wait_for_url(re.compile(rf".*/vorschlaege/{pid}$"))
    expect(author.locator("main")).to_contain_text("bearbeitet am")

    expect(reader.locator("h1")).to_have_text("Zwei Trinkbrunnen am Sande", timeout=20_000)
    expect(reader.locator(f"#proposal-{pid}-text")).to_contain_text("Frühere Fassungen")
    reader.get_by_text("Frühere Fassungen anzeigen").click()
    expect(reader.locator(".proposal-history")).to_contain_text("Wasserspender am Sande")
    assert_accessible(reader, "proposal page with its history")

    author.goto(f"{live_server}/vorschlaege/{pid}/bearbeiten")
    author.once("dialog", lambda dialog: dialog.accept())
    author.get_by_role("button", name="Vorschlag endgültig zurückziehen").click()
    author.wait_for_url(re.compile(rf".*/vorschlaege/{pid}$"))
    expect(reader.locator(f"#proposal-{pid}-text")).to_contain_text(
        "Von der Person zurückgezogen", timeout=20_000
    )
    expect(reader.locator(f"#proposal-{pid}-supports")).to_contain_text("Zurückgezogen")
    assert reader.evaluate(f"{MARKER} === 1"), "the reader's page was reloaded"
    assert_accessible(reader, "withdrawn proposal")
