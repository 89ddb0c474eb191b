"""What a resident is told when posting, on both databases (issue 20, items 4 to 6):

* the forms say what happens in this consultation's moderation mode (pre-moderated: checked
  before it goes public; post-moderated: public at once), and a held post is confirmed with an
  information, not a green "Erledigt";
* a post held by an automatic check names the rule in plain words and what happens next, in the
  confirmation and on the author's own view of the held item (proposal, comment, meeting question);
* a form sent with errors twice (htmx) shows exactly one error summary: the summary is inside the
  form the answer replaces.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from beteiligung.meetings.models import MeetingQuestion
from beteiligung.moderation.models import Review
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql

SLUG = "isek-2030"
PROPOSAL = {
    "title": "Wasserspender am Sande",
    "body": "Trinkwasser für alle im Sommer, gerade an heißen Markttagen.",
    "topic": "",
    "place": "",
}
RATE = "Sie haben in den letzten 10 Minuten viele Beiträge geschrieben."
NEXT = "Wie geht es weiter? Die Moderation sieht sich Ihren Beitrag an."
PRE = "In diesem Verfahren sieht sich die Moderation jeden Beitrag vor der Veröffentlichung an."


def _alerts(html: str) -> list[str]:
    """The kinds of the page's alerts (flash messages): success, info, warning, danger."""
    return re.findall(r'class="kern-alert kern-alert--(\w+)', html)


def alert_of(html: str, text: str) -> tuple[str, str]:
    """(kind, content) of the first alert that contains ``text``."""
    for part in html.split('class="kern-alert kern-alert--')[1:]:
        kind, _, rest = part.partition('"')
        header, _, body = rest.partition("kern-alert__body")
        content = header + body.split("</div>", 1)[0]
        if text in content:
            return kind, content
    raise AssertionError(f"no alert with {text!r}")


async def _moderation_settings(settings: Any, **values: Any) -> None:
    async def arrange(db: Any) -> None:
        from beteiligung.moderation.models import ModerationSettings
        from beteiligung.organisations.models import Organisation

        org = (await db.scalars(select(Organisation))).first()
        defaults: dict[str, Any] = {
            "flag_threshold": 3,
            "max_links": 2,
            "new_account_hours": 24,
            "new_account_posts_per_hour": 3,
            "posts_per_ten_minutes": 10,
            "blocklist": "",
        }
        db.add(ModerationSettings(organisation_id=org.id, **(defaults | values)))

    await run_sql(settings, arrange)


async def _propose(client: Any, data: dict[str, str] | None = None) -> Any:
    return await post_form(client, f"/vorhaben/{SLUG}/vorschlaege/neu", data or PROPOSAL)


# ---------------------------------------------------------------------------------------------
# Item 4: the form and the confirmation say what happens in this consultation's mode
# ---------------------------------------------------------------------------------------------
async def test_pre_moderated_proposal_form_and_confirmation_say_it_is_checked_first(client, settings):
    await make_consultation(settings, moderation_mode="pre")
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await login(client, "a@example.org")
    form = await client.get(f"/vorhaben/{SLUG}/vorschlaege/neu")
    assert form.status_code == 200
    assert "erscheint sofort öffentlich" not in form.text
    assert "wird vor der Veröffentlichung von der Moderation geprüft" in form.text
    assert "Vorschlag zur Prüfung einreichen" in form.text and "Vorschlag veröffentlichen" not in form.text

    r = await _propose(client)
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    kind, content = alert_of(page.text, "wartet auf Freigabe durch die Moderation")
    assert kind == "info" and "Erledigt" not in content and "Information" in content
    assert PRE in content
    assert "Gibt sie ihn frei, erscheint er öffentlich, und Sie erhalten eine Mitteilung." in page.text


async def test_post_moderated_proposal_form_says_public_at_once(client, settings):
    await make_consultation(settings)  # post-moderation is the default
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await login(client, "a@example.org")
    form = await client.get(f"/vorhaben/{SLUG}/vorschlaege/neu")
    assert "erscheint sofort öffentlich" in form.text and "Vorschlag veröffentlichen" in form.text
    r = await _propose(client)
    page = await client.get(r.headers["location"])
    assert alert_of(page.text, "Ihr Vorschlag ist veröffentlicht.")[0] == "success"


