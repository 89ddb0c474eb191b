"""CSV and JSON exports of a survey's sent responses, fit for publication as open data: no user
ids, names, session keys or response ids (a running number instead), the day of sending only,
and free texts only where the public results show them (released, when staff review them)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from beteiligung.i18n import local_tz
from beteiligung.surveys.models import CHOICE_KINDS, QuestionKind, Review, Survey, SurveyQuestion
from beteiligung.surveys.queries import Results, text_public


def _cell(survey: Survey, question: SurveyQuestion, rows: Sequence[tuple[Any, ...]]) -> Any:
    """One answer as a plain value: labels for choices (a list for multiple choice and ranking),
    the number for a scale, the text for free text; None when not answered."""
    labels = {o.id: o.label for o in question.options}
    mine = [r for r in rows if r[0] == question.id]
    if not mine:
        return None
    if question.kind == QuestionKind.RANKING:
        return [labels.get(o, "") for _q, o, _n, _t, _r in sorted(mine, key=lambda r: r[2] or 0)]
    if question.kind in CHOICE_KINDS:
        chosen = [labels.get(o, "") for _q, o, _n, _t, _r in mine if o is not None]
        others = [
            "Sonstiges: " + t if text_public(survey, Review(r)) else "Sonstiges"
            for _q, o, _n, t, r in mine
            if o is None
        ]
        values = chosen + others
        return values if question.kind == QuestionKind.MULTIPLE else (values[0] if values else None)
    if question.kind == QuestionKind.SCALE:
        return mine[0][2]
    _q, _o, _n, text, review = mine[0]
    return text if text_public(survey, Review(review)) else None


def _day(value: datetime) -> str:
    return value.astimezone(local_tz()).date().isoformat()


def export_json(
    survey: Survey, responses: Sequence[tuple[int, datetime, list[tuple[Any, ...]]]], results: Results
) -> str:
    questions = survey.ordered_questions()
    sections = {s.id: s.title for s in survey.sections}
    data = {
        "survey": {
            "title": survey.title,
            "consultation": survey.consultation.title,
            "kind": survey.kind.value,
            "responses": len(responses),
        },
        "questions": [
            {
                "number": i + 1,
                "section": sections.get(q.section_id, ""),
                "text": q.text,
                "kind": q.kind.value,
                "required": q.required,
                "options": [o.label for o in q.options],
                **({"scale": [q.scale_min, q.scale_max]} if q.kind == QuestionKind.SCALE else {}),
            }
            for i, q in enumerate(questions)
        ],
        "results": [
            {
                "number": i + 1,
                "answered": r.answered,
                "counts": [{"label": b.label, "count": b.count, "percent": b.percent} for b in r.bars]
                if r.kind != QuestionKind.RANKING
                else [{"label": b.label, "average_place": b.value, "count": b.count} for b in r.bars],
                **({"mean": r.mean} if r.kind == QuestionKind.SCALE else {}),
            }
            for i, r in enumerate(results.questions)
        ],
        "responses": [
            {
                "number": number,
                "sent_on": _day(sent_at),
                "answers": {str(i + 1): _cell(survey, q, rows) for i, q in enumerate(questions)},
            }
            for number, sent_at, rows in responses
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def export_csv(survey: Survey, responses: Sequence[tuple[int, datetime, list[tuple[Any, ...]]]]) -> str:
    questions = survey.ordered_questions()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Nr.", "Abgesendet am", *(f"{i + 1}. {q.text}" for i, q in enumerate(questions))])
    for number, sent_at, rows in responses:
        cells = []
        for q in questions:
            value = _cell(survey, q, rows)
            if isinstance(value, list):
                value = (" > " if q.kind == QuestionKind.RANKING else " | ").join(value)
            cells.append(_safe("" if value is None else str(value)))
        writer.writerow([number, _day(sent_at), *cells])
    return "\ufeff" + out.getvalue()  # BOM: spreadsheet programs then read UTF-8


def _safe(value: str) -> str:
    """No formula injection: a cell that a spreadsheet would evaluate gets a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
