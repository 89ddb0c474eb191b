"""The participation core in a real browser: a resident submits a proposal and comments, a second
resident supports it, replies and votes, staff answer it; with JavaScript (htmx swaps, focus, status
region, no reload) and without (plain POSTs and redirects). axe runs on each page and state.
Also: a support sent after the phase ended (409), and markup in contributions shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    Person,
    arrange,
    assert_accessible,
    make_proposal,
    unique,
    wait_for_htmx,
)
from tests.participation_factories import make_consultation

pytestmark = pytest.mark.browser

TIMEOUT = 10_000
MARKER = "window.__noReload"


def _consultation(live_settings: Any, **kwargs: Any) -> tuple[int, str, str]:
    slug = unique("radverkehr")
    title = kwargs.pop("title", "Radverkehr im Hanseviertel")
    cid = arrange(
        make_consultation(
            live_settings,
            slug=slug,
            title=title,
            summary="Wo fehlen im Hanseviertel sichere Wege und Abstellplätze für Fahrräder?",
            **kwargs,
        )
    )
    return cid, slug, title


@pytest.fixture
def contexts(browser: Any) -> Iterator[Any]:
    """Opens contexts on demand and closes them all at the end."""
    opened: list[Any] = []

    def open_context(
        person: Person | None = None, *, js: bool = True, bypass_csp: bool = False, scheme: str = "light"
    ) -> Any:
        context = browser.new_context(
            storage_state=person.state if person else None,
            java_script_enabled=js,
            bypass_csp=bypass_csp,
            color_scheme=scheme,
        )
        context.set_default_timeout(TIMEOUT)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def _watch_errors(page: Any) -> list[str]:
    messages: list[str] = []
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on(
        "console",
        lambda m: (
            messages.append(f"{m.type}: {m.text}")
            if m.type == "error" and "status of 4" not in m.text
            else None
        ),
    )
    return messages


def _mark(page: Any) -> None:
    """A marker that survives htmx swaps but not a page load."""
    page.evaluate(f"{MARKER} = 1")


def _assert_no_reload(page: Any, what: str) -> None:
    assert page.evaluate(f"{MARKER} === 1"), f"{what}: the page was reloaded instead of swapped"


def _focus_within(page: Any, selector: str) -> bool:
    return bool(page.evaluate("(s) => document.activeElement?.closest(s) !== null", selector))


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.outerHTML.slice(0, 160)"))


def _announced(page: Any, text: str) -> None:
    expect(page.locator("#sr-status")).to_contain_text(text)


def _assert_field_errors(page: Any, form_id: str, names: tuple[str, ...]) -> None:
    """Each invalid field is marked, its message sits beside it (aria-describedby) and the
    summary links to it."""
    summary = page.locator(f"#{form_id}-errors")
    expect(summary).to_be_visible()
    for name in names:
        field = page.locator(f"#{form_id}-{name}")
        assert field.get_attribute("aria-invalid") == "true", f"#{form_id}-{name} is not marked invalid"
        described = (field.get_attribute("aria-describedby") or "").split()
        assert f"{form_id}-{name}-error" in described, f"#{form_id}-{name}: error not in aria-describedby"
        error = page.locator(f"#{form_id}-{name}-error")
        expect(error).to_be_visible()
        assert error.inner_text().strip()
        # beside the field: in the same form group
        assert page.locator(f".kern-form-input:has(#{form_id}-{name}) #{form_id}-{name}-error").count() == 1
        assert summary.locator(f"a[href='#{form_id}-{name}']").count() == 1


def _comment_id(page: Any, text: str) -> int:
    article = page.locator("#comments li.comment", has=page.locator(".comment__text", has_text=text)).last
    return int(str(article.get_attribute("id")).rsplit("-", 1)[1])


def _support_count(page: Any, pid: int) -> str:
    return str(page.locator(f"#proposal-{pid}-supports .support__count strong").inner_text())


class HtmlAxe:
    """axe on a page that runs no JavaScript: the same server-rendered HTML, loaded into a
    JS-enabled checker page (as in test_account_flow)."""

    def __init__(self, browser: Any, scheme: str = "light") -> None:
        self.context = browser.new_context(bypass_csp=True, color_scheme=scheme)
        self.page = self.context.new_page()

    def check(self, page: Any, label: str) -> None:
        html = page.content()
        self.page.route(
            "**/*",
            lambda route: (
                route.fulfill(body=html, content_type="text/html")
                if route.request.resource_type == "document"
                else route.continue_()
            ),
        )
        self.page.goto(page.url)
        self.page.unroute("**/*")
        assert_accessible(self.page, f"no-js {label}")

    def close(self) -> None:
        self.context.close()


# ---------------------------------------------------------------------------------------------
# 1. With JavaScript
# ---------------------------------------------------------------------------------------------
def test_participation_flow_with_javascript(
    contexts: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    base = live_server
    _, slug, title = _consultation(live_settings)
    a, b, staff = people["a"], people["b"], people["staff"]

    # -- Resident A: Vorhabenliste → consultation → submit form (errors first) → proposal page
    page = contexts(a).new_page()
    errors = _watch_errors(page)
    page.goto(base + "/vorhaben")
    wait_for_htmx(page)
    assert_accessible(page, "Vorhabenliste")
    _mark(page)
    page.locator("#filter-q").fill("Hanseviertel")
    page.get_by_role("search").get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#vorhaben-results").get_by_role("link", name=title).first).to_be_visible()
    _announced(page, "gefunden")
    wait_for_htmx(page)
    _assert_no_reload(page, "search")
    assert "q=Hanseviertel" in page.url, "the search is not in the address (HX-Push-Url)"
    assert_accessible(page, "Vorhabenliste after search")

    page.goto(f"{base}/vorhaben/{slug}")
    wait_for_htmx(page)
    assert page.locator("h1").inner_text() == title
    assert_accessible(page, "consultation page")
    page.get_by_role("link", name="Vorschlag einreichen").click()
    page.wait_for_url(f"**/vorhaben/{slug}/vorschlaege/neu")
    wait_for_htmx(page)
    assert_accessible(page, "submit form")

    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.locator("#proposal button[type=submit]").click()
    assert info.value.status == 422
    assert info.value.request.headers.get("hx-request") == "true", "the form was not sent by htmx"
    expect(page.locator("#proposal-errors")).to_be_visible()
    wait_for_htmx(page)
    _assert_field_errors(page, "proposal", ("title", "body"))
    assert _focus_within(page, "#proposal-errors"), "focus is not on the error summary: " + _focused(page)
    assert_accessible(page, "submit form with errors")

    page.locator("#proposal-title").fill("Fahrradbügel vor der Ratsbücherei")
    page.locator("#proposal-body").fill(
        "Vor der Ratsbücherei stehen die Räder an jedem Laternenpfahl. Sechs Bügel würden reichen."
    )
    page.locator("#proposal-topic").select_option(label="Innenstadt")
    page.locator("#proposal-place").fill("Am Marienplatz")
    page.locator("#proposal button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/vorschlaege/\d+$"))
    wait_for_htmx(page)
    pid = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("main")).to_contain_text("Vielen Dank! Ihr Vorschlag ist veröffentlicht.")
    assert page.locator("h1").inner_text() == "Fahrradbügel vor der Ratsbücherei"
    expect(page.locator(f"#proposal-{pid}-supports")).to_contain_text("Ihr eigener Vorschlag")
    assert_accessible(page, "proposal page (author)")

    # A comment: first empty (errors inside the thread), then with text
    _mark(page)
    page.get_by_role("button", name="Kommentar veröffentlichen").click()
    expect(page.locator("#comment-new-errors")).to_be_visible()
    wait_for_htmx(page)
    _assert_field_errors(page, "comment-new", ("body",))
    assert _focus_within(page, "#comment-new-errors"), _focused(page)
    assert_accessible(page, "comment form with errors")
    page.locator("#comment-new-body").fill("Am Samstag ist es dort besonders voll.")
    page.get_by_role("button", name="Kommentar veröffentlichen").click()
    expect(page.locator("#comments .comment__text").first).to_contain_text("Am Samstag ist es dort")
    wait_for_htmx(page)
    _announced(page, "Ihr Kommentar ist veröffentlicht.")
    _assert_no_reload(page, "comment")
    comment_id = _comment_id(page, "Am Samstag ist es dort")
    assert _focus_within(page, f"#comment-{comment_id}"), "focus is not on the new comment: " + _focused(page)
    assert page.locator("#comments-title").inner_text() == "1 Kommentar"
    assert_accessible(page, "proposal page after comment")

    # -- Resident B: supports it in the list, then on its page; replies; votes
    page_b = contexts(b).new_page()
    errors_b = _watch_errors(page_b)
    page_b.goto(f"{base}/vorhaben/{slug}/vorschlaege")
    wait_for_htmx(page_b)
    card = page_b.locator(f"#proposal-{pid}")
    expect(card.get_by_role("link", name="Fahrradbügel vor der Ratsbücherei")).to_be_visible()
    assert _support_count(page_b, pid) == "0"
    assert_accessible(page_b, "proposal list")
    _mark(page_b)
    page_b.locator("#filter-sort").select_option(label="Neueste zuerst")
    page_b.get_by_role("button", name="Anzeigen").click()
    _announced(page_b, "1 Vorschlag gefunden.")
    wait_for_htmx(page_b)
    assert "sortierung=neueste" in page_b.url, "the sort is not in the address (HX-Push-Url)"
    _assert_no_reload(page_b, "sort")
    card = page_b.locator(f"#proposal-{pid}")
    card.get_by_role("button", name="Unterstützen").click()
    expect(card.get_by_role("button", name="Unterstützung zurückziehen")).to_be_visible()
    wait_for_htmx(page_b)
    assert _support_count(page_b, pid) == "1"
    _announced(page_b, "Sie unterstützen diesen Vorschlag. 1 Unterstützung.")
    _assert_no_reload(page_b, "support in the list")
    assert _focus_within(page_b, f"#proposal-{pid}-supports"), _focused(page_b)
    assert_accessible(page_b, "proposal list after support")

    card.get_by_role("link", name="Fahrradbügel vor der Ratsbücherei").click()
    page_b.wait_for_url(f"**/vorschlaege/{pid}")
    wait_for_htmx(page_b)
    assert _support_count(page_b, pid) == "1"
    assert_accessible(page_b, "proposal page before swaps")
    _mark(page_b)
    supports = page_b.locator(f"#proposal-{pid}-supports")
    supports.get_by_role("button", name="Unterstützung zurückziehen").click()
    expect(supports.get_by_role("button", name="Unterstützen")).to_be_visible()
    wait_for_htmx(page_b)
    assert _support_count(page_b, pid) == "0"
    _announced(page_b, "Sie haben Ihre Unterstützung zurückgezogen. 0 Unterstützungen.")
    supports.get_by_role("button", name="Unterstützen").click()
    expect(supports.get_by_role("button", name="Unterstützung zurückziehen")).to_be_visible()
    wait_for_htmx(page_b)
    assert _support_count(page_b, pid) == "1"
    _announced(page_b, "Sie unterstützen diesen Vorschlag. 1 Unterstützung.")
    _assert_no_reload(page_b, "support on the proposal page")
    assert_accessible(page_b, "proposal page after support")

    # A reply: first too short (errors in the reopened <details>, focus on them), then for real
    reply_details = page_b.locator(f"details:has(#reply-{comment_id})")
    reply_details.locator("summary").click()
    page_b.locator(f"#reply-{comment_id}-body").fill("x")
    reply_details.get_by_role("button", name="Antwort veröffentlichen").click()
    expect(page_b.locator(f"#reply-{comment_id}-errors")).to_be_visible()
    wait_for_htmx(page_b)
    reply_details = page_b.locator(f"details:has(#reply-{comment_id})")
    assert reply_details.get_attribute("open") is not None, "the reply form with errors is closed"
    _assert_field_errors(page_b, f"reply-{comment_id}", ("body",))
    assert page_b.locator(f"#reply-{comment_id}-body").input_value() == "x"
    assert _focus_within(page_b, f"#reply-{comment_id}-errors"), _focused(page_b)
    assert_accessible(page_b, "reply form with errors")
    page_b.locator(f"#reply-{comment_id}-body").fill("Stimmt, und mittwochs zum Markt auch.")
    reply_details.get_by_role("button", name="Antwort veröffentlichen").click()
    replies = page_b.locator(f"#comment-{comment_id} .comment-list--replies")
    expect(replies).to_contain_text("Stimmt, und mittwochs zum Markt auch.")
    wait_for_htmx(page_b)
    _announced(page_b, "Ihre Antwort ist veröffentlicht.")
    _assert_no_reload(page_b, "reply")
    reply_id = _comment_id(page_b, "Stimmt, und mittwochs")
    assert reply_id != comment_id
    assert replies.locator(f"#comment-{reply_id}").count() == 1, "the reply is not nested under the comment"
    assert _focus_within(page_b, f"#comment-{reply_id}"), "focus is not on the new reply: " + _focused(page_b)
    assert_accessible(page_b, "proposal page after reply")

    helpful = page_b.locator(f"#comment-{comment_id}-votes button").first
    expect(helpful).to_have_attribute("aria-pressed", "false")
    expect(helpful).to_contain_text("Hilfreich (0)")
    helpful.click()
    helpful = page_b.locator(f"#comment-{comment_id}-votes button").first
    expect(helpful).to_have_attribute("aria-pressed", "true")
    expect(helpful).to_contain_text("Hilfreich (1)")
    wait_for_htmx(page_b)
    _announced(page_b, "Sie haben den Kommentar als hilfreich bewertet.")
    _assert_no_reload(page_b, "vote")
    # focus stays on the button that was pressed
    assert page_b.evaluate(
        f"document.activeElement === document.querySelector('#comment-{comment_id}-votes button')"
    ), _focused(page_b)
    assert_accessible(page_b, "proposal page after vote")

    # -- Staff: answer form (errors first), then the answer on the proposal page
    page_s = contexts(staff).new_page()
    errors_s = _watch_errors(page_s)
    page_s.goto(f"{base}/vorschlaege/{pid}")
    page_s.get_by_role("link", name="Offiziell antworten").click()
    page_s.wait_for_url(f"**/vorschlaege/{pid}/antwort")
    wait_for_htmx(page_s)
    assert_accessible(page_s, "answer form")
    page_s.get_by_role("button", name="Antwort veröffentlichen").click()
    expect(page_s.locator("#answer-errors")).to_be_visible()
    wait_for_htmx(page_s)
    _assert_field_errors(page_s, "answer", ("text",))
    assert _focus_within(page_s, "#answer-errors"), _focused(page_s)
    assert_accessible(page_s, "answer form with errors")
    page_s.locator("#answer-state").select_option(label="Angenommen")
    page_s.locator("#answer-text").fill("Die Bügel werden im Frühjahr aufgestellt. Danke für den Hinweis!")
    page_s.get_by_role("button", name="Antwort veröffentlichen").click()
    page_s.wait_for_url(re.compile(rf".*/vorschlaege/{pid}(#antwort)?$"))
    wait_for_htmx(page_s)
    answer = page_s.locator("#antwort")
    expect(answer).to_contain_text("Antwort der Verwaltung: Angenommen")
    expect(answer).to_contain_text("Die Bügel werden im Frühjahr aufgestellt.")
    expect(page_s.locator("main")).to_contain_text("Die Antwort ist veröffentlicht.")
    assert_accessible(page_s, "proposal page with answer (staff)")

    # -- A sees all of it
    page.reload()
    wait_for_htmx(page)
    expect(page.locator("#antwort")).to_contain_text("Angenommen")
    assert _support_count(page, pid) == "1"
    expect(page.locator(f"#comment-{reply_id}")).to_contain_text(b.name)
    assert_accessible(page, "proposal page with answer (author)")

    assert errors + errors_b + errors_s == [], "\n".join(errors + errors_b + errors_s)


# ---------------------------------------------------------------------------------------------
# 2. Without JavaScript
# ---------------------------------------------------------------------------------------------
def _submit_and_follow(page: Any, button: Any) -> Any:
    """Click a submit button; return the final response, asserting it came by a 303 after a POST."""
    with page.expect_navigation() as info:
        button.click()
    response = info.value
    assert response is not None
    previous = response.request.redirected_from
    assert previous is not None and previous.method == "POST", "expected POST → 303 → GET"
    assert previous.response().status == 303
    return response


def _submit_expect_status(page: Any, button: Any, status: int) -> Any:
    with page.expect_navigation() as info:
        button.click()
    response = info.value
    assert response is not None and response.status == status, f"HTTP {response and response.status}"
    return response


def test_participation_flow_without_javascript(
    browser: Any, contexts: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    base = live_server
    _, slug, title = _consultation(live_settings, title="Radverkehr ohne Skript")
    a, b, staff = people["a"], people["b"], people["staff"]
    # This flow runs in dark mode, the JS flow in light mode.
    axe = HtmlAxe(browser, "dark")
    try:
        # -- Resident A
        page = contexts(a, js=False, scheme="dark").new_page()
        page.goto(base + "/vorhaben")
        axe.check(page, "Vorhabenliste")
        page.locator("#filter-q").fill("Skript")
        page.get_by_role("search").get_by_role("button", name="Anzeigen").click()
        page.wait_for_url("**/vorhaben?*q=Skript*")
        expect(page.get_by_role("link", name=title)).to_be_visible()
        page.get_by_role("link", name=title).click()
        page.wait_for_url(f"**/vorhaben/{slug}")
        axe.check(page, "consultation page")
        page.get_by_role("link", name="Vorschlag einreichen").click()
        page.wait_for_url(f"**/vorhaben/{slug}/vorschlaege/neu")

        page.locator("#proposal-title").fill("Abstellanlage am Bahnhof Ost")
        _submit_expect_status(page, page.locator("#proposal button[type=submit]"), 422)
        assert page.title().startswith("Fehler:"), page.title()
        _assert_field_errors(page, "proposal", ("body",))
        assert page.locator("#proposal-title").input_value() == "Abstellanlage am Bahnhof Ost"
        axe.check(page, "submit form with errors")
        page.locator("#proposal-body").fill(
            "Auf der Ostseite des Bahnhofs fehlt eine überdachte Abstellanlage."
        )
        _submit_and_follow(page, page.locator("#proposal button[type=submit]"))
        assert re.search(r"/vorschlaege/\d+$", page.url), page.url
        pid = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("main")).to_contain_text("Vielen Dank! Ihr Vorschlag ist veröffentlicht.")
        axe.check(page, "proposal page (author)")

        page.locator("#comment-new-body").fill("Gerade für Pendler:innen aus Adendorf wichtig.")
        _submit_and_follow(page, page.get_by_role("button", name="Kommentar veröffentlichen"))
        assert re.search(rf"/vorschlaege/{pid}#comment-\d+$", page.url), page.url
        comment_id = int(page.url.rsplit("-", 1)[1])
        expect(page.locator(f"#comment-{comment_id}")).to_contain_text("Pendler:innen aus Adendorf")
        expect(page.locator("main")).to_contain_text("Ihr Kommentar ist veröffentlicht.")

        # -- Resident B: support, reply in <details> (an error first, text kept), vote
        page_b = contexts(b, js=False, scheme="dark").new_page()
        page_b.goto(f"{base}/vorschlaege/{pid}")
        axe.check(page_b, "proposal page before support")
        supports = page_b.locator(f"#proposal-{pid}-supports")
        assert _support_count(page_b, pid) == "0"
        _submit_and_follow(page_b, supports.get_by_role("button", name="Unterstützen"))
        assert page_b.url.endswith(f"/vorschlaege/{pid}#proposal-{pid}"), page_b.url
        assert _support_count(page_b, pid) == "1"
        expect(page_b.locator("main")).to_contain_text("Sie unterstützen diesen Vorschlag. 1 Unterstützung.")
        expect(supports.get_by_role("button", name="Unterstützung zurückziehen")).to_be_visible()
        axe.check(page_b, "proposal page after support")

        reply_details = page_b.locator(f"details:has(#reply-{comment_id})")
        assert reply_details.get_attribute("open") is None
        reply_details.locator("summary").click()
        expect(page_b.locator(f"#reply-{comment_id}-body")).to_be_visible()
        page_b.locator(f"#reply-{comment_id}-body").fill("x")
        _submit_expect_status(
            page_b, reply_details.get_by_role("button", name="Antwort veröffentlichen"), 422
        )
        reply_details = page_b.locator(f"details:has(#reply-{comment_id})")
        assert reply_details.get_attribute("open") is not None, "the reply form with errors is closed"
        assert page_b.title().startswith("Fehler:"), page_b.title()
        _assert_field_errors(page_b, f"reply-{comment_id}", ("body",))
        assert page_b.locator(f"#reply-{comment_id}-body").input_value() == "x"
        axe.check(page_b, "reply form with errors")
        page_b.locator(f"#reply-{comment_id}-body").fill("Und aus Bardowick genauso.")
        _submit_and_follow(page_b, reply_details.get_by_role("button", name="Antwort veröffentlichen"))
        reply_id = int(page_b.url.rsplit("-", 1)[1])
        assert reply_id != comment_id
        expect(
            page_b.locator(f"#comment-{comment_id} .comment-list--replies #comment-{reply_id}")
        ).to_contain_text("Und aus Bardowick genauso.")
        expect(page_b.locator("main")).to_contain_text("Ihre Antwort ist veröffentlicht.")

        helpful = page_b.locator(f"#comment-{comment_id}-votes button").first
        assert helpful.get_attribute("aria-pressed") == "false"
        _submit_and_follow(page_b, helpful)
        helpful = page_b.locator(f"#comment-{comment_id}-votes button").first
        assert helpful.get_attribute("aria-pressed") == "true"
        expect(helpful).to_contain_text("Hilfreich (1)")
        axe.check(page_b, "proposal page after reply and vote")

        # -- Staff
        page_s = contexts(staff, js=False, scheme="dark").new_page()
        page_s.goto(f"{base}/vorschlaege/{pid}")
        page_s.get_by_role("link", name="Offiziell antworten").click()
        page_s.wait_for_url(f"**/vorschlaege/{pid}/antwort")
        axe.check(page_s, "answer form")
        page_s.locator("#answer-state").select_option(label="Teilweise angenommen")
        page_s.locator("#answer-text").fill("Zu kurz")
        _submit_expect_status(page_s, page_s.get_by_role("button", name="Antwort veröffentlichen"), 422)
        _assert_field_errors(page_s, "answer", ("text",))
        assert page_s.locator("#answer-text").input_value() == "Zu kurz"
        assert page_s.locator("#answer-state").input_value() == "partially_accepted"
        axe.check(page_s, "answer form with errors")
        page_s.locator("#answer-text").fill("Eine Anlage mit 40 Plätzen ist für 2027 geplant.")
        _submit_and_follow(page_s, page_s.get_by_role("button", name="Antwort veröffentlichen"))
        expect(page_s.locator("#antwort")).to_contain_text("Antwort der Verwaltung: Teilweise angenommen")
        expect(page_s.locator("#antwort")).to_contain_text("40 Plätzen")
        axe.check(page_s, "proposal page with answer")

        page.goto(f"{base}/vorhaben/{slug}/vorschlaege")
        card = page.locator(f"#proposal-{pid}")
        expect(card).to_contain_text("Teilweise angenommen")
        assert _support_count(page, pid) == "1"
        axe.check(page, "proposal list")
    finally:
        axe.close()


# ---------------------------------------------------------------------------------------------
# 3. A closed phase
# ---------------------------------------------------------------------------------------------
async def _end_support(settings: Any, consultation_id: int) -> None:
    """The collection phase ends now: the evaluation (no supports) starts."""
    from sqlalchemy import select

    from beteiligung.app import make_alchemy_config
    from beteiligung.consultations.models import Phase
    from beteiligung.consultations.phases import PhaseKind
    from beteiligung.db import utcnow

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            phases = (await db.scalars(select(Phase).where(Phase.consultation_id == consultation_id))).all()
            now = utcnow()
            for phase in phases:
                if phase.kind == PhaseKind.COLLECTION:
                    phase.ends_at = now - timedelta(minutes=1)
                else:
                    phase.starts_at = now - timedelta(minutes=1)
            await db.commit()
    finally:
        await config.get_engine().dispose()


def test_support_after_the_phase_ended(
    contexts: Any, browser: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    from beteiligung.consultations.phases import PhaseKind

    base = live_server
    cid, slug, _ = _consultation(
        live_settings,
        title="Radverkehr: Frist endet",
        kinds=(PhaseKind.COLLECTION, PhaseKind.EVALUATION),
        current=0,
    )
    pid = arrange(
        make_proposal(
            live_settings,
            consultation_id=cid,
            author_id=people["a"].user_id,
            title="Fahrradstraße Lünertorstraße",
            body="Die Lünertorstraße eignet sich als Fahrradstraße zwischen Altstadt und Hafen.",
        )
    )
    # B has the page open in both browsers while supports are still open
    page_js = contexts(people["b"]).new_page()
    page_js.goto(f"{base}/vorschlaege/{pid}")
    wait_for_htmx(page_js)
    page_nojs = contexts(people["b"], js=False).new_page()
    page_nojs.goto(f"{base}/vorschlaege/{pid}")
    for page in (page_js, page_nojs):
        expect(
            page.locator(f"#proposal-{pid}-supports").get_by_role("button", name="Unterstützen")
        ).to_be_visible()

    arrange(_end_support(live_settings, cid))

    # Without JavaScript: the POST answers 409 with the reason
    response = _submit_expect_status(
        page_nojs,
        page_nojs.locator(f"#proposal-{pid}-supports").get_by_role("button", name="Unterstützen"),
        409,
    )
    assert response.request.method == "POST"
    expect(page_nojs.locator("main")).to_contain_text("Die Frist dafür ist am")
    expect(page_nojs.locator("main")).to_contain_text("abgelaufen")
    axe = HtmlAxe(browser)
    try:
        axe.check(page_nojs, "409 page")
    finally:
        axe.close()

    # With htmx: the reason in the page's alert region (role=alert, focused: announced once, so
    # not also through the status region); nothing else changes
    _mark(page_js)
    page_js.locator(f"#proposal-{pid}-supports").get_by_role("button", name="Unterstützen").click()
    alert = page_js.locator("#page-alert")
    expect(alert).to_contain_text("Die Frist dafür ist am")
    wait_for_htmx(page_js)
    expect(alert.get_by_role("alert")).to_have_count(1)
    assert "Die Frist" not in page_js.locator("#sr-status").inner_text()
    _assert_no_reload(page_js, "refused support")
    assert _focus_within(page_js, "#page-alert"), _focused(page_js)
    assert _support_count(page_js, pid) == "0"
    assert_accessible(page_js, "proposal page with 409 alert")

    # A fresh page offers no support button any more, neither on the proposal nor in the list
    for url in (f"/vorschlaege/{pid}", f"/vorhaben/{slug}/vorschlaege"):
        page_js.goto(base + url)
        wait_for_htmx(page_js)
        block = page_js.locator(f"#proposal-{pid}-supports")
        expect(block).to_be_visible()
        assert block.locator("form").count() == 0 and block.get_by_role("button").count() == 0, url
        assert _support_count(page_js, pid) == "0"
        assert_accessible(page_js, f"closed phase {url}")


# ---------------------------------------------------------------------------------------------
# 4. Markup in contributions is text
# ---------------------------------------------------------------------------------------------
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'


def _assert_inert(page: Any, where: str) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__pwned") == "undefined", f"{where}: injected script ran"
    injected = page.evaluate(
        """() => [...document.querySelectorAll('main script, main img, main [onerror], main a[href^="javascript"]')]
               .map(e => e.outerHTML)"""
    )
    assert injected == [], f"{where}: markup from a contribution became elements: {injected}"


def test_markup_in_contributions_is_shown_as_text(
    contexts: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    """The CSP would block inline scripts anyway: it is bypassed here, so escaping alone is tested."""
    base = live_server
    _, slug, _ = _consultation(live_settings, title="Radverkehr: Sonderzeichen")
    page = contexts(people["a"], bypass_csp=True).new_page()
    page.goto(f"{base}/vorhaben/{slug}/vorschlaege/neu")
    wait_for_htmx(page)
    title = f"{SCRIPT}Bänke am Stintmarkt"
    page.locator("#proposal-title").fill(title)
    page.locator("#proposal-body").fill(
        f"Mehr Bänke bitte. {SCRIPT}\n\n{IMG}\n\n[Lageplan](javascript:window.__pwned=1)"
    )
    page.locator("#proposal button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/vorschlaege/\d+$"))
    wait_for_htmx(page)
    pid = int(page.url.rsplit("/", 1)[1])
    _assert_inert(page, "proposal page")
    assert page.locator("h1").inner_text() == title, "the title is not shown as typed"
    body = page.locator(f"#proposal-{pid} .prose").first
    expect(body).to_contain_text("Mehr Bänke bitte.")
    text = body.inner_text()
    assert "<script" not in text or SCRIPT in text  # escaped as a whole, or stripped
    assert "Lageplan" in text

    # A comment through an htmx swap (htmx runs scripts in swapped HTML)
    page.locator("#comment-new-body").fill(f"{SCRIPT} {IMG} Schöne Idee")
    page.get_by_role("button", name="Kommentar veröffentlichen").click()
    expect(page.locator("#comments .comment__text").first).to_contain_text("Schöne Idee")
    wait_for_htmx(page)
    _assert_inert(page, "thread after htmx swap")

    # Another visitor: the list and the page
    page_b = contexts(people["b"], bypass_csp=True).new_page()
    for url in (f"/vorhaben/{slug}/vorschlaege", f"/vorschlaege/{pid}"):
        page_b.goto(base + url)
        wait_for_htmx(page_b)
        _assert_inert(page_b, url)
    expect(page_b.locator(f"#proposal-{pid}-title")).to_contain_text(SCRIPT)
