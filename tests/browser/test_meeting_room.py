"""The meeting room in a real browser (issue 6): staff create a meeting through the form and run
it while a resident and a guest take part in other browsers: start, agenda, a question through
the moderation, upvotes, spotlight and answer, a poll (one voter on the keyboard), the speaker
list with its countdown, the end and the published minutes, all live without reloads. axe in light
and dark on the room for staff, a participant and a guest, the presenter view and the minutes.
Without JavaScript: ask, upvote, vote and ask to speak as full page posts. The presenter view
updates live and talks to nobody but the server; the video loads only after a click."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person, arrange, assert_accessible, login, unique, wait_for_htmx
from tests.browser.test_a11y_pages import SCHEMES
from tests.browser.test_moderation_queue import _demo
from tests.browser.test_participation_flow import (
    HtmlAxe,
    _assert_no_reload,
    _focused,
    _mark,
    _submit_and_follow,
    _watch_errors,
    contexts,  # noqa: F401 - fixture
)
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000
STAFF_EMAIL = "verwaltung@demo.beteiligung.invalid"
STAFF_NAME = "Stabsstelle Stadtentwicklung"
VIDEO_URL = "https://meet.jit.si/lueneburg-browsertest"


@pytest.fixture(scope="module")
def staff(browser: Any, live_server: str) -> Person:
    """The demo's staff account (Verwaltung), logged in once through the form."""
    context = browser.new_context()
    try:
        page = context.new_page()
        login(page, live_server, STAFF_EMAIL)
        return Person(STAFF_EMAIL, STAFF_NAME, 0, context.storage_state())
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def _open(context: Any, url: str, height: int = 900) -> Any:
    page = context.new_page()
    page.set_viewport_size({"width": 1100, "height": height})
    page.__dict__["_errors"] = _watch_errors(page)
    page.goto(url)
    _connected(page)
    return page


def _connected(page: Any) -> None:
    expect(page.locator("#live[data-live-connected]")).to_have_count(1, timeout=LIVE_TIMEOUT)
    wait_for_htmx(page)


def _idle(page: Any) -> None:
    """Focus on a link outside the live parts: live changes replace the parts (app.js offers
    them behind a button to whoever has focus in a part; a blur alone is not enough, its
    focus restoring would put focus back into a refreshed part)."""
    page.locator("main a[href='/veranstaltungen']").first.focus()


def _axe_both(page: Any, label: str) -> None:
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page, f"{scheme} {label}")
    page.emulate_media(color_scheme="light")


def _part(page: Any, mid: int, part: str) -> Any:
    return page.locator(f"#meeting-{mid}-{part}")


def _no_errors(*pages: Any) -> None:
    found = [e for p in pages for e in p.__dict__.get("_errors", [])]
    assert not found, found


def _local(days: int, hour: int) -> str:
    from beteiligung.db import utcnow

    day = utcnow() + timedelta(days=days)
    return f"{day:%Y-%m-%d}T{hour:02d}:00"


