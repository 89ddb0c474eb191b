"""The moderation queue in a real browser (issue 5): the demo moderator sees a held comment appear
live and vanish when someone else decides it; axe in every state of the queue, light and dark;
moderation with the keyboard alone; and claim + decide without JavaScript (plain POSTs).

Each test uses its own pre-moderated consultation and filters the queue by it
(``/moderation?verfahren=<id>``), so items of other tests or of the demo never show up."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person, arrange, assert_accessible, unique, wait_for_htmx
from tests.browser.test_a11y_pages import SCHEMES, check_page
from tests.browser.test_participation_flow import (
    HtmlAxe,
    _assert_no_reload,
    _focused,
    _mark,
    _watch_errors,
    contexts,  # noqa: F401 - fixture
)
from tests.participation_factories import make_consultation, run_sql

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000


# ---------------------------------------------------------------------------------------------
# Arranging
# ---------------------------------------------------------------------------------------------
def _pre_moderated(live_settings: Any, title: str = "Neue Wege am Kreideberg") -> tuple[int, str]:
    """A pre-moderated consultation collecting comments: every contribution waits for review."""
    slug = unique("vorab")
    cid = arrange(
        make_consultation(
            live_settings,
            slug=slug,
            title=title,
            summary="Wie sollen Fuß- und Radwege am Kreideberg künftig aussehen?",
            moderation_mode="pre",
        )
    )
    return cid, slug


async def _queue_items(settings: Any, cid: int, author: int, flagger: int) -> dict[str, int]:
    """Three open items, written with the app's own actions: a held comment, a held reply to a
    public comment, and a public comment flagged as insulting. Returns review ids by key."""
    from sqlalchemy import select

    from beteiligung.comments import actions as comments
    from beteiligung.comments.models import Comment
    from beteiligung.consultations.states import Visibility
    from beteiligung.db import utcnow
    from beteiligung.moderation import actions
    from beteiligung.moderation.actions import Screening
    from beteiligung.moderation.models import FlagReason, Review, Trigger
    from beteiligung.organisations.models import Organisation

    held = Screening(Visibility.HELD, Trigger.PRE)

    async def add(db: Any) -> dict[str, int]:
        org = (await db.scalars(select(Organisation))).first()

        async def post(body: str, by: int, screening: Any, parent: Any = None) -> Comment:
            return await comments.post_comment(
                db,
                consultation_id=cid,
                proposal_id=None,
                parent=parent,
                author_id=by,
                body=body,
                submission_key=None,
                org_id=org.id,
                screening=screening,
            )

        held_comment = await post("Der Weg zur Schule braucht **dringend** Licht.", author, held)
        public = await post("Die Bänke am Kreideberg sind schön geworden.", flagger, actions.PUBLISH)
        reply = await post("Stimmt, aber es fehlen Papierkörbe.", author, held, parent=public)
        rude = await post("Wer so etwas plant, hat keine Ahnung!", author, actions.PUBLISH)
        await actions.flag_target(
            db,
            org_id=org.id,
            target=rude,
            user_id=flagger,
            reason=FlagReason.INSULT,
            text="Bitte sachlich bleiben.",
            now=utcnow(),
        )
        found = {}
        for key, comment in (("held", held_comment), ("reply", reply), ("flagged", rude)):
            found[key] = int(await db.scalar(select(Review.id).where(Review.comment_id == comment.id)))
        return found

    return dict(await run_sql(settings, add))


async def _held_comment(settings: Any, cid: int, author: int, body: str) -> int:
    """One held comment; returns its review id."""
    from sqlalchemy import select

    from beteiligung.comments import actions as comments
    from beteiligung.consultations.states import Visibility
    from beteiligung.moderation.actions import Screening
    from beteiligung.moderation.models import Review, Trigger
    from beteiligung.organisations.models import Organisation

    async def add(db: Any) -> int:
        org = (await db.scalars(select(Organisation))).first()
        comment = await comments.post_comment(
            db,
            consultation_id=cid,
            proposal_id=None,
            parent=None,
            author_id=author,
            body=body,
            submission_key=None,
            org_id=org.id,
            screening=Screening(Visibility.HELD, Trigger.PRE),
        )
        return int(await db.scalar(select(Review.id).where(Review.comment_id == comment.id)))

    return int(await run_sql(settings, add))


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def _demo(storage_states: dict[str, Any], role: str) -> Person:
    """A demo login (conftest ``storage_states``) for the ``contexts`` fixture."""
    return Person(email="", name=role, user_id=0, state=storage_states[role])


def _open_queue(context: Any, base: str, cid: int) -> Any:
    page = context.new_page()
    page.set_viewport_size({"width": 1100, "height": 800})
    page.__dict__["_errors"] = _watch_errors(page)
    page.goto(f"{base}/moderation?verfahren={cid}")
    expect(page.locator("#live[data-live-connected]")).to_have_count(1, timeout=LIVE_TIMEOUT)
    wait_for_htmx(page)
    return page


def _item(page: Any, review_id: int) -> Any:
    return page.locator(f"#review-{review_id}")


def _tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}; focus is on {_focused(page)}")


def _choose(page: Any, select_id: str, value: str) -> None:
    """Pick an option of the focused <select> with the arrow keys (Chromium changes a closed
    select's value on ArrowDown without opening it)."""
    assert page.evaluate("document.activeElement.id") == select_id, _focused(page)
    options = page.evaluate(
        "(id) => Array.from(document.getElementById(id).options).map(o => o.value)", select_id
    )
    current = page.evaluate("document.activeElement.value")
    for _ in range(options.index(value) - options.index(current)):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == value


def _focus_is_sensible(page: Any) -> str:
    tag = str(page.evaluate("document.activeElement ? document.activeElement.tagName : 'NONE'"))
    assert tag not in ("BODY", "NONE", "HTML"), f"focus was lost: {_focused(page)}"
    return tag


# ---------------------------------------------------------------------------------------------
# 1. Live
# ---------------------------------------------------------------------------------------------
def test_new_item_appears_live_and_vanishes_when_decided_elsewhere(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
    storage_states: dict[str, Any],
) -> None:
    cid, slug = _pre_moderated(live_settings)
    text = f"Am Kreideberg fehlt ein Zebrastreifen ({unique('z')})."

    moderator = _open_queue(contexts(_demo(storage_states, "moderator")), live_server, cid)
    expect(moderator.locator("#queue")).to_contain_text("Keine Beiträge warten auf eine Entscheidung.")
    _mark(moderator)

    # A resident comments in the pre-moderated consultation (the server publishes the event).
    resident = contexts(people["a"]).new_page()
    resident.goto(f"{live_server}/vorhaben/{slug}")
    wait_for_htmx(resident)
    resident.locator("#comment-new-body").fill(text)
    resident.locator("#comment-new button[type=submit]").click()
    expect(resident.locator("#sr-status")).to_contain_text("wartet auf Freigabe", timeout=LIVE_TIMEOUT)

    item = moderator.locator("#queue li.queue-item", has_text=text)
    expect(item).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(moderator.locator("#queue-title")).to_have_text("1 Beitrag wartet")
    expect(item).to_contain_text("Vorab-Moderation")
    expect(item).to_contain_text(people["a"].name)
    _assert_no_reload(moderator, "new item")
    review_id = int(str(item.get_attribute("id")).rsplit("-", 1)[1])

    # The admin claims it in another browser: the moderator sees who works on it, live.
    admin = _open_queue(contexts(_demo(storage_states, "admin")), live_server, cid)
    _item(admin, review_id).get_by_role("button", name="Übernehmen").click()
    expect(admin.locator(f"#decision-{review_id}-decision")).to_be_visible()
    expect(item).to_contain_text("In Bearbeitung von Administration Lüneburg", timeout=LIVE_TIMEOUT)
    expect(item.get_by_role("button", name="Übernehmen")).to_have_count(0)
    assert_accessible(moderator, "queue with an item someone else claimed")

    # … and approves it: it vanishes from the moderator's queue without a reload.
    admin.locator(f"#decision-{review_id}-decision").select_option("approve")
    admin.locator(f"#decision-{review_id}").get_by_role("button", name="Entscheiden").click()
    expect(admin.locator("#sr-status")).to_contain_text("Der Beitrag ist freigegeben.")
    expect(moderator.locator(f"#review-{review_id}")).to_have_count(0, timeout=LIVE_TIMEOUT)
    expect(moderator.locator("#queue")).to_contain_text("Keine Beiträge warten auf eine Entscheidung.")
    _assert_no_reload(moderator, "decided item")
    assert not moderator.__dict__["_errors"], moderator.__dict__["_errors"]


# ---------------------------------------------------------------------------------------------
# 2. axe in each state
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", SCHEMES)
def test_empty_queue_is_accessible(
    browser: Any, live_server: str, live_settings: Any, storage_states: dict[str, Any], scheme: str
) -> None:
    cid, _slug = _pre_moderated(live_settings, title="Ruhiges Verfahren ohne Beiträge")
    check_page(browser, live_server, f"/moderation?verfahren={cid}", scheme, storage_states["moderator"])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_queue_states_are_accessible(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
    storage_states: dict[str, Any],
    scheme: str,
) -> None:
    cid, _slug = _pre_moderated(live_settings)
    ids = arrange(_queue_items(live_settings, cid, people["a"].user_id, people["b"].user_id))
    context = contexts(_demo(storage_states, "moderator"), bypass_csp=True, scheme=scheme)
    page = _open_queue(context, live_server, cid)

    # with items: the held comment, the reply with its context, the flagged comment with reasons
    expect(page.locator("#queue-title")).to_have_text("3 Beiträge warten")
    expect(_item(page, ids["reply"])).to_contain_text("Antwort auf")
    expect(_item(page, ids["flagged"])).to_contain_text("Beleidigend (1)")
    expect(_item(page, ids["flagged"])).to_contain_text("Bitte sachlich bleiben.")
    assert "@example.org" not in page.content()  # moderators never see e-mail addresses (DS-17)
    page.locator(f"#review-{ids['held']} details summary").click()  # the note form, opened
    assert_accessible(page, f"{scheme} queue with items")

    # claimed
    held = _item(page, ids["held"])
    held.get_by_role("button", name="Übernehmen").click()
    wait_for_htmx(page)
    expect(page.locator(f"#decision-{ids['held']}")).to_be_visible()
    expect(page.locator("#sr-status")).to_contain_text("Sie bearbeiten jetzt diesen Beitrag.")
    assert page.evaluate("document.activeElement.id") == f"review-{ids['held']}-decision"
    assert_accessible(page, f"{scheme} queue with a claimed item")

    # 422: hiding needs the Netiquette rule
    page.locator(f"#decision-{ids['held']}-decision").select_option("hide")
    page.locator(f"#decision-{ids['held']}").get_by_role("button", name="Entscheiden").click()
    wait_for_htmx(page)
    summary = page.locator(f"#decision-{ids['held']}-errors")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Regel der Netiquette")
    field = page.locator(f"#decision-{ids['held']}-rule")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#decision-{ids['held']}-decision")).to_have_value("hide")  # kept
    assert page.evaluate("document.activeElement.id") == f"decision-{ids['held']}-errors"
    assert_accessible(page, f"{scheme} queue with a decision error")

    # after a decision
    field.select_option("2")
    page.locator(f"#decision-{ids['held']}-reason").fill("Bitte ohne Hervorhebungen schreiben.")
    page.locator(f"#decision-{ids['held']}").get_by_role("button", name="Entscheiden").click()
    wait_for_htmx(page)
    expect(page.locator("#sr-status")).to_contain_text("Der Beitrag ist ausgeblendet.")
    expect(_item(page, ids["held"])).to_have_count(0)
    expect(page.locator("#queue-title")).to_have_text("2 Beiträge warten")
    assert page.evaluate("document.activeElement.id") == "queue-title"
    assert_accessible(page, f"{scheme} queue after a decision")

    # bulk error (no item selected) and a bulk decision for the rest
    page.locator("#bulk-decision").select_option("approve")
    page.locator("#bulk-form").get_by_role("button", name="Für Auswahl entscheiden").click()
    wait_for_htmx(page)
    expect(page.locator("#bulk-errors")).to_contain_text("mindestens einen Beitrag")
    assert_accessible(page, f"{scheme} queue with a bulk error")
    for key in ("reply", "flagged"):
        page.locator(f"#select-{ids[key]}").check()
    page.locator("#bulk-decision").select_option("approve")
    page.locator("#bulk-form").get_by_role("button", name="Für Auswahl entscheiden").click()
    wait_for_htmx(page)
    expect(page.locator("#sr-status")).to_contain_text("2 Beiträge entschieden.")
    expect(page.locator("#queue")).to_contain_text("Keine Beiträge warten auf eine Entscheidung.")
    assert_accessible(page, f"{scheme} queue emptied by a bulk decision")
    assert not page.__dict__["_errors"], page.__dict__["_errors"]


# ---------------------------------------------------------------------------------------------
# 3. Keyboard only
# ---------------------------------------------------------------------------------------------
def test_keyboard_only_moderation(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
    storage_states: dict[str, Any],
) -> None:
    cid, slug = _pre_moderated(live_settings)
    body = f"Parkplätze statt Bäume am Kreideberg ({unique('k')})!"
    review_id = arrange(_held_comment(live_settings, cid, people["a"].user_id, body))
    page = _open_queue(contexts(_demo(storage_states, "moderator")), live_server, cid)
    _mark(page)
    expect(_item(page, review_id)).to_contain_text(body)

    # claim: Tab to the item's button, Enter
    _tab_to(page, f"#review-{review_id} form[action$='/uebernehmen'] button")
    page.keyboard.press("Enter")
    wait_for_htmx(page)
    expect(page.locator(f"#decision-{review_id}")).to_be_visible()
    # focus moves to the new decision form's legend, so the next Tab lands in it
    assert page.evaluate("document.activeElement.id") == f"review-{review_id}-decision", _focused(page)

    # decision and rule with the arrow keys, the reason typed, sent with Space
    page.keyboard.press("Tab")
    _choose(page, f"decision-{review_id}-decision", "hide")
    _tab_to(page, f"#decision-{review_id}-rule")
    _choose(page, f"decision-{review_id}-rule", "1")
    _tab_to(page, f"#decision-{review_id}-reason")
    page.keyboard.type("Bitte beim Thema bleiben und sachlich formulieren.")
    _tab_to(page, f"#decision-{review_id} button[type=submit]")
    page.keyboard.press("Space")
    wait_for_htmx(page)

    expect(page.locator("#sr-status")).to_contain_text("Der Beitrag ist ausgeblendet.")
    expect(_item(page, review_id)).to_have_count(0)
    expect(page.locator("#queue")).to_contain_text("Keine Beiträge warten auf eine Entscheidung.")
    _focus_is_sensible(page)
    assert page.evaluate("document.activeElement.id") == "queue-title", _focused(page)
    _assert_no_reload(page, "keyboard decision")

    # still decided after a reload, and the public sees nothing of it
    page.reload()
    expect(page.locator("#queue")).to_contain_text("Keine Beiträge warten auf eine Entscheidung.")
    visitor = contexts().new_page()
    visitor.goto(f"{live_server}/vorhaben/{slug}")
    expect(visitor.locator("main")).not_to_contain_text(body)
    assert not page.__dict__["_errors"], page.__dict__["_errors"]


# ---------------------------------------------------------------------------------------------
# 4. Without JavaScript
# ---------------------------------------------------------------------------------------------
def test_claim_and_approve_without_javascript(
    browser: Any,
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
    storage_states: dict[str, Any],
) -> None:
    cid, slug = _pre_moderated(live_settings)
    body = f"Ein Trinkbrunnen am Kreideberg wäre toll ({unique('n')})."
    review_id = arrange(_held_comment(live_settings, cid, people["a"].user_id, body))
    queue_url = f"{live_server}/moderation?verfahren={cid}"
    page = contexts(_demo(storage_states, "moderator"), js=False).new_page()
    checker = HtmlAxe(browser)
    # The checker replays the HTML with scripts on: signed out, its live stream would answer 401
    # and send it to the login page, so it gets the moderator's cookies too.
    checker.context.add_cookies(storage_states["moderator"]["cookies"])
    try:
        page.goto(queue_url)
        item = _item(page, review_id)
        expect(item).to_contain_text(body)

        # claim, give back (the filter stays), claim again: each a full page post and redirect
        item.get_by_role("button", name="Übernehmen").click()
        page.wait_for_url(queue_url)
        expect(page.locator("main")).to_contain_text("Sie bearbeiten jetzt diesen Beitrag.")
        item.get_by_role("button", name="Bearbeitung abgeben").click()
        page.wait_for_url(queue_url)
        expect(page.locator("main")).to_contain_text("Sie haben den Beitrag wieder freigegeben")
        item.get_by_role("button", name="Übernehmen").click()
        page.wait_for_url(queue_url)
        checker.check(page, "queue with a claimed item, no JavaScript")

        # a refused decision answers the full page with the errors (422)
        page.locator(f"#decision-{review_id}-decision").select_option("request_edit")
        with page.expect_response(lambda r: r.url.endswith("/entscheidung")) as refused:
            item.get_by_role("button", name="Entscheiden").click()
        assert refused.value.status == 422
        expect(page.locator(f"#decision-{review_id}-errors")).to_be_visible()
        assert page.title().startswith("Fehler")
        checker.check(page, "queue with a decision error, no JavaScript")

        page.locator(f"#decision-{review_id}-decision").select_option("approve")
        page.locator(f"#decision-{review_id}-rule").select_option("")
        item.get_by_role("button", name="Entscheiden").click()
        page.wait_for_url(queue_url)
        expect(page.locator("main")).to_contain_text("Der Beitrag ist freigegeben.")
        expect(item).to_have_count(0)
        expect(page.locator("#queue")).to_contain_text("Keine Beiträge warten auf eine Entscheidung.")
        checker.check(page, "queue after a decision, no JavaScript")
    finally:
        checker.close()

    # approved: now public
    visitor = contexts(js=False).new_page()
    visitor.goto(f"{live_server}/vorhaben/{slug}")
    expect(visitor.locator("main")).to_contain_text(body)


def test_new_item_appears_while_the_moderator_works_in_the_queue(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
    storage_states: dict[str, Any],
) -> None:
    cid, slug = _pre_moderated(live_settings)
    first = arrange(_held_comment(live_settings, cid, people["a"].user_id, "Mehr Licht am Kreideberg."))
    moderator = _open_queue(contexts(_demo(storage_states, "moderator")), live_server, cid)
    _item(moderator, first).get_by_role("button", name="Übernehmen").click()
    wait_for_htmx(moderator)
    expect(moderator.locator(f"#decision-{first}")).to_be_visible()  # focus is in the queue now

    text = f"Ein Spielplatz am Kreideberg ({unique('s')})."
    resident = contexts(people["a"]).new_page()
    resident.goto(f"{live_server}/vorhaben/{slug}")
    wait_for_htmx(resident)
    resident.locator("#comment-new-body").fill(text)
    resident.locator("#comment-new button[type=submit]").click()
    expect(resident.locator("#sr-status")).to_contain_text("wartet auf Freigabe", timeout=LIVE_TIMEOUT)
    # The moderator is working on an item: the queue is not replaced under them, a button offers
    # the change instead (announced with the other live changes); the decision form stays.
    notice = moderator.locator("#queue .live-notice")
    expect(notice).to_contain_text("Änderung in der Warteschlange", timeout=8_000)
    expect(moderator.locator(f"#decision-{first}")).to_be_visible()
    notice.focus()
    moderator.keyboard.press("Enter")
    expect(moderator.locator("#queue")).to_contain_text(text, timeout=8_000)
    assert_accessible(moderator, "queue after showing the new item")
