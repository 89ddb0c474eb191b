"""The Lüneburg demo: loads once, keeps the rules the app enforces, and its counters are exact."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from beteiligung.app import make_alchemy_config
from beteiligung.comments.models import Comment, CommentVote
from beteiligung.consultations.models import Consultation, ConsultationStatus
from beteiligung.consultations.phases import PhaseKind
from beteiligung.db import metadata, utcnow
from beteiligung.demo.participation import ARBEIT_SLUG, DIGITAL_SLUG
from beteiligung.demo.seed import seed_demo
from beteiligung.proposals.models import AnswerState, Proposal, Source, Support
from tests.conftest import reset_database


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
        assert first["consultation"] == 4 and first["proposal"] == 12
        assert first["support"] >= 30 and first["comment"] >= 40 and first["comment_vote"] >= 60

        async with config.get_session() as db:
            now = utcnow()
            consultations = {c.slug: c for c in (await db.scalars(select(Consultation))).all()}
            assert {c.status for c in consultations.values()} == set(ConsultationStatus)
            main = consultations[ARBEIT_SLUG]
            assert main.active_phase(now).kind == PhaseKind.COLLECTION
            assert consultations[DIGITAL_SLUG].active_phase(now).kind == PhaseKind.DISCUSSION
            assert len(main.topics) >= 4 and main.scope_of_decision and "## " in main.body

            # Counters kept by the triggers equal the rows.
            assert not await _scalar(
                db,
                "SELECT count(*) FROM proposal p WHERE p.support_count <> "
                "(SELECT count(*) FROM support s WHERE s.proposal_id = p.id)",
            )
            assert not await _scalar(
                db,
                "SELECT count(*) FROM proposal p WHERE p.comment_count <> "
                "(SELECT count(*) FROM comment c WHERE c.proposal_id = p.id AND c.deleted_at IS NULL)",
            )
            assert not await _scalar(
                db,
                "SELECT count(*) FROM consultation k WHERE k.proposal_count <> "
                "(SELECT count(*) FROM proposal p WHERE p.consultation_id = k.id)",
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
            times = sorted(p.created_at for p in proposals.values())
            assert len(set(times)) == 12 and times[-1] - times[0] > timedelta(days=7) and times[-1] <= now
    finally:
        await config.get_engine().dispose()