# ---------------------------------------------------------------------------------------------
# 1 + 2. The whole meeting with JavaScript, axe on the way
# ---------------------------------------------------------------------------------------------
def test_whole_meeting_in_the_browser(
    contexts: Any,  # noqa: F811
    live_server: str,
    people: dict[str, Person],
    storage_states: dict[str, Any],
    staff: Person,
) -> None:
    base = live_server
    a = people["a"]
    title = f"Bürgerversammlung Wasserviertel {unique('v')}"
    question = f"Wann wird die Brücke am Stintmarkt saniert? {unique('q')}"
    poll_question = "Soll der Lösecke-Platz autofrei werden?"

    # Staff create the meeting through the form: a first attempt with errors (422, beside the fields)
    s = contexts(staff).new_page()
    s.set_viewport_size({"width": 1100, "height": 900})
    s.__dict__["_errors"] = _watch_errors(s)
    s.goto(base + "/verwaltung/veranstaltungen/neu")
    s.locator("#meeting-starts_at").fill(_local(1, 18))
    s.locator("#meeting-ends_at").fill(_local(1, 17))
    s.locator("#meeting-agenda").fill(
        "Begrüßung\nVerkehr im Wasserviertel: Wie geht es weiter?\nFragen aus dem Publikum"
    )
    with s.expect_response(lambda r: r.url.endswith("/verwaltung/veranstaltungen/neu")) as refused:
        s.locator("#meeting button[type=submit]").click()
    assert refused.value.status == 422
    expect(s.locator("#meeting-errors")).to_be_visible()
    for name in ("title", "ends_at"):
        field = s.locator(f"#meeting-{name}")
        assert field.get_attribute("aria-invalid") == "true", name
        assert f"meeting-{name}-error" in (field.get_attribute("aria-describedby") or "")
    expect(s.locator("#meeting-ends_at-error")).to_contain_text("nach dem Beginn")
    expect(s.locator("#meeting-agenda")).to_have_value(re.compile("Verkehr im Wasserviertel"))  # kept
    assert_accessible(s, "meeting form with errors")

    s.locator("#meeting-title").fill(title)
    s.locator("#meeting-ends_at").fill(_local(1, 20))
    s.locator("#meeting-question_moderation").select_option("pre")
    s.locator("#meeting-allow_guests").check()
    s.locator("#meeting button[type=submit]").click()
    s.wait_for_url(re.compile(r"/veranstaltungen/\d+$"))
    mid = int(s.url.rsplit("/", 1)[1])
    room = f"{base}/veranstaltungen/{mid}"
    expect(s.locator("h1")).to_have_text(title)
    _connected(s)

    # A resident and a guest open the room; the guest chooses a name first
    pa = _open(contexts(a), room)
    pb = _open(contexts(), room)
    expect(pb.locator("#guest-heading")).to_be_visible()
    _axe_both(pb, "meeting room, guest before choosing a name")
    pb.locator("#guest-name").fill("Ilse vom Sande")
    pb.locator("#guest button[type=submit]").click()
    expect(_part(pb, mid, "state")).to_contain_text("Sie nehmen als Gast „Ilse vom Sande“ teil.")
    _connected(pb)
    for p in (pa, pb):
        expect(_part(p, mid, "state")).to_contain_text("Geplant")
        _mark(p)

    # Staff start: both see "Läuft jetzt" without a reload, on the first agenda item
    _part(s, mid, "state").get_by_role("button", name="Veranstaltung starten").click()
    expect(_part(s, mid, "state")).to_contain_text("Läuft jetzt")
    for p in (pa, pb):
        expect(_part(p, mid, "state")).to_contain_text("Läuft jetzt", timeout=LIVE_TIMEOUT)
        expect(_part(p, mid, "agenda")).to_contain_text("Jetzt: Begrüßung", timeout=LIVE_TIMEOUT)
        _assert_no_reload(p, "meeting started")

    # … and move to the next agenda item
    expect(_part(s, mid, "agenda").get_by_role("button", name="Zum nächsten Punkt")).to_be_visible(
        timeout=LIVE_TIMEOUT
    )
    _part(s, mid, "agenda").get_by_role("button", name="Zum nächsten Punkt").click()
    for p in (pa, pb):
        expect(_part(p, mid, "agenda")).to_contain_text(
            "Jetzt: Verkehr im Wasserviertel", timeout=LIVE_TIMEOUT
        )
        expect(_part(p, mid, "agenda").locator("[aria-current=step]")).to_contain_text("Verkehr")

    # A asks (pre-moderated: only A sees it, waiting); the moderator approves it in /moderation
    expect(pa.locator("#question-new-body")).to_be_visible(timeout=LIVE_TIMEOUT)
    pa.locator("#question-new-body").fill(question)
    pa.locator("#question-new button[type=submit]").click()
    wait_for_htmx(pa)
    mine = _part(pa, mid, "questions").locator("li.meeting-question", has_text=question)
    expect(mine).to_contain_text("Wartet auf Freigabe")
    qid = int(str(mine.get_attribute("id")).rsplit("-", 1)[1])
    expect(pa.locator("#sr-status")).to_contain_text("wartet auf Freigabe")
    assert question not in _part(pb, mid, "questions").inner_text()
    _idle(pa)

    mod = contexts(_demo(storage_states, "moderator")).new_page()
    mod.goto(f"{base}/moderation?verfahren=ohne")
    _connected(mod)
    item = mod.locator("#queue li.queue-item", has_text=question)
    expect(item).to_have_count(1, timeout=LIVE_TIMEOUT)
    item.get_by_role("button", name="Übernehmen").click()
    review_id = int(str(item.get_attribute("id")).rsplit("-", 1)[1])
    mod.locator(f"#decision-{review_id}-decision").select_option("approve")
    mod.locator(f"#decision-{review_id}").get_by_role("button", name="Entscheiden").click()
    expect(mod.locator("#sr-status")).to_contain_text("freigegeben")
    mod.context.close()

    # B sees it live and upvotes; A's count follows live
    theirs = pb.locator(f"#frage-{qid}")
    expect(theirs).to_contain_text(question, timeout=LIVE_TIMEOUT)
    _assert_no_reload(pb, "approved question")
    expect(pa.locator(f"#frage-{qid}")).not_to_contain_text("Wartet auf Freigabe", timeout=LIVE_TIMEOUT)
    theirs.get_by_role("button", name=re.compile("Frage unterstützen")).click()
    wait_for_htmx(pb)
    expect(pb.locator(f"#frage-{qid}-stimme")).to_have_attribute("aria-pressed", "true")
    expect(pb.locator(f"#frage-{qid}-stimme")).to_contain_text("(1)")
    expect(pa.locator(f"#frage-{qid}")).to_contain_text("1 Stimme", timeout=LIVE_TIMEOUT)
    _assert_no_reload(pa, "upvote")

    # Staff spotlight it (participants see it in the spotlight) and answer it with a note
    _idle(pb)
    staff_q = s.locator(f"#frage-{qid}")
    expect(staff_q).to_contain_text(question, timeout=LIVE_TIMEOUT)
    staff_q.get_by_role("button", name=re.compile("^Wird beantwortet")).click()
    wait_for_htmx(s)
    for p in (pa, pb):
        expect(_part(p, mid, "spotlight")).to_contain_text(question, timeout=LIVE_TIMEOUT)
        expect(_part(p, mid, "spotlight")).to_contain_text("Wird gerade beantwortet")
    expect(_part(s, mid, "spotlight")).to_contain_text(question, timeout=LIVE_TIMEOUT)
    s.locator(f"#spotlight-answer-{qid}-notiz").fill("Die Sanierung beginnt im Frühjahr 2028.")
    _part(s, mid, "spotlight").get_by_role("button", name="Als beantwortet markieren").click()
    wait_for_htmx(s)
    for p in (pa, pb):
        expect(p.locator(f"#frage-{qid}.meeting-question--answered")).to_contain_text(
            "Frühjahr 2028", timeout=LIVE_TIMEOUT
        )
        expect(_part(p, mid, "spotlight")).not_to_contain_text(question)

    # Staff prepare and open a poll; participants see the fieldset live
    _idle(s)
    poll_part = _part(s, mid, "poll")
    poll_part.locator("summary", has_text="Neue Abstimmung vorbereiten").click()
    s.locator("#poll-question").fill(poll_question)
    s.locator("#poll-options").fill("Ja\nNein\nNur am Wochenende")
    s.locator("#poll-results").select_option("live")
    poll_part.get_by_role("button", name="Als Entwurf anlegen").click()
    wait_for_htmx(s)
    poll_part.get_by_role("button", name=re.compile("^Abstimmung öffnen")).click()
    wait_for_htmx(s)
    expect(poll_part.get_by_role("button", name=re.compile("^Abstimmung schließen"))).to_be_visible()
    for p in (pa, pb):
        legend = _part(p, mid, "poll").locator("fieldset legend")
        expect(legend).to_have_text(poll_question, timeout=LIVE_TIMEOUT)
        _assert_no_reload(p, "poll opened")
    _axe_both(s, "meeting room for staff (open poll, answered question)")
    _axe_both(pb, "meeting room for a guest participant (open poll, questions)")

    # A votes with the mouse, B with the keyboard alone; results as text
    _part(pa, mid, "poll").get_by_label("Ja", exact=True).check()
    _part(pa, mid, "poll").get_by_role("button", name=re.compile("^Abstimmen")).click()
    wait_for_htmx(pa)
    expect(_part(pa, mid, "poll")).to_contain_text("Vielen Dank, Ihre Stimme ist gezählt.")
    expect(_part(pa, mid, "poll")).to_contain_text("Ja: 1 Stimme (100 %)")
    _idle(pa)

    pb.locator(f"#meeting-{mid}-poll fieldset input[type=radio]").first.focus()
    pb.keyboard.press("ArrowDown")  # moves to and selects "Nein"
    assert pb.evaluate("document.activeElement.labels[0].textContent.trim()") == "Nein"
    pb.keyboard.press("Tab")
    assert "Abstimmen" in pb.evaluate("document.activeElement.textContent")
    with pb.expect_response(lambda r: r.url.endswith("/stimme")) as voted:
        pb.keyboard.press("Enter")
    assert voted.value.status == 200
    wait_for_htmx(pb)
    expect(_part(pb, mid, "poll")).to_contain_text(
        "Vielen Dank, Ihre Stimme ist gezählt.", timeout=LIVE_TIMEOUT
    )
    for p in (pa, pb):
        results = _part(p, mid, "poll").locator(".poll-results")
        expect(results).to_contain_text("Ja: 1 Stimme (50 %)", timeout=LIVE_TIMEOUT)
        expect(results).to_contain_text("Nein: 1 Stimme (50 %)")
        expect(results).to_contain_text("Nur am Wochenende: 0 Stimmen (0 %)")
    _idle(pb)

    # Staff close it: the participants see the final result under the closed polls
    _idle(s)
    _part(s, mid, "poll").get_by_role("button", name=re.compile("^Abstimmung schließen")).click()
    wait_for_htmx(s)
    for p in (pa, pb):
        closed = _part(p, mid, "poll").locator(".poll--closed", has_text=poll_question)
        expect(closed).to_contain_text("Nein: 1 Stimme (50 %)", timeout=LIVE_TIMEOUT)
        expect(_part(p, mid, "poll").locator("fieldset")).to_have_count(0)

    # A asks to speak; staff see it live and call A; the countdown runs
    _part(pa, mid, "speakers").get_by_role("button", name="Zu Wort melden").click()
    wait_for_htmx(pa)
    expect(_part(pa, mid, "speakers")).to_contain_text("Sie sind Nr. 1 auf der Redeliste.")
    _idle(pa)
    expect(_part(pb, mid, "speakers")).to_contain_text(a.name, timeout=LIVE_TIMEOUT)
    _axe_both(pa, "meeting room for a resident (speaker list, closed poll, answered question)")
    call = _part(s, mid, "speakers").get_by_role("button", name=re.compile("^Nächste Wortmeldung aufrufen"))
    expect(call).to_contain_text(a.name, timeout=LIVE_TIMEOUT)
    call.click()
    wait_for_htmx(s)
    expect(_part(pa, mid, "speakers")).to_contain_text("Sie haben das Wort.", timeout=LIVE_TIMEOUT)
    for p in (pa, pb, s):
        speakers = _part(p, mid, "speakers")
        expect(speakers.locator(".meeting-speakers__current")).to_contain_text(a.name, timeout=LIVE_TIMEOUT)
        expect(speakers.locator("[role=timer]")).to_have_text(re.compile(r"^noch \d+:\d\d$"))
        expect(speakers).to_contain_text("Redezeit bis")
    _axe_both(pa, "meeting room for the speaker (countdown)")

    # Staff end the meeting (first without ticking the confirmation: refused, error beside the
    # box, focus on it); the participants see it; the minutes are drafted
    _idle(s)
    _part(s, mid, "state").get_by_role("button", name="Veranstaltung beenden").click()
    confirm = _part(s, mid, "state").get_by_label("Ich möchte die Veranstaltung jetzt beenden")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    wait_for_htmx(s)
    assert s.evaluate("document.activeElement.id") == f"meeting-{mid}-end-confirm", _focused(s)
    _axe_both(s, "meeting room, ending without the confirmation")
    for p in (pa, pb):
        expect(_part(p, mid, "state")).to_contain_text("Läuft jetzt")
    confirm.check()
    _part(s, mid, "state").get_by_role("button", name="Veranstaltung beenden").click()
    for p in (pa, pb):
        expect(_part(p, mid, "state")).to_contain_text("Beendet", timeout=LIVE_TIMEOUT)
        expect(_part(p, mid, "speakers")).to_contain_text(
            "Die Redeliste ist geschlossen.", timeout=LIVE_TIMEOUT
        )
        _assert_no_reload(p, "meeting ended")

    # Staff edit and publish the minutes; the participants open them
    s.goto(f"{base}/verwaltung/veranstaltungen/{mid}/protokoll")
    text = s.locator("#minutes-minutes")
    expect(text).to_have_value(re.compile(re.escape(question)))  # the draft has the question …
    assert poll_question in text.input_value()  # … and the poll
    text.fill(text.input_value() + "\n\nNachtrag: Die Präsentation steht ab Montag online.")
    s.get_by_role("button", name="Veröffentlichen").click()
    s.wait_for_url(f"{base}/verwaltung/veranstaltungen/{mid}/protokoll")
    expect(s.locator("main")).to_contain_text("Das Protokoll ist veröffentlicht.")
    assert_accessible(s, "minutes editor, published")

    for p in (pa, pb):
        link = _part(p, mid, "state").get_by_role("link", name="Protokoll der Veranstaltung lesen")
        expect(link).to_be_visible(timeout=LIVE_TIMEOUT)  # the room links them, live
        _assert_no_reload(p, "minutes published")
        link.click()
        p.wait_for_url(f"{room}/protokoll")
        expect(p.locator("h1")).to_contain_text(title)
        expect(p.locator(".minutes__body")).to_contain_text(
            "Nachtrag: Die Präsentation steht ab Montag online."
        )
        expect(p.locator(".minutes__body")).to_contain_text(question)
        assert p.locator(".minutes__draft").count() == 0
    _axe_both(pb, "published minutes")
    _no_errors(s, pa, pb)


