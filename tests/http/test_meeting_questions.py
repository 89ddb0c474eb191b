"""The meeting room's live Q&A through HTTP, on both databases: asking with and without JS and
with bad input, pre- and post-moderation through the moderation queue (held questions invisible
to everyone but their asker, nothing public published until approved), upvotes once each, guests,
the sort, staff spotlight and answers, the role table of the staff route and an ended meeting."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, select

from beteiligung.live.events import MeetingQuestionsChanged, ReviewQueueChanged
from beteiligung.meetings.models import Meeting, MeetingQuestion, MeetingQuestionVote, QuestionStatus
from beteiligung.moderation.models import ModerationLog, Review
from beteiligung.notifications.models import Notification
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

HX = {"HX-Request": "true"}
QUESTION = "Wann wird der Radweg an der Ilmenau durchgehend befahrbar sein?"


async def _logout(client: Any) -> None:
    await post_form(client, "/abmelden", {})


async def _users(settings: Any) -> None:
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await make_user(settings, email="mod@example.org", display_name="Moderation Kim", role="moderator")
    await make_user(settings, email="staff@example.org", display_name="Stadtentwicklung", role="staff")


async def _ask(client: Any, meeting_id: int, body: str = QUESTION, **extra: Any) -> int:
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": body, **extra})
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"/veranstaltungen/{meeting_id}")
    return int(r.headers["location"].rsplit("#frage-", 1)[1])


async def _question(settings: Any, question_id: int) -> MeetingQuestion:
    async def q(db: Any) -> MeetingQuestion:
        return await db.get(MeetingQuestion, question_id)  # type: ignore[no-any-return]

    return await run_sql(settings, q)  # type: ignore[no-any-return]


async def _scalar(settings: Any, stmt: Any) -> Any:
    async def q(db: Any) -> Any:
        return await db.scalar(stmt)

    return await run_sql(settings, q)


async def _approve(client: Any, settings: Any, question_id: int, **data: str) -> Any:
    review_id = await _scalar(settings, select(Review.id).where(Review.meeting_question_id == question_id))
    r = await post_form(client, f"/moderation/{review_id}/uebernehmen", {})
    assert r.status_code == 303, r.text
    return await post_form(client, f"/moderation/{review_id}/entscheidung", data or {"decision": "approve"})


async def test_ask_without_js_and_with_htmx_and_bad_input(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post")
    await _users(settings)
    await login(client, "a@example.org")
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert page.status_code == 200 and "Frage stellen" in page.text and "0 Fragen" in page.text

    # Empty, too long, an unknown agenda item: 422 with the error beside the field, values kept.
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": "  "})
    assert r.status_code == 422 and "<html" in r.text
    assert "Bitte füllen Sie das Feld „Ihre Frage“ aus." in r.text and 'aria-invalid="true"' in r.text
    long = "<script>alert(1)</script> " + "Lärm am Sande. " * 80
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": long}, htmx=True)
    assert r.status_code == 422 and "<html" not in r.text and f'id="meeting-{meeting_id}-questions"' in r.text
    assert "höchstens 1000 Zeichen" in r.text
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Lärm am Sande." in r.text and "<script>alert(1)" not in r.text
    )
    r = await post_form(
        client, f"/veranstaltungen/{meeting_id}/fragen", {"body": QUESTION, "agenda_item": "999999"}
    )
    assert r.status_code == 422 and "Bitte wählen Sie einen der angebotenen Einträge." in r.text
    assert QUESTION in r.text
    assert await _scalar(settings, select(func.count()).select_from(MeetingQuestion)) == 0

    # Without JS: 303 back to the question; the agenda item defaults to the current one.
    qid = await _ask(client, meeting_id, "<script>alert(1)</script> Wird es eine Querung geben?")
    question = await _question(settings, qid)
    meeting = await run_sql(settings, lambda db: db.get(Meeting, meeting_id))
    assert question.agenda_item_id == meeting.current_item_id and question.is_public
    await _logout(client)
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Wird es eine Querung geben?" in page.text
    assert "<script>alert(1)" not in page.text and "1 Frage" in page.text and "Jonas" in page.text

    # With htmx: the questions block with the new question and an announcement; the same form
    # sent twice (a double click) is one question.
    await login(client, "b@example.org")
    data = {"body": QUESTION, "agenda_item": str(meeting.agenda[1].id), "submission_key": "k" * 32}
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen?fragen=neu", data, htmx=True)
    assert r.status_code == 200 and "<html" not in r.text and QUESTION in r.text
    assert "Ihre Frage ist veröffentlicht." in json.loads(r.headers["HX-Trigger"])["bt:announce"]["message"]
    assert f'data-live-src="/veranstaltungen/{meeting_id}/live/fragen?fragen=neu"' in r.text
    assert "Zu: Stadt der Arbeit und Ideen" in r.text
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", data, htmx=True)
    assert r.status_code == 200
    assert await _scalar(settings, select(func.count()).select_from(MeetingQuestion)) == 2


async def test_pre_moderated_question_is_held_until_approved(client, settings):
    meeting_id = await make_meeting(settings, state="live")  # pre-moderation is the default
    await _users(settings)
    await login(client, "a@example.org")
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": QUESTION}, htmx=True)
    assert r.status_code == 200 and "Wartet auf Freigabe" in r.text and QUESTION in r.text
    qid = int(await _scalar(settings, select(MeetingQuestion.id)))
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Wartet auf Freigabe" in page.text and QUESTION in page.text and "0 Fragen" in page.text
    spam = await _ask(client, meeting_id, "Kauft billige Uhren bei uns, das ist ganz toll!")
    await _logout(client)

    # Visitors, other residents and staff: not on the page, not in the fragment, no upvote.
    for who in (None, "b@example.org", "staff@example.org"):
        if who:
            await login(client, who)
        page = await client.get(f"/veranstaltungen/{meeting_id}")
        assert QUESTION not in page.text and "Uhren" not in page.text and "0 Fragen" in page.text
        frag = await client.get(f"/veranstaltungen/{meeting_id}/live/fragen", headers=HX)
        assert frag.status_code == 200 and QUESTION not in frag.text
        if who == "b@example.org":
            r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{qid}/stimme", {})
            assert r.status_code == 404
        if who == "staff@example.org":
            r = await post_form(
                client, f"/verwaltung/veranstaltungen/{meeting_id}/fragen/{qid}", {"aktion": "fokus"}
            )
            assert r.status_code == 409
        if who:
            await _logout(client)

    # The moderator finds both in the queue with their context, and the room says so.
    await login(client, "mod@example.org")
    room = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "2 Fragen warten auf Freigabe in der Moderation" in room.text and QUESTION not in room.text
    queue = await client.get("/moderation")
    assert queue.status_code == 200 and QUESTION in queue.text and "Frage von Jonas" in queue.text
    assert (
        "Virtuelle Bürgerversammlung ISEK 2030+" in queue.text
        and "Tagesordnungspunkt: Begrüßung" in queue.text
    )
    assert "Vorab-Moderation" in queue.text and "@example.org" not in queue.text
    filtered = await client.get("/moderation?verfahren=ohne")
    assert filtered.status_code == 200 and QUESTION in filtered.text
    filtered = await client.get("/moderation?grund=flags")
    assert QUESTION not in filtered.text
    # A question cannot be sent back for revision; it is approved or hidden.
    r = await _approve(client, settings, qid, decision="request_edit", rule="3")
    assert r.status_code == 422 and "nur freigegeben oder ausgeblendet" in r.text
    r = await post_form(
        client, f"/moderation/{await _review(settings, qid)}/entscheidung", {"decision": "approve"}
    )
    assert r.status_code == 303
    r = await _approve(client, settings, spam, decision="hide", rule="5")
    assert r.status_code == 303
    await _logout(client)

    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert QUESTION in page.text and "1 Frage" in page.text
    assert (
        "Von der Moderation entfernt: Verstoß gegen Netiquette Nr. 5." in page.text
        and "Uhren" not in page.text
    )

    async def check(db: Any) -> None:
        log = (await db.scalars(select(ModerationLog).order_by(ModerationLog.id))).all()
        assert [(e.action, e.target_kind, e.target_id) for e in log] == [
            ("approve", "meeting_question", qid),
            ("hide", "meeting_question", spam),
        ]
        notes = (await db.scalars(select(Notification).order_by(Notification.id))).all()
        assert [(n.kind, n.link) for n in notes] == [
            ("moderation_approved", f"/veranstaltungen/{meeting_id}#frage-{qid}"),
            ("moderation_hidden", f"/veranstaltungen/{meeting_id}#frage-{spam}"),
        ]

    await run_sql(settings, check)


async def _review(settings: Any, question_id: int) -> int:
    return int(await _scalar(settings, select(Review.id).where(Review.meeting_question_id == question_id)))


async def test_post_moderation_holds_a_question_with_many_links(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post")
    await _users(settings)
    await login(client, "a@example.org")
    links = "Siehe https://a.example, https://b.example und https://c.example – was sagt die Stadt?"
    held = await _ask(client, meeting_id, links)
    public = await _ask(client, meeting_id, QUESTION)
    assert not (await _question(settings, held)).is_public and (await _question(settings, public)).is_public

    async def review(db: Any) -> tuple[str, str]:
        r = (await db.scalars(select(Review).where(Review.meeting_question_id == held))).one()
        return str(r.trigger), r.auto_reasons

    assert await run_sql(settings, review) == ("auto", "links")
    await _logout(client)
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert QUESTION in page.text and "b.example" not in page.text
    await login(client, "mod@example.org")
    queue = await client.get("/moderation?grund=auto")
    assert "c.example" in queue.text and "Viele Links" in queue.text


async def test_upvotes_once_each_guests_and_the_sort(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post", allow_guests=True)
    await _users(settings)
    await login(client, "a@example.org")
    first = await _ask(client, meeting_id, "Gibt es mehr Bänke am Stintmarkt?")
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{first}/stimme", {})
    assert r.status_code == 403  # not one's own question
    await _logout(client)

    await login(client, "b@example.org")
    second = await _ask(client, meeting_id, QUESTION)
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{first}/stimme", {}, htmx=True)
    assert r.status_code == 200 and 'aria-pressed="true"' in r.text and "Frage unterstützen (1)" in r.text
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{first}/stimme", {})  # again: no-op
    assert r.status_code == 303 and (await _question(settings, first)).vote_count == 1
    r = await post_form(
        client, f"/veranstaltungen/{meeting_id}/fragen/{first}/stimme", {"zuruecknehmen": "1"}
    )
    assert r.status_code == 303 and (await _question(settings, first)).vote_count == 0
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{first}/stimme", {})
    assert (await _question(settings, first)).vote_count == 1
    await _logout(client)

    # A guest (the meeting allows guests) names themself, asks and upvotes.
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": QUESTION + " (Gast)"})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")  # no name yet
    await post_form(client, f"/veranstaltungen/{meeting_id}/gast", {"name": "Gast vom Sande"})
    guest_q = await _ask(client, meeting_id, "Wo parke ich mein Lastenrad am Bahnhof?")
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{first}/stimme", {})
    assert r.status_code == 303 and (await _question(settings, first)).vote_count == 2
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{guest_q}/stimme", {})
    assert r.status_code == 403
    votes = await _scalar(settings, select(func.count()).select_from(MeetingQuestionVote))
    assert votes == 2
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Gast vom Sande</span> (Gast)" in page.text and "3 Fragen" in page.text

    # Sorted by votes by default, newest first on request (links that work without JS).
    body = page.text
    assert body.index("mehr Bänke") < body.index("Radweg") and body.index("mehr Bänke") < body.index(
        "Lastenrad"
    )
    newest = await client.get(f"/veranstaltungen/{meeting_id}?fragen=neu")
    assert newest.text.index("Lastenrad") < newest.text.index("Radweg") < newest.text.index("mehr Bänke")
    assert f'data-live-src="/veranstaltungen/{meeting_id}/live/fragen?fragen=neu"' in newest.text
    frag = await client.get(f"/veranstaltungen/{meeting_id}/live/fragen?fragen=neu", headers=HX)
    assert frag.text.index("Lastenrad") < frag.text.index("mehr Bänke")
    assert second  # asked by Mareike


async def test_guests_are_refused_where_the_meeting_does_not_allow_them(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post")
    await _users(settings)
    await login(client, "a@example.org")
    qid = await _ask(client, meeting_id)
    await _logout(client)
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert (
        "Anmelden, um Fragen zu stellen und zu unterstützen" in page.text and "Frage stellen" not in page.text
    )
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/gast", {"name": "Gast vom Sande"})
    assert r.status_code == 403
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": "Als Gast gefragt"})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{qid}/stimme", {})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")
    assert await _scalar(settings, select(func.count()).select_from(MeetingQuestion)) == 1
    assert await _scalar(settings, select(func.count()).select_from(MeetingQuestionVote)) == 0


async def test_staff_spotlight_and_answer(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post")
    await _users(settings)
    await login(client, "a@example.org")
    q1 = await _ask(client, meeting_id, QUESTION)
    q2 = await _ask(client, meeting_id, "Wie geht es mit dem Wasserturm weiter?")
    staff_url = f"/verwaltung/veranstaltungen/{meeting_id}/fragen"
    # Residents: 403 on the staff route; visitors: sign in first.
    r = await post_form(client, f"{staff_url}/{q1}", {"aktion": "fokus"})
    assert r.status_code == 403
    await _logout(client)
    r = await post_form(client, f"{staff_url}/{q1}", {"aktion": "fokus"})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")

    await login(client, "staff@example.org")
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Wird beantwortet" in page.text and "Wird gerade beantwortet" not in page.text
    r = await post_form(client, f"{staff_url}/{q1}", {"aktion": "fokus"})
    assert r.status_code == 303
    meeting = await run_sql(settings, lambda db: db.get(Meeting, meeting_id))
    assert meeting.spotlight_question_id == q1
    spot = await client.get(f"/veranstaltungen/{meeting_id}/live/im-fokus", headers=HX)
    assert "Wird gerade beantwortet" in spot.text and QUESTION in spot.text and "Jonas" in spot.text
    # The next question in the spotlight: the previous one is open again.
    r = await post_form(client, f"{staff_url}/{q2}", {"aktion": "fokus", "ort": "fragen"}, htmx=True)
    assert r.status_code == 200 and f'id="meeting-{meeting_id}-questions"' in r.text
    assert (await _question(settings, q1)).status == QuestionStatus.OPEN
    assert (await _question(settings, q2)).status == QuestionStatus.SPOTLIGHT

    # Answered from the spotlight: a note too long comes back (422, kept); then answered.
    long = "Der Wasserturm bleibt. " * 50
    r = await post_form(
        client, f"{staff_url}/{q2}", {"aktion": "beantwortet", "ort": "im-fokus", "notiz": long}, htmx=True
    )
    assert r.status_code == 422 and f'id="meeting-{meeting_id}-spotlight"' in r.text
    assert "höchstens 1000 Zeichen" in r.text and "Der Wasserturm bleibt." in r.text
    note = "Der Turm bleibt Aussichtspunkt; die Stadt prüft ein Café."
    r = await post_form(
        client, f"{staff_url}/{q2}", {"aktion": "beantwortet", "ort": "im-fokus", "notiz": note}
    )
    assert r.status_code == 303
    answered = await _question(settings, q2)
    assert (
        answered.status == QuestionStatus.ANSWERED and answered.answer_note == note and answered.answered_at
    )
    assert (await run_sql(settings, lambda db: db.get(Meeting, meeting_id))).spotlight_question_id is None
    r = await post_form(client, f"{staff_url}/{q2}", {"aktion": "fokus"})
    assert r.status_code == 409  # answered already
    r = await post_form(client, f"{staff_url}/{q2}", {"aktion": "unbekannt"})
    assert r.status_code == 409
    await _logout(client)
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Beantwortet (1)" in page.text and note in page.text and "Offen (1)" in page.text
    assert "Wird gerade beantwortet" not in page.text and "2 Fragen" in page.text
    await login(client, "b@example.org")
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{q2}/stimme", {})
    assert r.status_code == 409  # answered questions take no more votes
    await _logout(client)

    # Back to the open questions.
    await login(client, "staff@example.org")
    r = await post_form(client, f"{staff_url}/{q2}", {"aktion": "offen"})
    assert r.status_code == 303 and (await _question(settings, q2)).status == QuestionStatus.OPEN


async def test_ended_meeting_refuses_questions_votes_and_the_spotlight(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post")
    await _users(settings)
    await login(client, "a@example.org")
    qid = await _ask(client, meeting_id)
    await _logout(client)
    from sqlalchemy import update

    await run_sql(settings, lambda db: db.execute(update(Meeting).values(state="ended")))
    await login(client, "b@example.org")
    page = await client.get(f"/veranstaltungen/{meeting_id}")
    assert "Die Veranstaltung ist beendet." in page.text and QUESTION in page.text
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen", {"body": "Noch eine Frage?"})
    assert r.status_code == 409
    r = await post_form(client, f"/veranstaltungen/{meeting_id}/fragen/{qid}/stimme", {})
    assert r.status_code == 409
    await _logout(client)
    await login(client, "staff@example.org")
    r = await post_form(client, f"/verwaltung/veranstaltungen/{meeting_id}/fragen/{qid}", {"aktion": "fokus"})
    assert r.status_code == 409
    # Answering in writing after the meeting stays possible (for the minutes).
    r = await post_form(
        client,
        f"/verwaltung/veranstaltungen/{meeting_id}/fragen/{qid}",
        {"aktion": "beantwortet", "notiz": "Wird schriftlich beantwortet."},
    )
    assert r.status_code == 303


async def _replay_until(broker: Any, channels: frozenset[str], mark: str) -> list[Any]:
    """The events on ``channels`` after ``mark``, once at least one has arrived (publishing runs
    after the commit, beside the response)."""
    for _ in range(200):
        events = await broker.replay(channels, mark) or []
        if events:
            return [d.event for d in events]
        await asyncio.sleep(0.05)
    return []


async def test_a_held_question_publishes_nothing_in_the_room_until_approved(app, client, settings):
    """Asking a held question publishes only to the moderators' channel; approving it publishes
    the room's change. Observed on the broker's history (the app's own in the embedded mode, the
    shared Redis stream otherwise)."""
    from beteiligung.live.broker import MemoryBroker, RedisBroker

    meeting_id = await make_meeting(settings, state="live")
    await _users(settings)
    org_id = await _scalar(settings, select(Meeting.organisation_id).where(Meeting.id == meeting_id))
    own = app.state["live_broker"]
    redis = None
    if isinstance(own, MemoryBroker):
        broker: Any = own
    else:  # a reader of the same stream in this test's event loop
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        broker = RedisBroker(redis, settings.redis_prefix)
    room = frozenset({f"meeting:{meeting_id}"})
    try:
        await login(client, "a@example.org")
        mark = await broker.watermark()
        qid = await _ask(client, meeting_id)
        queued = await _replay_until(broker, frozenset({f"moderation:{org_id}"}), mark)
        assert queued and all(isinstance(e, ReviewQueueChanged) for e in queued)
        await _logout(client)

        await login(client, "mod@example.org")
        r = await _approve(client, settings, qid)
        assert r.status_code == 303
        # Since before the question was asked, the room's channel heard exactly the approval.
        events = await _replay_until(broker, room, mark)
        assert events == [MeetingQuestionsChanged(meeting_id=meeting_id)]
        assert events[0].keys() == [f"meeting-{meeting_id}-questions", f"meeting-{meeting_id}-spotlight"]
    finally:
        if redis is not None:
            await redis.aclose()
