"""Live updates in a real browser: two residents on the same proposal; one supports and comments,
the other sees both without reloading (as a "neue Beiträge" button while reading the thread);
the pause control holds updates back until it is released; axe after each update."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person, arrange, assert_accessible, make_proposal, wait_for_htmx
from tests.browser.test_participation_flow import (
    _assert_no_reload,
    _consultation,
    _mark,
    _watch_errors,
    contexts,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000


def _open(contexts: Any, person: Person, url: str, height: int = 700) -> Any:  # noqa: F811
    context = contexts(person)
    page = context.new_page()
    page.set_viewport_size({"width": 1100, "height": height})
    errors = _watch_errors(page)
    page.goto(url)
    expect(page.locator("#live-toggle")).to_be_visible()  # the script runs and shows the control
    expect(page.locator("#live[data-live-connected]")).to_have_count(1, timeout=LIVE_TIMEOUT)
    page.__dict__["_errors"] = errors
    return page


def test_two_residents_see_each_other_live(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
) -> None:
    a, b = people["a"], people["b"]
    cid, _slug, _title = _consultation(live_settings, title="Lebendige Innenstadt")
    pid = arrange(
        make_proposal(
            live_settings,
            consultation_id=cid,
            author_id=a.user_id,
            title="Sitzbänke am Stintmarkt",
            body="Am Stintmarkt fehlen Sitzgelegenheiten am Wasser. " * 60,
        )
    )
    url = f"{live_server}/vorschlaege/{pid}"
    page_a = _open(contexts, a, url)
    page_b = _open(contexts, b, url, height=500)  # the thread starts below the fold
    _mark(page_a)
    _mark(page_b)

    # B supports: A's count changes without a reload
    page_b.locator(f"#proposal-{pid}-supports").get_by_role("button", name="Unterstützen").click()
    wait_for_htmx(page_b)
    expect(page_a.locator(f"#proposal-{pid}-supports strong")).to_have_text("1", timeout=LIVE_TIMEOUT)
    _assert_no_reload(page_a, "live support")

    # A comments; B is not reading the thread (below the fold): it appears in place
    page_b.evaluate("window.scrollTo(0, 0)")
    page_b.locator("h1").focus()
    page_a.locator("#comment-new-body").fill("Gute Idee, am besten mit Blick auf die Ilmenau.")
    page_a.locator("#comment-new button[type=submit]").click()
    wait_for_htmx(page_a)
    expect(page_b.locator("#comments")).to_contain_text("mit Blick auf die Ilmenau", timeout=LIVE_TIMEOUT)
    _assert_no_reload(page_b, "live comment")
    # the batched announcement (at most one every 15 s) names what changed
    expect(page_b.locator("#sr-status")).to_contain_text("Kommentar", timeout=20_000)
    assert_accessible(page_b, "proposal page after live updates")

    # B now reads the thread: a new comment shows as a button, the text does not move
    page_b.locator("#comments").scroll_into_view_if_needed()
    first_top = page_b.locator("#comments .comment").first.bounding_box()
    page_a.locator("#comment-new-body").fill("Und ein Mülleimer daneben wäre gut.")
    page_a.locator("#comment-new button[type=submit]").click()
    notice = page_b.locator("#comments .live-notice")
    expect(notice).to_contain_text("1 neuer Beitrag – anzeigen", timeout=LIVE_TIMEOUT)
    assert "Mülleimer" not in page_b.locator("#comments").inner_text()
    # the comment being read has not moved (the button floats at the window's edge)
    moved = page_b.locator("#comments .comment").first.bounding_box()
    assert first_top and moved and abs(moved["y"] - first_top["y"]) < 2, (first_top, moved)
    assert_accessible(page_b, "thread with the new-contributions button")
    notice.click()
    expect(page_b.locator("#comments")).to_contain_text("Mülleimer", timeout=LIVE_TIMEOUT)
    assert page_b.evaluate("document.activeElement.closest('#comments') !== null")
    _assert_no_reload(page_b, "showing new comments")

    # Paused: nothing changes until B resumes
    toggle = page_b.locator("#live-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page_a.locator(f"#proposal-{pid}-supports").scroll_into_view_if_needed()
    page_a.locator("#comment-new-body").fill("Noch ein Gedanke: Trinkbrunnen.")
    page_a.locator("#comment-new button[type=submit]").click()
    wait_for_htmx(page_a)
    page_b.wait_for_timeout(2500)
    assert "Trinkbrunnen" not in page_b.locator("#comments").inner_text()
    assert page_b.locator("#comments .live-notice").count() == 0
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page_b.evaluate("window.scrollTo(0, 0)")
    expect(page_b.locator("#comments")).to_contain_text("Trinkbrunnen", timeout=LIVE_TIMEOUT)
    _assert_no_reload(page_b, "resume")
    assert_accessible(page_b, "proposal page after resuming")
    assert not page_a.__dict__["_errors"] and not page_b.__dict__["_errors"], (
        page_a.__dict__["_errors"] + page_b.__dict__["_errors"]
    )