# ---------------------------------------------------------------------------------------------
# 3. Without JavaScript
# ---------------------------------------------------------------------------------------------
async def _open_poll_and_question(settings: Any, mid: int, author: Person) -> tuple[int, int]:
    """A public question by ``author`` and an open poll in the meeting."""
    from beteiligung.db import utcnow
    from beteiligung.meetings.models import (
        MeetingPoll,
        MeetingPollOption,
        MeetingQuestion,
        PollResults,
        PollState,
    )

    async def add(db: Any) -> tuple[int, int]:
        q = MeetingQuestion(
            meeting_id=mid,
            author_id=author.user_id,
            voter_key=f"u:{author.user_id}",
            body="Gibt es eine Aufzeichnung der Veranstaltung?",
            submission_key=unique("k"),
        )
        poll = MeetingPoll(
            meeting_id=mid,
            question="Welcher Termin passt für das nächste Treffen?",
            state=PollState.OPEN,
            results=PollResults.LIVE,
            opened_at=utcnow(),
        )
        poll.options = [
            MeetingPollOption(position=1, label="Dienstagabend"),
            MeetingPollOption(position=2, label="Samstagvormittag"),
        ]
        db.add_all([q, poll])
        await db.flush()
        return int(q.id), int(poll.id)

    return await run_sql(settings, add)  # type: ignore[no-any-return]


