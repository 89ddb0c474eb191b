"""The Lüneburg demo's surveys: loaded once, every question kind, answers and a results page."""

from __future__ import annotations

from sqlalchemy import func, select

from beteiligung.app import make_alchemy_config
from beteiligung.demo.seed import seed_demo
from beteiligung.surveys.actions import answers_from_rows
from beteiligung.surveys.answers import Answer, missing_required
from beteiligung.surveys.models import QuestionKind, Review, Survey, SurveyAnswer, SurveyKind, SurveyResponse
from tests.conftest import reset_database


async def test_demo_has_a_survey_with_every_kind_and_answers(app, client, settings):
    await reset_database(settings)
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            await seed_demo(db)
            surveys = {s.kind: s for s in (await db.scalars(select(Survey))).all()}
            survey, poll = surveys[SurveyKind.SURVEY], surveys[SurveyKind.POLL]
            assert {q.kind for q in survey.questions} == set(QuestionKind)
            sent = await db.scalar(
                select(func.count()).where(
                    SurveyResponse.survey_id == survey.id, SurveyResponse.submitted_at.is_not(None)
                )
            )
            assert 20 <= sent <= 40
            assert await db.scalar(select(func.count()).where(SurveyResponse.survey_id == poll.id)) >= 20
            # The demo's answers keep the app's rules: required questions answered where shown.
            rows = (
                await db.execute(
                    select(
                        SurveyAnswer.response_id,
                        SurveyAnswer.question_id,
                        SurveyAnswer.option_id,
                        SurveyAnswer.number,
                        SurveyAnswer.text,
                    )
                    .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
                    .where(SurveyResponse.survey_id == survey.id)
                )
            ).all()
            by_response: dict[int, list] = {}
            for response_id, *rest in rows:
                by_response.setdefault(response_id, []).append(tuple(rest))
            for answer_rows in by_response.values():
                answers: dict[int, Answer] = answers_from_rows(survey, answer_rows)
                assert missing_required(survey.ordered_questions(), answers) == []
            reviews = set(
                (await db.scalars(select(SurveyAnswer.review).where(SurveyAnswer.text != ""))).all()
            )
            assert {Review.RELEASED, Review.PENDING} <= {Review(r) for r in reviews}
            _, created = await seed_demo(db)
            assert not created
            assert await db.scalar(select(func.count()).select_from(Survey)) == 2
    finally:
        await config.get_engine().dispose()
    r = await client.get(f"/umfragen/{survey.id}/ergebnisse")
    assert r.status_code == 200 and "Online-Umfragen" in r.text and "<svg" in r.text
    r = await client.get("/vorhaben/isek-stadt-der-arbeit-und-ideen")
    assert r.status_code == 200 and "Gründer:innen" in r.text
