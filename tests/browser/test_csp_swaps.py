"""No Content-Security-Policy violation after htmx swaps (issue 20, item 11): every page runs under
``style-src 'self'`` and ``script-src 'self'``, so an inline style that htmx (or our own scripts)
put on an element is refused and logged. These flows collect the ``securitypolicyviolation``
events (a listener installed before any page script) and the console's CSP messages, and fail on
any: after posting a comment, voting, supporting, a live refresh of the thread, actions in the
moderation queue and live refreshes of the meeting room; not only on page load.

The ``style`` attributes themselves are what the policy refuses: htmx's settle step copies
``class``/``style``/``width``/``height`` from the old element onto its swapped-in namesake, so
an element that carried a style (set by any script through the CSSOM, by an extension, or by the
browser when someone resizes a text field) makes every later swap of it write a ``style``
attribute. The htmx configuration turns that step off (``defaultSettleDelay: 0``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person, arrange, make_proposal, wait_for_htmx
from tests.browser.test_moderation_queue import _demo, _pre_moderated, _queue_items
from tests.browser.test_participation_flow import _consultation
from tests.meeting_factories import make_meeting

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000
TIMEOUT = 10_000

# Installed into every page before its own scripts (Playwright's init scripts are not subject to
# the page's policy). The array survives swaps but not a page load; the console listener below
# covers loads.
LISTENER = """
(() => {
  const seen = [];
  Object.defineProperty(window, "__cspViolations", {value: seen});
  document.addEventListener("securitypolicyviolation", (e) => {
    const target = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 200) : "";
    seen.push(`${e.violatedDirective}: ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} ${target}`);
  }, true);
})();
"""

# Styles that any script may set through the CSSOM (allowed by the policy): a resized text field,
# an extension, our own code. They must never turn into a refused style attribute on a swap.
STYLE_EVERY_BLOCK = """
() => document.querySelectorAll("[id]").forEach((el) => {
  if (el.closest("head")) { return; }
  el.style.setProperty("--csp-probe", "1");
})
"""


def resize(page: Any, selector: str) -> None:
    """Drag a text field's resize handle, as someone wanting more room does: the browser writes
    the new height into the field's style attribute (no script involved). Retried while a live
    refresh replaces the field under the mouse."""
    field = page.locator(selector)
    for _ in range(5):
        wait_for_htmx(page)
        field.evaluate("(e) => e.scrollIntoView({block: 'center'})")
        box = field.bounding_box()
        x, y = box["x"] + box["width"] - 3, box["y"] + box["height"] - 3
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x, y + 60, steps=5)
        page.mouse.up()
        page.wait_for_timeout(200)
        if "height" in (field.get_attribute("style") or ""):
            return
    raise AssertionError(f"resizing {selector} did not take")


class Watch:
    """One browser tab and the CSP violations seen in it."""

    def __init__(self, context: Any) -> None:
        context.add_init_script(LISTENER)
        context.set_default_timeout(TIMEOUT)
        self.page = context.new_page()
        self.page.set_viewport_size({"width": 1100, "height": 800})
        self.console: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.console.append(f"{m.type}: {m.text}")
                if "Content Security Policy" in m.text or "inline style" in m.text
                else None
            ),
        )

    def open(self, url: str, *, live: bool = False) -> Any:
        self.page.goto(url)
        if live:
            expect(self.page.locator("#live[data-live-connected]")).to_have_count(1, timeout=LIVE_TIMEOUT)
        wait_for_htmx(self.page)
        self.page.evaluate(STYLE_EVERY_BLOCK)
        return self.page

    def assert_clean(self, what: str) -> None:
        wait_for_htmx(self.page)
        found = list(self.page.evaluate("window.__cspViolations")) + self.console
        assert not found, f"{what}: {len(found)} CSP violation(s):\n" + "\n".join(found[:10])


def test_thread_swaps_keep_the_policy(
    browser: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    """Comment, reply, vote and support with htmx, and a live refresh of the thread."""
    a, b = people["a"], people["b"]
    cid, _slug, _title = _consultation(live_settings, title="Ruhige Wege an der Ilmenau")
    pid = arrange(
        make_proposal(
            live_settings,
            consultation_id=cid,
            author_id=b.user_id,
            title="Eine Bank am Wasserturm",
            body="Am Wasserturm fehlt eine Bank mit Blick auf die Stadt.",
        )
    )
    url = f"{live_server}/vorschlaege/{pid}"
    contexts = [browser.new_context(storage_state=p.state) for p in (a, b)]
    try:
        wa, wb = Watch(contexts[0]), Watch(contexts[1])
        pa = wa.open(url, live=True)
        pb = wb.open(url, live=True)
        wa.assert_clean("proposal page loaded")

        resize(pa, "#comment-new-body")
        pa.locator("#comment-new-body").fill("Eine Bank wäre schön, am besten mit Lehne.")
        pa.get_by_role("button", name="Kommentar veröffentlichen").click()
        expect(pa.locator("#comments .comment__text").first).to_contain_text("mit Lehne")
        wa.assert_clean("after posting a comment")

        pa.locator(f"#proposal-{pid}-supports").get_by_role("button", name="Unterstützen").click()
        expect(pa.locator(f"#proposal-{pid}-supports")).to_contain_text("Unterstützung zurückziehen")
        wa.assert_clean("after supporting")

        # B's page receives both live (the thread as a "neue Beiträge" button or a refresh)
        expect(pb.locator(f"#proposal-{pid}-supports .support__count strong")).to_have_text(
            "1", timeout=LIVE_TIMEOUT
        )
        notice = pb.locator("#comments .live-notice")
        comment = pb.locator("#comments .comment__text", has_text="mit Lehne")
        expect(notice.or_(comment)).to_be_visible(timeout=LIVE_TIMEOUT)
        if notice.count():
            notice.click()
        expect(comment).to_be_visible(timeout=LIVE_TIMEOUT)
        wb.assert_clean("after live refreshes")

        comment_id = str(pb.locator("#comments li.comment").first.get_attribute("id")).rsplit("-", 1)[1]
        votes = pb.locator(f"#comment-{comment_id}-votes button").first
        votes.click()
        expect(pb.locator(f"#comment-{comment_id}-votes button").first).to_have_attribute(
            "aria-pressed", "true"
        )
        wb.assert_clean("after voting")

        pb.locator(f"details:has(#reply-{comment_id}) summary").click()
        pb.locator(f"#reply-{comment_id}-body").fill("Mit Lehne, unbedingt.")
        pb.locator(f"details:has(#reply-{comment_id})").get_by_role(
            "button", name="Antwort veröffentlichen"
        ).click()
        expect(pb.locator(f"#comment-{comment_id} .comment-list--replies")).to_contain_text("unbedingt")
        wb.assert_clean("after replying")

        # A sees the vote live, and the reply behind the "neue Beiträge" button (A's thread is on screen)
        expect(pa.locator(f"#comment-{comment_id}")).to_contain_text("Hilfreich: 1", timeout=LIVE_TIMEOUT)
        reply = pa.locator(f"#comment-{comment_id}", has_text="unbedingt")
        notice = pa.locator("#comments .live-notice")
        expect(notice.or_(reply)).to_be_visible(timeout=LIVE_TIMEOUT)
        if notice.count():
            notice.click()
        expect(reply).to_be_visible(timeout=LIVE_TIMEOUT)
        wa.assert_clean("after live refreshes")
    finally:
        for context in contexts:
            context.close()


def test_moderation_queue_swaps_keep_the_policy(
    browser: Any,
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
    storage_states: dict[str, Any],
) -> None:
    """Claim, a refused and an accepted decision, a bulk decision, a new item arriving live."""
    cid, slug = _pre_moderated(live_settings, title="Leise Nächte im Wasserviertel")
    ids = arrange(_queue_items(live_settings, cid, people["a"].user_id, people["b"].user_id))
    moderator = browser.new_context(storage_state=_demo(storage_states, "moderator").state)
    resident = browser.new_context(storage_state=people["a"].state)
    try:
        watch = Watch(moderator)
        page = watch.open(f"{live_server}/moderation?verfahren={cid}", live=True)
        expect(page.locator("#queue-title")).to_have_text("3 Beiträge warten")
        watch.assert_clean("queue loaded")

        held = page.locator(f"#review-{ids['held']}")
        held.get_by_role("button", name="Übernehmen").click()
        expect(page.locator(f"#decision-{ids['held']}")).to_be_visible()
        watch.assert_clean("after claiming")
        page.evaluate(STYLE_EVERY_BLOCK)

        resize(page, f"#decision-{ids['held']}-reason")
        page.locator(f"#decision-{ids['held']}-decision").select_option("hide")
        page.locator(f"#decision-{ids['held']}").get_by_role("button", name="Entscheiden").click()
        expect(page.locator(f"#decision-{ids['held']}-errors")).to_be_visible()
        watch.assert_clean("after a refused decision (422)")
        page.evaluate(STYLE_EVERY_BLOCK)

        page.locator(f"#decision-{ids['held']}-rule").select_option("2")
        page.locator(f"#decision-{ids['held']}").get_by_role("button", name="Entscheiden").click()
        expect(page.locator(f"#review-{ids['held']}")).to_have_count(0)
        watch.assert_clean("after a decision")
        page.evaluate(STYLE_EVERY_BLOCK)

        page.locator(f"#select-{ids['reply']}").check()
        page.locator("#bulk-decision").select_option("approve")
        page.locator("#bulk-form").get_by_role("button", name="Für Auswahl entscheiden").click()
        expect(page.locator(f"#review-{ids['reply']}")).to_have_count(0)
        watch.assert_clean("after a bulk decision")
        page.evaluate(STYLE_EVERY_BLOCK)

        # A resident comments in the pre-moderated consultation: the item arrives live.
        text = "Bitte nachts weniger Lieferverkehr in der Altstadt."
        rpage = resident.new_page()
        rpage.goto(f"{live_server}/vorhaben/{slug}")
        rpage.locator("#comment-new-body").fill(text)
        rpage.locator("#comment-new button[type=submit]").click()
        expect(rpage.locator("#sr-status")).to_contain_text("wartet auf Freigabe", timeout=LIVE_TIMEOUT)
        # The moderator is working in the queue (focus in it): the change waits behind a button.
        item = page.locator("#queue li.queue-item", has_text=text)
        notice = page.locator("#queue .live-notice")
        expect(notice.or_(item)).to_be_visible(timeout=LIVE_TIMEOUT)
        if notice.count():
            notice.click()
        expect(item).to_have_count(1, timeout=LIVE_TIMEOUT)
        watch.assert_clean("after a live refresh of the queue")
    finally:
        moderator.close()
        resident.close()


def test_meeting_room_swaps_keep_the_policy(
    browser: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    """Staff move through the agenda, a resident asks and another upvotes: every part of the
    room is swapped by the actor's own request or by a live refresh."""
    mid = arrange(
        make_meeting(
            live_settings,
            title="Bürgerversammlung Rotes Feld",
            state="live",
            question_moderation="post",
            agenda=("Begrüßung", "Parken im Roten Feld", "Fragen"),
        )
    )
    room = f"{live_server}/veranstaltungen/{mid}"
    contexts = [
        browser.new_context(storage_state=p.state) for p in (people["staff"], people["a"], people["b"])
    ]
    try:
        ws, wa, wb = (Watch(c) for c in contexts)
        s, pa, pb = ws.open(room, live=True), wa.open(room, live=True), wb.open(room, live=True)
        for w in (ws, wa, wb):
            w.assert_clean("meeting room loaded")

        s.locator(f"#meeting-{mid}-agenda").get_by_role("button", name="Zum nächsten Punkt").click()
        for p in (s, pa, pb):
            expect(p.locator(f"#meeting-{mid}-agenda")).to_contain_text(
                "Jetzt: Parken im Roten Feld", timeout=LIVE_TIMEOUT
            )
        for w in (ws, wa, wb):
            w.assert_clean("after the agenda moved on")

        question = "Wo sollen die Anwohner künftig parken?"
        resize(pa, "#question-new-body")
        pa.locator("#question-new-body").fill(question)
        pa.locator("#question-new button[type=submit]").click()
        mine = pa.locator(f"#meeting-{mid}-questions li.meeting-question", has_text=question)
        expect(mine).to_have_count(1)
        qid = str(mine.get_attribute("id")).rsplit("-", 1)[1]
        wa.assert_clean("after asking a question")

        pa.locator("main a[href='/veranstaltungen']").first.focus()  # not working in a live part
        theirs = pb.locator(f"#frage-{qid}")
        expect(theirs).to_contain_text(question, timeout=LIVE_TIMEOUT)
        theirs.get_by_role("button", name=re.compile("Frage unterstützen")).click()
        expect(pb.locator(f"#frage-{qid}-stimme")).to_have_attribute("aria-pressed", "true")
        expect(pa.locator(f"#frage-{qid}")).to_contain_text("1 Stimme", timeout=LIVE_TIMEOUT)
        expect(s.locator(f"#frage-{qid}")).to_contain_text("(1)", timeout=LIVE_TIMEOUT)
        for w, what in ((ws, "staff"), (wa, "asker"), (wb, "upvoter")):
            w.assert_clean(f"{what} after the question and its upvote")
    finally:
        for context in contexts:
            context.close()