def test_taking_part_without_javascript(
    browser: Any,
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Person],
) -> None:
    mid = arrange(
        make_meeting(
            live_settings, title="Stadtteilforum Kaltenmoor", state="live", question_moderation="post"
        )
    )
    qid, _pid = arrange(_open_poll_and_question(live_settings, mid, people["a"]))
    room = f"{live_server}/veranstaltungen/{mid}"
    page = contexts(people["b"], js=False).new_page()
    checker = HtmlAxe(browser)
    try:
        page.goto(room)
        expect(page.locator("h1")).to_have_text("Stadtteilforum Kaltenmoor")

        # ask: the question is there after the redirect (public or, held by the automatic
        # checks, shown to its asker as waiting)
        body = f"Wie komme ich barrierefrei zum Saal? {unique('q')}"
        page.locator("#question-new-body").fill(body)
        _submit_and_follow(page, page.locator("#question-new button[type=submit]"))
        expect(page.locator("main")).to_contain_text(
            re.compile("Ihre Frage (ist veröffentlicht|wartet auf Freigabe)")
        )
        expect(page.locator(f"#meeting-{mid}-questions")).to_contain_text(body)

        # upvote someone else's question
        vote = page.locator(f"#frage-{qid}-stimme")
        expect(vote).to_have_attribute("aria-pressed", "false")
        _submit_and_follow(page, vote)
        expect(page.locator(f"#frage-{qid}-stimme")).to_have_attribute("aria-pressed", "true")
        expect(page.locator(f"#frage-{qid}-stimme")).to_contain_text("(1)")

        # vote in the open poll
        poll = page.locator(f"#meeting-{mid}-poll")
        poll.get_by_label("Samstagvormittag").check()
        _submit_and_follow(page, poll.get_by_role("button", name=re.compile("^Abstimmen")))
        poll = page.locator(f"#meeting-{mid}-poll")
        expect(poll).to_contain_text("Vielen Dank, Ihre Stimme ist gezählt.")
        expect(poll).to_contain_text("Samstagvormittag: 1 Stimme (100 %)")

        # ask to speak
        speakers = page.locator(f"#meeting-{mid}-speakers")
        _submit_and_follow(page, speakers.get_by_role("button", name="Zu Wort melden"))
        expect(page.locator(f"#meeting-{mid}-speakers")).to_contain_text("Sie sind Nr. 1 auf der Redeliste.")
        expect(page.locator(f"#meeting-{mid}-speakers")).to_contain_text(people["b"].name)
        checker.check(page, "meeting room after taking part")
    finally:
        checker.close()