async def test_pre_moderated_comment_form_and_confirmation(client, settings):
    await make_consultation(settings, moderation_mode="pre")
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="mod@example.org", display_name="Kim", role="moderator")
    await login(client, "a@example.org")
    page = await client.get(f"/vorhaben/{SLUG}")
    assert "prüft die Moderation jeden Kommentar vor der Veröffentlichung" in page.text
    assert "Kommentar zur Prüfung senden" in page.text and "Kommentar veröffentlichen" not in page.text
    r = await post_form(
        client, f"/vorhaben/{SLUG}/kommentare", {"body": "Ein Café am Stintmarkt wäre schön."}
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"].split("#")[0])
    assert alert_of(page.text, PRE)[0] == "info"
    await post_form(client, "/abmelden", {})
    # Moderators publish at once: their form says nothing about a check.
    await login(client, "mod@example.org")
    page = await client.get(f"/vorhaben/{SLUG}")
    assert "Kommentar veröffentlichen" in page.text and "Kommentar zur Prüfung senden" not in page.text


async def test_held_meeting_question_is_confirmed_as_information(client, settings):
    meeting_id = await make_meeting(settings, state="live")  # pre-moderated
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await login(client, "a@example.org")
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": "Wann kommt der Radweg?"})
    assert r.status_code == 303
    page = await client.get(r.headers["location"].split("#")[0])
    kind, _content = alert_of(
        page.text, "In dieser Veranstaltung sieht sich die Moderation jede Frage vor der Veröffentlichung an."
    )
    assert kind == "info"


# ---------------------------------------------------------------------------------------------
# Item 5: an automatic check names its rule and what happens next
# ---------------------------------------------------------------------------------------------
async def test_rate_check_tells_the_author_why_and_what_next(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await _moderation_settings(settings, posts_per_ten_minutes=1)
    await login(client, "a@example.org")
    r = await post_form(client, f"/vorhaben/{SLUG}/kommentare", {"body": "Der erste Beitrag ist öffentlich."})
    assert r.status_code == 303
    r = await _propose(client)
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    page = await client.get(f"/vorschlaege/{pid}")
    kind, content = alert_of(page.text, "Vielen Dank! Ihr Vorschlag wartet auf Freigabe")
    assert kind == "info" and RATE in content and NEXT in content

    # The author's own view of the held proposal, later: the same reason.
    page = await client.get(f"/vorschlaege/{pid}")
    assert "Wartet auf Freigabe" in page.text and RATE in page.text and NEXT in page.text

    # A comment held by the same rule: its confirmation and the author's thread.
    r = await post_form(client, f"/vorhaben/{SLUG}/kommentare", {"body": "Noch ein Gedanke zum Verfahren."})
    page = await client.get(r.headers["location"].split("#")[0])
    assert alert_of(page.text, RATE)[0] == "info"
    page = await client.get(f"/vorhaben/{SLUG}")
    assert RATE in page.text and "Noch ein Gedanke" in page.text

    async def reasons(db: Any) -> list[str]:
        return [r.auto_reasons for r in await db.scalars(select(Review).order_by(Review.id))]

    assert await run_sql(settings, reasons) == ["rate", "rate"]


async def test_links_and_blocklist_are_named_not_the_term(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await _moderation_settings(settings, blocklist="Halunken", max_links=1)
    await login(client, "a@example.org")
    body = "Diese Halunken! Siehe https://a.example und https://b.example für mehr."
    r = await post_form(client, f"/vorhaben/{SLUG}/kommentare", {"body": body})
    page = await client.get(r.headers["location"].split("#")[0])
    kind, content = alert_of(page.text, "Ihr Text enthält mehrere Links.")
    assert kind == "info"
    assert "Ihr Text enthält einen Begriff, bei dem die Moderation den Beitrag" in content
    assert "Halunken" not in content  # the blocklist stays the moderation's


async def test_held_meeting_question_names_the_check_for_its_asker(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post")
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await login(client, "a@example.org")
    links = "Siehe https://a.example, https://b.example und https://c.example – was sagt die Stadt?"
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": links}, htmx=True)
    assert r.status_code == 200 and "Ihr Text enthält mehrere Links." in r.text
    qid = await run_sql(settings, lambda db: db.scalar(select(MeetingQuestion.id)))
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    item = page.text.split(f'id="frage-{qid}"', 1)[1].split("</li>", 1)[0]
    assert "Wartet auf Freigabe" in item and "Ihr Text enthält mehrere Links." in item and NEXT in item


# ---------------------------------------------------------------------------------------------
# Item 6: one error summary after any number of failed sends
# ---------------------------------------------------------------------------------------------
def _summaries(html: str) -> int:
    return html.count("error-summary")


async def test_proposal_form_errors_replace_the_summary_with_htmx(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await login(client, "a@example.org")
    url = f"/vorhaben/{SLUG}/vorschlaege/neu"
    empty = {"title": "", "body": "", "topic": "", "place": ""}
    for data in (empty, {**empty, "title": "x" * 5000}):
        r = await post_form(client, url, data, htmx=True)
        assert r.status_code == 422
        fragment = r.text.strip()
        # The answer replaces the form (hx-target="this", outerHTML): it must be one <form> that
        # holds its own summary, or every failed send adds a summary next to the form.
        assert fragment.startswith('<form id="proposal"') and fragment.endswith("</form>"), fragment[:200]
        assert _summaries(fragment) == 1
        assert "Bitte korrigieren Sie 2 Angaben" in fragment
    # Without JavaScript: the whole page, one summary.
    page = await post_form(client, url, empty)
    assert page.status_code == 422 and _summaries(page.text) == 1
    # The field carries its server-side maximum.
    form = await client.get(url)
    assert 'maxlength="150"' in form.text


async def test_comment_and_question_forms_swap_the_part_that_holds_the_summary(client, settings):
    await make_consultation(settings)
    meeting_id = await make_meeting(settings, state="live")
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await login(client, "a@example.org")
    for _ in range(2):
        r = await post_form(client, f"/vorhaben/{SLUG}/kommentare", {"body": ""}, htmx=True)
        assert r.status_code == 422
        assert r.text.strip().startswith('<section id="comments"') and _summaries(r.text) == 1
        r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": ""}, htmx=True)
        assert r.status_code == 422
        assert r.text.strip().startswith(f'<section id="meeting-{meeting_id}-questions"')
        assert _summaries(r.text) == 1
