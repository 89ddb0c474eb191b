"""Survey integrity in the database (SQLite and PostgreSQL): one response per person and per
anonymous session, sent responses are final, counts come from the rows, privacy export and
erasure; and on PostgreSQL 300 concurrent votes through the app give 300 rows and exact counts."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from beteiligung.consultations.phases import PhaseKind
from beteiligung.db import utcnow
from beteiligung.surveys import actions
from beteiligung.surveys.actions import Respondent
from beteiligung.surveys.answers import Answer
from beteiligung.surveys.models import Survey, SurveyAnswer, SurveyResponse
from beteiligung.surveys.queries import survey_results
from tests.conftest import DEMO_PASSWORD, login, make_user, post_form
from tests.integration.test_participation_integrity import _users
from tests.participation_factories import make_consultation, run_sql
from tests.survey_factories import make_poll, make_survey

KINDS = (PhaseKind.INFORMATION, PhaseKind.SURVEY, PhaseKind.EVALUATION)


async def test_one_response_per_person_and_session_in_the_database(app, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS)
    poll = await make_poll(settings, cid, allow_anonymous=True)
    (user,) = await _users(settings, 1)

    async def run(db: Any) -> None:
        db.add(SurveyResponse(survey_id=poll.id, user_id=user))
        await db.commit()
        db.add(SurveyResponse(survey_id=poll.id, user_id=user))
        with pytest.raises(IntegrityError):
            await db.commit()
        await db.rollback()
        db.add(SurveyResponse(survey_id=poll.id, anon_key="a" * 48))
        await db.commit()
        db.add(SurveyResponse(survey_id=poll.id, anon_key="a" * 48))
        with pytest.raises(IntegrityError):
            await db.commit()
        await db.rollback()
        # Anonymous responses (and anonymised ones after erasure) do not collide with each other.
        db.add_all([SurveyResponse(survey_id=poll.id), SurveyResponse(survey_id=poll.id)])
        await db.commit()

    await run_sql(settings, run)


async def test_votes_are_counted_once_and_sent_responses_are_final(app, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS)
    poll = await make_poll(settings, cid)
    s = await make_survey(settings, cid)
    users = await _users(settings, 3)

    async def run(db: Any) -> None:
        survey = await db.get(Survey, poll.id)
        now = utcnow()
        schulen, gewerbe = poll.o["Schulen"], poll.o["Gewerbe"]
        assert await actions.vote_poll(
            db, survey, Respondent(user_id=users[0]), Answer(options=(schulen,)), now
        )
        assert not await actions.vote_poll(
            db, survey, Respondent(user_id=users[0]), Answer(options=(gewerbe,)), now
        )
        assert await actions.vote_poll(
            db, survey, Respondent(user_id=users[1]), Answer(options=(gewerbe,)), now
        )
        assert await actions.vote_poll(
            db, survey, Respondent(anon_key="k" * 48), Answer(options=(schulen,)), now
        )
        survey = await actions.reload(db, poll.id)
        from sqlalchemy.orm.attributes import set_committed_value

        from beteiligung.consultations.models import Consultation

        set_committed_value(survey, "consultation", await db.get(Consultation, cid))
        results = await survey_results(db, survey)
        assert results.total == 3
        bars = {b.label: (b.count, b.percent) for b in results.questions[0].bars}
        assert bars == {"Schulen": (2, 66.7), "Gewerbe": (1, 33.3), "Haushalte": (0, 0.0)}

        big = await actions.reload(db, s.id)
        response, created = await actions.ensure_response(db, big, Respondent(user_id=users[2]))
        again, created_again = await actions.ensure_response(db, big, Respondent(user_id=users[2]))
        assert created and not created_again and again.id == response.id
        assert await actions.submit_response(db, big, response, now)
        assert not await actions.submit_response(db, big, response, now)
        with pytest.raises(actions.SurveyError):
            await actions.save_answers(db, response, big.questions[:1], {})

    await run_sql(settings, run)


async def test_survey_actions_leave_the_commit_to_their_caller(app, settings):
    """Issue 12: an action writes, the route commits once; what a caller does not commit is gone,
    and a refusal is a ``Refused`` (the form shows it beside its field)."""
    from beteiligung.surveys.models import SurveyStatus
    from beteiligung.web.errors import Refused

    cid = await make_consultation(settings, slug="digital", kinds=KINDS)
    s = await make_survey(settings, cid, publish=False)

    async def write_then_roll_back(db: Any) -> None:
        survey = await actions.reload(db, s.id)
        await actions.add_section(db, survey, title="Nie gespeichert", description="")
        await actions.update_survey(db, survey, title="Nie umbenannt")
        await db.rollback()

    await run_sql(settings, write_then_roll_back)

    async def check(db: Any) -> None:
        survey = await actions.reload(db, s.id)
        assert survey.status == SurveyStatus.DRAFT and survey.title != "Nie umbenannt"
        assert "Nie gespeichert" not in [section.title for section in survey.sections]
        with pytest.raises(Refused) as refused:
            await actions.add_question(
                db,
                survey,
                survey.sections[0],
                kind="single",
                text="Zu wenig Auswahl",
                help="",
                required=False,
                max_choices=None,
                scale_min=None,
                scale_max=None,
                scale_min_label="",
                scale_max_label="",
                allow_other=False,
                condition_option_id=None,
                options=["Nur eine"],
            )
        assert refused.value.field == "options"

    await run_sql(settings, check)


async def test_export_contains_and_erasure_anonymises_survey_answers(client, settings):
    cid = await make_consultation(settings, slug="digital", kinds=KINDS)
    poll = await make_poll(settings, cid)
    s = await make_survey(settings, cid)
    uid = await make_user(settings, email="probe@example.org", display_name="Probe Umfrage")
    await login(client, "probe@example.org")
    q = poll.q["single"]
    assert (
        await post_form(client, f"/umfragen/{poll.id}/abstimmen", {f"q{q}": str(poll.o["Gewerbe"])})
    ).status_code == 303
    r = await post_form(
        client, f"/umfragen/{s.id}/teil/1", {f"q{s.q['single']}": str(s.o["Online"]), "aktion": "speichern"}
    )
    assert r.status_code == 303
    data = json.loads((await client.get("/konto/daten/export.json")).content)
    assert len(data["tables"]["survey_response"]) == 2
    assert {a["option"] for a in data["tables"]["survey_answer"]} == {"Gewerbe", "Online"}

    r = await post_form(client, "/konto/loeschen", {"current_password": DEMO_PASSWORD, "confirm": "on"})
    assert r.status_code == 303, r.text

    async def check(db: Any) -> None:
        rows = (await db.execute(select(SurveyResponse.user_id, SurveyResponse.submitted_at))).all()
        # The sent vote stays, anonymised; the draft is gone with its answers.
        assert len(rows) == 1 and rows[0][0] is None and rows[0][1] is not None
        assert await db.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
        assert await db.scalar(select(func.count()).where(SurveyResponse.user_id == uid)) == 0

    await run_sql(settings, check)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_300_concurrent_votes_give_300_rows_and_exact_counts(app, settings):
    """300 anonymous browsers vote at the same moment (300 concurrent requests), and 40 signed-in
    residents vote twice at the same moment: 340 rows, one per browser and one per person."""
    cid = await make_consultation(settings, slug="digital", kinds=KINDS)
    poll = await make_poll(settings, cid, allow_anonymous=True)
    q = poll.q["single"]
    labels = ["Schulen", "Gewerbe", "Haushalte"]
    residents = await _users(settings, 40)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as lifespan_client:
        await lifespan_client.get("/healthz")
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(f"10.1.{i // 200}.{i % 200 + 1}", 40000)),
                base_url="http://testserver.local",
            )
            for i in range(300 + len(residents))
        ]
        anonymous, signed_in = clients[:300], clients[300:]
        try:
            for start in range(0, len(clients), 50):
                await asyncio.gather(*(c.get(f"/umfragen/{poll.id}") for c in clients[start : start + 50]))

            async def sign_in(i: int, c: httpx.AsyncClient) -> None:
                r = await c.post(
                    "/anmelden",
                    data={
                        "email": f"r{i}@example.org",
                        "password": DEMO_PASSWORD,
                        "_csrf_token": c.cookies["csrftoken"],
                    },
                )
                assert r.status_code == 303, r.text

            for start in range(0, len(signed_in), 20):
                await asyncio.gather(
                    *(sign_in(i, c) for i, c in enumerate(signed_in) if start <= i < start + 20)
                )

            async def vote(i: int, c: httpx.AsyncClient) -> int:
                r = await c.post(
                    f"/umfragen/{poll.id}/abstimmen",
                    data={"_csrf_token": c.cookies["csrftoken"], f"q{q}": str(poll.o[labels[i % 3]])},
                    headers={"HX-Request": "true"},
                )
                return r.status_code

            statuses = await asyncio.gather(
                *(vote(i, c) for i, c in enumerate(anonymous)),
                *(vote(i, c) for i, c in enumerate(signed_in) for _ in range(2)),
            )
            assert statuses[:300].count(200) == 300, statuses
            assert set(statuses[300:]) <= {200, 409}, statuses
            results = await clients[0].get(f"/umfragen/{poll.id}/ergebnisse")
        finally:
            for c in clients:
                await c.aclose()

    async def count(db: Any) -> tuple[int, int, list[tuple[int, int]]]:
        rows = await db.scalar(select(func.count()).where(SurveyResponse.survey_id == poll.id))
        people = await db.scalar(
            select(func.count(func.distinct(SurveyResponse.user_id))).where(
                SurveyResponse.user_id.is_not(None)
            )
        )
        per_option = (
            await db.execute(
                select(SurveyAnswer.option_id, func.count())
                .group_by(SurveyAnswer.option_id)
                .order_by(SurveyAnswer.option_id)
            )
        ).all()
        return rows, people, [tuple(r) for r in per_option]

    rows, people, per_option = await run_sql(settings, count)
    assert rows == 340 and people == 40
    # Anonymous: 100 per option; residents: r0, r3, … chose "Schulen" (14), r1, … "Gewerbe" (13), r2, … "Haushalte" (13)
    assert per_option == [(poll.o["Schulen"], 114), (poll.o["Gewerbe"], 113), (poll.o["Haushalte"], 113)]
    assert results.status_code == 200
    assert re.search(r">\s*Schulen\s*</th>\s*<td[^>]*>\s*114\s*</td>", results.text)
