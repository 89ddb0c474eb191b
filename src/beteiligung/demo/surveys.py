"""Demo surveys of the Hansestadt Lüneburg: an online survey on the Digitales Rathaus and the
Beteiligungsservice (ISEK 2030+, chapter "Digitalisierung als Chance der Teilhabe": going to the
authorities online, digital forms and applications; online surveys, discussion forums and
virtual citizens' assemblies) with every question kind and 32 sent responses, and a quick poll
on the consultation "Stadt der Arbeit und Ideen".

Idempotent like :mod:`beteiligung.demo.participation`: nothing happens when the organisation's
consultations have surveys already. The demo resident Heide has not answered yet, so the demo
login can try it; the other answers come from the demo residents and from pseudonymous
respondents (anonymised responses without an account). Choices are drawn from a seeded random
generator, so every install shows the same results.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.consultations.models import Consultation
from beteiligung.demo.participation import ARBEIT_SLUG, DIGITAL_SLUG, RESIDENTS
from beteiligung.organisations.models import Organisation
from beteiligung.surveys import actions
from beteiligung.surveys.models import (
    QuestionKind,
    ResultsVisibility,
    Review,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
)

SURVEY_TITLE = "Digitales Rathaus und Beteiligungsservice: Ihre Erfahrungen"
SURVEY_INTRO = (
    "Die Hansestadt Lüneburg baut ein **Digitales Rathaus** auf: Behördengänge online erledigen, "
    "Formulare digital ausfüllen, Anträge elektronisch stellen. Dazu kommt ein **Beteiligungsservice** "
    "mit Online-Umfragen, Diskussionsforen und virtuellen Bürgerversammlungen.\n\n"
    "Die Umfrage dauert etwa fünf Minuten. Sie können zwischendurch speichern und später weitermachen. "
    "Die Ergebnisse fließen in die Umsetzung des ISEK 2030+ ein und sind hier für alle sichtbar."
)
POLL_TITLE = "Was brauchen Gründer:innen in Lüneburg am dringendsten?"

SHORT_TEXTS = ("Kaltenmoor", "Altstadt", "Rotes Feld", "Ochtmissen", "Bockelsberg", "Weststadt", "Häcklingen")
LONG_TEXTS = (
    "Der Termin im Bürgeramt war online schnell gebucht, aber den Antrag musste ich trotzdem ausdrucken.",
    "Mit dem Handy ließ sich das Formular kaum ausfüllen, die Felder waren zu klein.",
    "Ich wusste nicht, ob mein Antrag angekommen ist. Eine Eingangsbestätigung per E-Mail wäre gut.",
    "Sehr gut: Anwohnerparkausweis in zehn Minuten beantragt und bezahlt.",
    "Die Anmeldung mit dem Personalausweis hat beim dritten Versuch geklappt.",
    "Schön wäre eine Übersicht, welche Anträge es überhaupt online gibt.",
)


def _q(kind: QuestionKind, text: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "text": text,
        "help": "",
        "required": False,
        "max_choices": None,
        "scale_min": None,
        "scale_max": None,
        "scale_min_label": "",
        "scale_max_label": "",
        "allow_other": False,
        "condition_option_id": None,
        "options": [],
    } | fields


async def _build_survey(db: AsyncSession, consultation: Consultation, now: datetime) -> Survey:
    survey = await actions.create_survey(
        db,
        consultation=consultation,
        kind=SurveyKind.SURVEY,
        title=SURVEY_TITLE,
        intro=SURVEY_INTRO,
        allow_anonymous=True,
        results_visibility=ResultsVisibility.DURING,
        free_text_reviewed=True,
    )

    async def question(section: SurveySection, kind: QuestionKind, text: str, **fields: Any) -> None:
        await actions.add_question(db, survey, section, **_q(kind, text, **fields))

    async def new_section(title: str, description: str) -> SurveySection:
        """The survey's next section (the survey is read again to see it)."""
        nonlocal survey
        await actions.add_section(db, survey, title=title, description=description)
        survey = await actions.reload(db, survey.id)
        return survey.sections[-1]

    first = survey.sections[0]
    await actions.update_section(
        db, survey, first, title="Digitales Rathaus", description="Wie erledigen Sie Behördengänge heute?"
    )
    await question(
        first,
        QuestionKind.SINGLE,
        "Wie erledigen Sie Behördengänge am liebsten?",
        required=True,
        allow_other=True,
        options=["Online", "Persönlich im Bürgeramt", "Per Telefon oder Post"],
    )
    await question(
        first,
        QuestionKind.MULTIPLE,
        "Welche Dienste möchten Sie vor allem online nutzen?",
        help="Wählen Sie bis zu drei.",
        max_choices=3,
        options=[
            "Anträge elektronisch stellen",
            "Formulare digital ausfüllen",
            "Termine im Bürgeramt buchen",
            "Gebühren online bezahlen",
            "Bearbeitungsstand verfolgen",
        ],
    )
    await question(
        first, QuestionKind.YES_NO, "Haben Sie im letzten Jahr einen Antrag online gestellt?", required=True
    )
    survey = await actions.reload(db, survey.id)
    yes = next(
        o.id for q in survey.questions if q.kind == QuestionKind.YES_NO for o in q.options if o.label == "Ja"
    )
    second = await new_section(
        "Ihre Erfahrung mit dem Online-Antrag", "Nur, wenn Sie online beantragt haben."
    )
    await question(
        second,
        QuestionKind.SCALE,
        "Wie zufrieden waren Sie mit dem Online-Antrag?",
        required=True,
        scale_min=1,
        scale_max=5,
        scale_min_label="gar nicht zufrieden",
        scale_max_label="sehr zufrieden",
        condition_option_id=yes,
    )
    await question(
        second, QuestionKind.LONG_TEXT, "Was hat gut funktioniert, was nicht?", condition_option_id=yes
    )
    third = await new_section(
        "Beteiligungsservice", "Wie möchten Sie sich an Entscheidungen der Stadt beteiligen?"
    )
    await question(
        third,
        QuestionKind.RANKING,
        "Welche Beteiligungsformate sind Ihnen am wichtigsten?",
        options=[
            "Online-Umfragen",
            "Diskussionsforen",
            "Virtuelle Bürgerversammlungen",
            "Versammlungen vor Ort",
        ],
    )
    await question(third, QuestionKind.SHORT_TEXT, "In welchem Stadtteil wohnen Sie?")
    survey = await actions.reload(db, survey.id)
    await actions.publish_survey(db, survey, now)
    return await actions.reload(db, survey.id)


