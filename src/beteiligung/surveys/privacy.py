"""Survey responses in the account's data export and at erasure (docs/surveys.md, DS-08/09).

* Export: the responses are rows with ``user_id`` (exported by the schema-driven export); their
  answers hang off the response, so they are added here.
* Erasure: drafts go; sent responses stay, anonymised by ``ON DELETE SET NULL`` (they count in
  results that may have been published already, and no longer point at anyone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.accounts.privacy import PrivacyHooks, Tables
from beteiligung.surveys.models import SurveyAnswer, SurveyOption, SurveyQuestion, SurveyResponse


async def survey_answers_of(db: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    rows = (
        await db.execute(
            select(
                SurveyResponse.survey_id,
                SurveyAnswer.response_id,
                SurveyQuestion.text,
                SurveyOption.label,
                SurveyAnswer.number,
                SurveyAnswer.text,
            )
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .outerjoin(SurveyOption, SurveyOption.id == SurveyAnswer.option_id)
            .where(SurveyResponse.user_id == user_id)
            .order_by(SurveyAnswer.id)
        )
    ).all()
    return [
        {"survey_id": s, "response_id": r, "question": q, "option": o, "number": n, "text": t}
        for s, r, q, o, n, t in rows
    ]


async def forget_survey_drafts(db: AsyncSession, user_id: int) -> None:
    await db.execute(
        delete(SurveyResponse).where(SurveyResponse.user_id == user_id, SurveyResponse.submitted_at.is_(None))
    )


async def _export(db: AsyncSession, user_id: int, tables: Tables) -> None:
    tables["survey_answer"] = await survey_answers_of(db, user_id)  # answers hang off the response


async def _erase(db: AsyncSession, user: User) -> None:
    await forget_survey_drafts(db, user.id)  # sent responses stay, anonymised


HOOKS = PrivacyHooks(name="surveys", export=_export, erase=_erase, order=10)
