"""The Lüneburg demo: loads once, keeps the rules the app enforces, and its counters are exact."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select, text

from beteiligung.accounts.models import User
from beteiligung.app import make_alchemy_config
from beteiligung.comments.models import Comment, CommentVote
from beteiligung.consultations.models import Consultation, ConsultationStatus
from beteiligung.consultations.phases import PhaseKind
from beteiligung.consultations.states import ModerationMode, Visibility
from beteiligung.db import metadata, utcnow
from beteiligung.demo import moderation as demo_moderation
from beteiligung.demo.participation import ARBEIT_SLUG, DIGITAL_SLUG
from beteiligung.demo.seed import DEMO_LOGINS, seed_demo
from beteiligung.moderation.actions import get_settings
from beteiligung.moderation.models import Flag, LogAction, ModerationLog, Review, ReviewStatus, Trigger
from beteiligung.moderation.queries import load_queue
from beteiligung.moderation.stats import moderation_stats
from beteiligung.notifications.models import Notification
from beteiligung.proposals.models import AnswerState, Proposal, Source, Support
from tests.conftest import login, reset_database


async def _row_counts(db) -> dict[str, int]:
    return {
        t.name: int(await db.scalar(select(func.count()).select_from(t)) or 0) for t in metadata.sorted_tables
    }


async def _scalar(db, sql: str) -> int:
    return int((await db.execute(text(sql))).scalar() or 0)


async def test_demo_loads_once_with_exact_counters_and_the_apps_rules(settings):
    await reset_database(settings)
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            _, created = await seed_demo(db)
            assert created
            first = await _row_counts(db)
        async with config.get_session() as db:
            _, created = await seed_demo(db)
            assert not created, "a second run creates nothing"
            assert await _row_counts(db) == first
        # 12 published proposals and one held by the pre-moderation.
        assert first["consultation"] == 4 and first["proposal"] == 13
        assert first["support"] >= 30 and first["comment"] >= 40 and first["comment_vote"] >= 60
        # The moderation's tables are in the second run's comparison, and not empty.
        # Six of the reviews and five log entries are the live meeting's pre-moderated questions.
        assert first["review"] == 13 and first["flag"] == 5 and first["moderation_log"] == 6
        assert first["meeting"] == 3 and first["meeting_question_vote"] >= 15
        assert first["notification"] >= 1

        async with config.get_session() as db:
            now = utcnow()
            consultations = {c.slug: c for c in (await db.scalars(select(Consultation))).all()}
            assert {c.status for c in consultations.values()} == set(ConsultationStatus)
            main = consultations[ARBEIT_SLUG]
            assert main.active_phase(now).kind == PhaseKind.COLLECTION
            assert consultations[DIGITAL_SLUG].active_phase(now).kind == PhaseKind.DISCUSSION
            assert len(main.topics) >= 4 and main.scope_of_decision and "## " in main.body

            # Counters kept by the triggers equal the rows; they count published contributions only.
            assert not await _scalar(
                db,
                "SELECT count(*) FROM proposal p WHERE p.support_count <> "
                "(SELECT count(*) FROM support s WHERE s.proposal_id = p.id)",
            )
            assert not await _scalar(
                db,
                "SELECT count(*) FROM proposal p WHERE p.comment_count <> "
                "(SELECT count(*) FROM comment c WHERE c.proposal_id = p.id AND c.deleted_at IS NULL "
                "AND c.visibility = 'published')",
            )
            assert not await _scalar(
                db,
                "SELECT count(*) FROM consultation k WHERE k.proposal_count <> "
                "(SELECT count(*) FROM proposal p WHERE p.consultation_id = k.id AND p.visibility = 'published')",
            )
            assert not await _scalar(
                db,
                "SELECT count(*) FROM comment c WHERE "
                "c.upvotes <> (SELECT count(*) FROM comment_vote v WHERE v.comment_id = c.id AND v.value = 1) "
                "OR c.downvotes <> (SELECT count(*) FROM comment_vote v WHERE v.comment_id = c.id AND v.value = -1)",
            )
            assert main.proposal_count == 12
            assert len({p.support_count for p in (await db.scalars(select(Proposal))).all()}) >= 4, (
                "supports vary, so sorting by them means something"
            )

            # Nobody supports their own proposal or votes on their own comment.
            own_supports = await db.scalar(
                select(func.count())
                .select_from(Support)
                .join(Proposal, Proposal.id == Support.proposal_id)
                .where(Proposal.author_id == Support.user_id)
            )
            own_votes = await db.scalar(
                select(func.count())
                .select_from(CommentVote)
                .join(Comment, Comment.id == CommentVote.comment_id)
                .where(Comment.author_id == CommentVote.user_id)
            )
            assert own_supports == 0 and own_votes == 0

            # Threads: at most three levels, a reply sits one level below a comment on the same target.
            comments = {c.id: c for c in (await db.scalars(select(Comment))).all()}
            assert {c.depth for c in comments.values()} == {1, 2, 3}
            for c in comments.values():
                assert c.created_at <= now
                if c.parent_id is None:
                    assert c.depth == 1
                    continue
                parent = comments[c.parent_id]
                assert c.depth == parent.depth + 1 <= 3
                assert (c.consultation_id, c.proposal_id) == (parent.consultation_id, parent.proposal_id)
                assert c.created_at > parent.created_at
            proposals = {p.id: p for p in (await db.scalars(select(Proposal))).all()}
            main_topics = {t.id for t in main.topics}
            assert all(p.topic_id in main_topics for p in proposals.values()), "every topic can be filtered"
            for c in comments.values():
                if c.proposal_id is not None:
                    assert proposals[c.proposal_id].consultation_id == c.consultation_id
                    assert c.created_at > proposals[c.proposal_id].created_at
            assert any(
                c.proposal_id is None and c.consultation_id == consultations[DIGITAL_SLUG].id
                for c in comments.values()
            )

            # Exactly one official answer, by staff; one paper proposal recorded by staff.
            answered = [p for p in proposals.values() if p.answer_state != AnswerState.NONE]
            assert len(answered) == 1
            answer = answered[0]
            assert answer.answer_text and answer.answered_at and answer.answered_by_id
            paper = [p for p in proposals.values() if p.source == Source.PAPER]
            assert len(paper) == 1 and paper[0].author_id is None and paper[0].source_note
            assert paper[0].recorded_by_id == answer.answered_by_id

            # "Newest" means something: proposals spread over the collection phase so far.
            times = sorted(p.created_at for p in proposals.values() if p.visibility == Visibility.PUBLISHED)
            assert len(set(times)) == 12 and times[-1] - times[0] > timedelta(days=7) and times[-1] <= now
    finally:
        await config.get_engine().dispose()


async def test_demo_moderator_has_a_populated_queue_and_the_public_sees_none_of_it(app, client, settings):
    await reset_database(settings)
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            org, _ = await seed_demo(db)
            now = utcnow()
            consultations = {c.slug: c for c in (await db.scalars(select(Consultation))).all()}
            arbeit, digital = consultations[ARBEIT_SLUG], consultations[DIGITAL_SLUG]
            assert arbeit.moderation_mode == ModerationMode.PRE
            assert digital.moderation_mode == ModerationMode.POST

            # The demo accounts are not "new accounts" for the automatic checks.
            limits = await get_settings(db, org.id)
            users = (await db.scalars(select(User))).all()
            assert {login.email for login in DEMO_LOGINS} <= {u.email for u in users}
            assert all(now - u.created_at > timedelta(hours=limits.new_account_hours) for u in users)

            # The queue: five pre-moderated items (one a question in the live meeting), one
            # flagged, one held by the link check.
            queue = await load_queue(db, org.id)
            assert queue.total == len(queue.items) == 7
            assert Counter(i.review.trigger for i in queue.items) == {
                Trigger.PRE: 5,
                Trigger.FLAGS: 1,
                Trigger.AUTO: 1,
            }
            opened = [i.review.opened_at for i in queue.items]
            assert opened == sorted(opened), "oldest first"
            by_trigger: dict[Trigger, list] = {}
            for item in queue.items:
                by_trigger.setdefault(item.review.trigger, []).append(item)
                assert item.review.status == ReviewStatus.OPEN and item.author is not None
                assert item.author.email not in {login.email for login in DEMO_LOGINS}, "residents wrote them"

            pre = by_trigger[Trigger.PRE]
            assert {i.kind for i in pre} == {"comment", "proposal", "question"} and len(pre) == 5
            for item in pre:
                target = item.comment or item.proposal or item.question
                assert item.consultation.id == arbeit.id and target.visibility == Visibility.HELD
                if item.comment is not None:
                    assert (
                        item.on_proposal is not None and item.comment.created_at > item.on_proposal.created_at
                    )
            assert sum(1 for i in pre if i.review.note) == 1, "one item carries a private note"
            held_proposal = next(i.proposal for i in pre if i.proposal is not None)
            held_comments = [i.comment for i in pre if i.comment is not None]

            (flagged,) = by_trigger[Trigger.FLAGS]
            assert flagged.comment.visibility == Visibility.PUBLISHED
            assert len(flagged.flags) == 2 < limits.flag_threshold
            assert len({f.user_id for f in flagged.flags}) == 2
            assert flagged.author_record == {"hidden": 1}, "the author's earlier outcome is in the context"

            (auto,) = by_trigger[Trigger.AUTO]
            assert auto.review.auto_codes == ["links"] and auto.comment.visibility == Visibility.HELD
            assert auto.consultation.id == digital.id

            # The hidden comment: decided with rule 2, logged, its author told, its flags settled.
            (hidden_review,) = (
                await db.scalars(select(Review).where(Review.status == ReviewStatus.HIDDEN))
            ).all()
            assert hidden_review.rule == 2 and hidden_review.reason_text and hidden_review.decided_by_id
            hidden = await db.get(Comment, hidden_review.comment_id)
            assert hidden.visibility == Visibility.HIDDEN and hidden.parent_id is not None
            (entry,) = (
                await db.scalars(select(ModerationLog).where(ModerationLog.target_kind == "comment"))
            ).all()
            assert (entry.action, entry.target_kind, entry.target_id, entry.rule) == (
                LogAction.HIDE,
                "comment",
                hidden.id,
                2,
            )
            assert entry.moderator_name == "Moderation Lüneburg"
            notes = (
                await db.scalars(select(Notification).where(Notification.user_id == hidden.author_id))
            ).all()
            assert [(n.kind, n.params["rule"]) for n in notes] == [("moderation_hidden", 2)]
            assert notes[0].link.endswith(f"#comment-{hidden.id}")
            settled = (await db.scalars(select(Flag).where(Flag.comment_id == hidden.id))).all()
            assert len(settled) == 3 and all(f.resolved_at is not None for f in settled)
            stats = await moderation_stats(db, digital.id)
            assert (stats.hidden_total, stats.hidden_by_rule) == (1, [(2, 1)])
    finally:
        await config.get_engine().dispose()

    # Public pages: held contributions nowhere, the hidden one as a placeholder with its rule.
    r = await client.get(f"/vorhaben/{DIGITAL_SLUG}")
    assert r.status_code == 200
    assert "Prestigeprojekt" in r.text, "a flagged comment below the threshold stays visible"
    assert "glasfaser-angebote.example" not in r.text and "Spinner" not in r.text
    assert "Von der Moderation entfernt: Verstoß gegen Netiquette Nr. 2." in r.text
    assert "1 Beitrag entfernt" in r.text
    r = await client.get(f"/vorhaben/{ARBEIT_SLUG}")
    assert r.status_code == 200 and "Vorab-Moderation" in r.text
    r = await client.get(f"/vorhaben/{ARBEIT_SLUG}/vorschlaege")
    assert r.status_code == 200 and held_proposal.title not in r.text
    assert "Click-&amp;-Collect-Station" in r.text
    assert (await client.get(f"/vorschlaege/{held_proposal.id}")).status_code == 404
    for comment in held_comments:
        r = await client.get(f"/vorschlaege/{comment.proposal_id}")
        assert r.status_code == 200 and comment.body[:40] not in r.text

    # The demo moderator's queue, without any e-mail address.
    await login(client, "moderation@demo.beteiligung.invalid")
    r = await client.get("/moderation")
    assert r.status_code == 200 and "7 Beiträge warten" in r.text
    assert "Parkgebühren senken" in r.text, "the held meeting question waits in the queue"
    assert held_proposal.title in r.text and "glasfaser-angebote.example" in r.text
    assert "@demo.beteiligung.invalid" not in r.text
    assert demo_moderation.HELD_PROPOSAL.title == held_proposal.title


async def test_demo_meetings_one_in_each_state_with_exact_counters(app, client, settings):
    """The ISEK consultation has a live, a scheduled and an ended meeting; every counter equals
    its rows, held questions stay out of the room, and the ended one's minutes are published."""
    from beteiligung.consultations.states import Visibility as V
    from beteiligung.meetings.models import (
        Meeting,
        MeetingFormat,
        MeetingPoll,
        MeetingQuestion,
        MeetingSpeaker,
        MeetingState,
        PollState,
        QuestionStatus,
        SpeakerStatus,
        VideoKind,
    )
    from beteiligung.meetings.routes import embed_allowed

    await reset_database(settings)
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            org, _ = await seed_demo(db)
            now = utcnow()
            arbeit = (await db.scalars(select(Consultation).where(Consultation.slug == ARBEIT_SLUG))).one()
            meetings = {
                m.state: m
                for m in (await db.scalars(select(Meeting).where(Meeting.consultation_id == arbeit.id))).all()
            }
            assert set(meetings) == set(MeetingState)
            live, scheduled, ended = (
                meetings[s] for s in (MeetingState.LIVE, MeetingState.SCHEDULED, MeetingState.ENDED)
            )

            # Counters equal their rows (and a single-choice ballot chose exactly one option).
            for sql in (
                "SELECT count(*) FROM meeting_question q WHERE q.vote_count <> "
                "(SELECT count(*) FROM meeting_question_vote v WHERE v.question_id = q.id)",
                "SELECT count(*) FROM meeting_poll p WHERE p.ballot_count <> "
                "(SELECT count(*) FROM meeting_poll_ballot b WHERE b.poll_id = p.id)",
                "SELECT count(*) FROM meeting_poll_option o WHERE o.vote_count <> "
                "(SELECT count(*) FROM meeting_poll_choice c WHERE c.option_id = o.id)",
                "SELECT count(*) FROM meeting_poll_ballot b JOIN meeting_poll p ON p.id = b.poll_id "
                "WHERE (SELECT count(*) FROM meeting_poll_choice c WHERE c.ballot_id = b.id) = 0 OR "
                "(NOT p.multiple AND (SELECT count(*) FROM meeting_poll_choice c WHERE c.ballot_id = b.id) <> 1)",
                "SELECT count(*) FROM meeting_poll_choice c JOIN meeting_poll_ballot b ON b.id = c.ballot_id "
                "JOIN meeting_poll_option o ON o.id = c.option_id WHERE o.poll_id <> b.poll_id",
                # nobody upvotes their own question
                "SELECT count(*) FROM meeting_question_vote v JOIN meeting_question q ON q.id = v.question_id "
                "WHERE v.voter_key = q.voter_key",
            ):
                assert not await _scalar(db, sql), sql

            # Live: started, on item 2 of 4, guests welcome, questions pre-moderated.
            assert live.title == "Virtuelle Bürgerversammlung: Stadt der Arbeit und Ideen"
            assert live.started_at is not None and live.started_at < now and live.ends_at > now
            assert len(live.agenda) == 4 and live.current_item is live.agenda[1]
            assert live.allow_guests and live.question_moderation == ModerationMode.PRE
            questions = (
                await db.scalars(select(MeetingQuestion).where(MeetingQuestion.meeting_id == live.id))
            ).all()
            public = [q for q in questions if q.visibility == V.PUBLISHED]
            (held,) = [q for q in questions if q.visibility == V.HELD]
            assert len(public) == 5 and sum(q.vote_count > 0 for q in public) >= 4
            assert any(q.guest_name for q in public), "a guest asked too"
            (answered,) = [q for q in public if q.status == QuestionStatus.ANSWERED]
            assert answered.answer_note and answered.answered_at
            (spotlight,) = [q for q in public if q.status == QuestionStatus.SPOTLIGHT]
            assert live.spotlight_question_id == spotlight.id
            review = (await db.scalars(select(Review).where(Review.meeting_question_id == held.id))).one()
            assert (review.status, review.trigger) == (ReviewStatus.OPEN, Trigger.PRE)
            approved = (
                await db.scalars(select(Review).where(Review.meeting_question_id.in_([q.id for q in public])))
            ).all()
            assert len(approved) == 5 and {r.status for r in approved} == {ReviewStatus.APPROVED}
            polls = (await db.scalars(select(MeetingPoll).where(MeetingPoll.meeting_id == live.id))).all()
            (open_poll,) = [p for p in polls if p.state == PollState.OPEN]
            assert len(open_poll.options) == 3 and open_poll.ballot_count > 0
            assert any(p.state == PollState.CLOSED and p.ballot_count for p in polls)
            speakers = (
                await db.scalars(select(MeetingSpeaker).where(MeetingSpeaker.meeting_id == live.id))
            ).all()
            assert sum(s.status == SpeakerStatus.WAITING for s in speakers) == 2

            # Scheduled next week: hybrid in the Rathaus, a BigBlueButton room the town allows.
            assert scheduled.starts_at > now and scheduled.format == MeetingFormat.HYBRID
            assert "Huldigungssaal" in scheduled.place and "Am Ochsenmarkt 1" in scheduled.place
            assert scheduled.video_kind == VideoKind.BIGBLUEBUTTON
            assert scheduled.video_url.startswith("https://bbb.stadt.lueneburg.de/")
            assert embed_allowed(scheduled, org.embed_origins)

            # Ended with published minutes drafted from its rows.
            assert ended.ended_at is not None and ended.ended_at < now
            assert ended.minutes_published_at is not None and ended.minutes_published_at <= now
            assert (
                "## Tagesordnung" in ended.minutes
                and "Wie haben Sie von dieser Veranstaltung" in ended.minutes
            )
            assert (
                "(zur Geschäftsordnung)" in ended.minutes
                and "| Zeitung oder Radio | 4 | 40 % |" in ended.minutes
            )
            held_text, spotlight_text = held.body, spotlight.body
    finally:
        await config.get_engine().dispose()

    r = await client.get(f"/vorhaben/{ARBEIT_SLUG}")
    assert r.status_code == 200 and 'id="veranstaltungen"' in r.text
    for m in (live, scheduled, ended):
        assert f'href="/veranstaltungen/{m.id}"' in r.text
    assert f'href="/veranstaltungen/{ended.id}/protokoll"' in r.text
    assert f'href="/veranstaltungen/{live.id}/protokoll"' not in r.text
    r = await client.get(f"/veranstaltungen/{live.id}")
    assert r.status_code == 200 and spotlight_text[:40] in r.text and held_text[:40] not in r.text
    r = await client.get(f"/veranstaltungen/{ended.id}/protokoll")
    assert r.status_code == 200 and "<table>" in r.text and "Entwurf" not in r.text
    assert (await client.get(f"/veranstaltungen/{live.id}/protokoll")).status_code == 404