def _answers(survey: Survey, rng: random.Random, i: int) -> dict[int, list[dict[str, Any]]]:
    """One respondent's answer rows per question, drawn with realistic leanings."""
    rows: dict[int, list[dict[str, Any]]] = {}
    q: dict[QuestionKind, SurveyQuestion] = {x.kind: x for x in survey.questions}
    single = q[QuestionKind.SINGLE].options
    choice = rng.choices(range(4), weights=(14, 9, 4, 1))[0]
    rows[q[QuestionKind.SINGLE].id] = (
        [{"option_id": None, "text": "Über die Ortsverwaltung in Oedeme"}]
        if choice == 3
        else [{"option_id": single[choice].id}]
    )
    multi = q[QuestionKind.MULTIPLE].options
    picked = rng.sample(range(len(multi)), rng.choice((1, 2, 3)))
    rows[q[QuestionKind.MULTIPLE].id] = [
        {"option_id": multi[k].id} for k in sorted(picked, key=lambda k: (k != 0, k))
    ]
    online = rng.random() < 0.6
    yes_no = q[QuestionKind.YES_NO].options
    rows[q[QuestionKind.YES_NO].id] = [{"option_id": yes_no[0 if online else 1].id}]
    if online:
        rows[q[QuestionKind.SCALE].id] = [
            {"number": rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 6, 4))[0]}
        ]
        if i % 3 == 0:
            rows[q[QuestionKind.LONG_TEXT].id] = [
                {
                    "text": LONG_TEXTS[(i // 3) % len(LONG_TEXTS)],
                    "review": Review.RELEASED if i < 24 else Review.PENDING,
                }
            ]
    ranking = list(q[QuestionKind.RANKING].options)
    rng.shuffle(ranking)
    ranking.sort(key=lambda o: rng.random() + (0.6 if o.label == "Online-Umfragen" else 0.0), reverse=True)
    rows[q[QuestionKind.RANKING].id] = [
        {"option_id": o.id, "number": place + 1} for place, o in enumerate(ranking)
    ]
    if i % 2 == 0:
        rows[q[QuestionKind.SHORT_TEXT].id] = [
            {
                "text": SHORT_TEXTS[i % len(SHORT_TEXTS)],
                "review": Review.RELEASED if i < 20 else Review.PENDING,
            }
        ]
    return rows


async def _respond(
    db: AsyncSession,
    survey_id: int,
    rows: Mapping[int, list[dict[str, Any]]],
    *,
    user_id: int | None,
    key: str | None,
    sent: datetime,
) -> None:
    response_id = await db.scalar(
        insert(SurveyResponse)
        .values(
            survey_id=survey_id,
            user_id=user_id,
            anon_key=key,
            submitted_at=sent,
            created_at=sent,
            updated_at=sent,
        )
        .returning(SurveyResponse.id)
    )
    values = [
        {
            "response_id": response_id,
            "question_id": question_id,
            "option_id": item.get("option_id"),
            "number": item.get("number"),
            "text": item.get("text", ""),
            "review": item.get("review", Review.PENDING).value,
            "created_at": sent,
            "updated_at": sent,
        }
        for question_id, items in rows.items()
        for item in items
    ]
    await db.execute(insert(SurveyAnswer), values)


async def seed_surveys(db: AsyncSession, org: Organisation, now: datetime) -> bool:
    """Load the demo surveys once; False when the organisation has surveys already. The demo
    residents answer (Heide, the demo login, is left out on purpose)."""
    existing = await db.scalar(
        select(func.count())
        .select_from(Survey)
        .join(Consultation, Consultation.id == Survey.consultation_id)
        .where(Consultation.organisation_id == org.id)
    )
    if existing:
        return False
    by_slug = {
        c.slug: c
        for c in (await db.scalars(select(Consultation).where(Consultation.organisation_id == org.id))).all()
    }
    digital, arbeit = by_slug.get(DIGITAL_SLUG), by_slug.get(ARBEIT_SLUG)
    if digital is None or arbeit is None:
        return False
    rng = random.Random(2030)
    survey = await _build_survey(db, digital, now - timedelta(days=11))
    people = [
        u.id
        for u in (await db.scalars(select(User).where(User.email.in_([r.email for r in RESIDENTS])))).all()
    ]
    for i in range(32):
        sent = now - timedelta(days=10) + timedelta(hours=7 * i + rng.randint(0, 5))
        user_id = people[i] if i < len(people) else None
        await _respond(db, survey.id, _answers(survey, rng, i), user_id=user_id, key=None, sent=sent)

    poll = await actions.create_survey(
        db,
        consultation=arbeit,
        kind=SurveyKind.POLL,
        title=POLL_TITLE,
        intro="Eine Frage, ein Klick: Das Ergebnis sehen Sie gleich nach Ihrer Stimme.",
        allow_anonymous=True,
        results_visibility=ResultsVisibility.DURING,
        free_text_reviewed=False,
    )
    await actions.add_question(
        db,
        poll,
        poll.sections[0],
        **_q(
            QuestionKind.SINGLE,
            "Was brauchen Gründer:innen in Lüneburg am dringendsten?",
            options=[
                "Günstige Räume in der Innenstadt",
                "Beratung und Netzwerke",
                "Schnelles Internet überall",
                "Kontakt zur Leuphana Universität",
            ],
        ),
    )
    poll = await actions.reload(db, poll.id)
    await actions.publish_survey(db, poll, now - timedelta(days=9))
    options = poll.questions[0].options
    for i in range(27):
        sent = now - timedelta(days=9) + timedelta(hours=5 * i)
        choice = rng.choices(range(len(options)), weights=(9, 5, 4, 3))[0]
        user_id = people[i] if i < len(people) else None
        await _respond(
            db,
            poll.id,
            {poll.questions[0].id: [{"option_id": options[choice].id}]},
            user_id=user_id,
            key=None,
            sent=sent,
        )
    await db.commit()
    return True
