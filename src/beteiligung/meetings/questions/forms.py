"""The forms of the meeting's Q&A: a new question, a staff answer note; the sort of the list."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from beteiligung.i18n import lazy
from beteiligung.meetings.models import (
    Meeting,
    MeetingQuestion,
)
from beteiligung.web.forms import Field, Form
from beteiligung.web.params import parse_int

BODY_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 1000

# ?fragen= value -> label (German msgid)
SORTS: dict[str, str] = {
    "stimmen": lazy("Meiste Stimmen zuerst"),
    "neu": lazy("Neueste zuerst"),
}
DEFAULT_SORT = "stimmen"


def parse_sort(value: str | None) -> str:
    return value if value in SORTS else DEFAULT_SORT


QUESTION_BODY = Field(
    "body",
    "Ihre Frage",
    kind="textarea",
    max_length=BODY_MAX_LENGTH,
    min_length=3,
    rows=3,
    hint="Höchstens 1000 Zeichen. Ihre Frage erscheint mit Ihrem Anzeigenamen; bitte beachten Sie die Netiquette.",
)
QUESTION_AGENDA_ITEM = Field(
    "agenda_item",
    "Zum Tagesordnungspunkt",
    kind="select",
    required=False,
    choices=(("", "Allgemeine Frage (kein bestimmter Punkt)"),),
)
QUESTION_SUBMISSION_KEY = Field(
    "submission_key", "Formularkennung", kind="hidden", required=False, max_length=64
)
ANSWER_NOTE = Field(
    "notiz",
    "Kurze Antwort für das Protokoll",
    kind="textarea",
    required=False,
    max_length=NOTE_MAX_LENGTH,
    rows=2,
    hint="Optional, höchstens 1000 Zeichen. Sie erscheint bei der Frage und im Protokoll.",
)


class QuestionForm(Form):
    """A new question; the agenda item defaults to the current one."""

    id: ClassVar[str] = "question-new"
    fields: ClassVar[tuple[Field, ...]] = (QUESTION_BODY, QUESTION_AGENDA_ITEM, QUESTION_SUBMISSION_KEY)

    def __init__(self, data: Mapping[str, Any] | None = None, *, meeting: Meeting) -> None:
        choices = (
            *QUESTION_AGENDA_ITEM.choices,
            *((str(item.id), f"{item.position}. {item.title}") for item in meeting.agenda),
        )
        self.fields = (  # type: ignore[misc]
            QUESTION_BODY,
            replace(QUESTION_AGENDA_ITEM, choices=choices),
            QUESTION_SUBMISSION_KEY,
        )
        current = str(meeting.current_item_id or "")
        initial = {"submission_key": uuid.uuid4().hex, "agenda_item": current}
        if data is not None and "agenda_item" not in data:
            data = {**data, "agenda_item": current}  # not sent (no agenda on the form): the current item
        super().__init__(data, initial=initial)

    @property
    def agenda_item_id(self) -> int | None:
        value = self.cleaned.get("agenda_item") or ""
        return parse_int(value)


class AnswerForm(Form):
    """Staff mark a question answered, with an optional note. ``place`` tells the list's form
    (``fragen``) from the spotlight's (``im-fokus``), so their ids stay unique on the page."""

    id: ClassVar[str] = "answer"
    fields: ClassVar[tuple[Field, ...]] = (ANSWER_NOTE,)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        question_id: int = 0,
        place: str = "fragen",
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.question_id = question_id
        self.place = place
        prefix = "spotlight-answer" if place == "im-fokus" else "answer"
        self.id = f"{prefix}-{question_id}"  # type: ignore[misc]


def answer_form(question: MeetingQuestion, place: str) -> AnswerForm:
    return AnswerForm(question_id=question.id, place=place, initial={"notiz": question.answer_note})