# ---------------------------------------------------------------------------------------------
# 4. Presenter view and the video: nothing leaves for other origins
# ---------------------------------------------------------------------------------------------
def test_presenter_view_is_live_and_first_party_only(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    staff: Person,
) -> None:
    from beteiligung.meetings.models import VideoKind

    mid = arrange(
        make_meeting(
            live_settings,
            title="Online-Sprechstunde Klimaplan",
            state="live",
            video_kind=VideoKind.JITSI,
            video_url=VIDEO_URL,
        )
    )
    origin = urlsplit(live_server)
    room = f"{live_server}/veranstaltungen/{mid}"

    def watch(page: Any) -> list[str]:
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url))
        return urls

    # The presenter view (anonymous, as on a projector's laptop)
    presenter = contexts().new_page()
    presenter.set_viewport_size({"width": 1280, "height": 800})
    presenter.__dict__["_errors"] = _watch_errors(presenter)
    seen = watch(presenter)
    presenter.goto(f"{room}/praesentation")
    _connected(presenter)
    _mark(presenter)
    agenda = presenter.locator(f"#presenter-{mid}-agenda")
    expect(agenda).to_contain_text("Begrüßung")
    expect(presenter.locator(".presenter-join__url")).to_contain_text(f"/veranstaltungen/{mid}")
    expect(presenter.locator(".presenter-qr svg")).to_have_count(1)
    _axe_both(presenter, "presenter view")

    s = _open(contexts(staff), room)
    _part(s, mid, "agenda").get_by_role("button", name="Zum nächsten Punkt").click()
    expect(agenda).to_contain_text("Stadt der Arbeit und Ideen", timeout=LIVE_TIMEOUT)
    expect(agenda).to_contain_text("Punkt 2 von 3")
    _assert_no_reload(presenter, "agenda item changed")
    foreign = [u for u in seen if not u.startswith("data:") and urlsplit(u).netloc != origin.netloc]
    assert foreign == [], f"presenter view: requests to other origins: {foreign}"
    assert any("/praesentation/live/" in u for u in seen), "the agenda was not re-fetched"

    # The room with a video link: nothing goes to the video's server before the click
    visitor = contexts().new_page()
    requests = watch(visitor)
    visitor.goto(room)
    _connected(visitor)
    embed = visitor.get_by_role("link", name="Videokonferenz hier einbetten")
    expect(embed).to_be_visible()
    expect(visitor.locator("iframe")).to_have_count(0)
    visitor.wait_for_timeout(300)
    assert not [u for u in requests if "meet.jit.si" in u], requests
    blocked: list[str] = []

    def block(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    visitor.route("https://meet.jit.si/**", block)
    embed.click()
    frame = visitor.locator("#video iframe")
    expect(frame).to_have_attribute("src", VIDEO_URL)
    expect(frame).to_have_attribute("title", re.compile("Videokonferenz"))
    _no_errors(presenter, s)


def test_embedded_video_loads_after_the_click(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
) -> None:
    from beteiligung.meetings.models import VideoKind

    mid = arrange(
        make_meeting(
            live_settings, title="Sprechstunde", state="live", video_kind=VideoKind.JITSI, video_url=VIDEO_URL
        )
    )
    visitor = contexts().new_page()
    messages = _watch_errors(visitor)
    blocked: list[str] = []

    def block(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    visitor.route("https://meet.jit.si/**", block)
    visitor.goto(f"{live_server}/veranstaltungen/{mid}")
    assert blocked == []
    visitor.get_by_role("link", name="Videokonferenz hier einbetten").click()
    expect(visitor.locator("#video iframe")).to_have_attribute("src", VIDEO_URL)
    for _ in range(30):
        if blocked:
            break
        visitor.wait_for_timeout(100)
    assert blocked and blocked[0].startswith(VIDEO_URL), (blocked, messages)
