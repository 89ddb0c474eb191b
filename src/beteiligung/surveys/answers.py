"""Answers as values: parse a posted form per question kind, check it, decide which questions a
respondent sees (conditions). Pure functions over loaded questions, no I/O
(tests/unit/test_surveys_answers.py).

Field names in the form: ``q<id>`` (choice, scale, text), ``q<id>-sonstiges`` (the text of
"Sonstiges"), ``q<id>-rang-<option id>`` (the place of an option in a ranking).

Two kinds of trouble:

* :class:`Tampered`: a value the page never offered (an unknown option id, a rank outside the
  list, two values for a single choice): the request is refused with 400.
* a German message per question (required answer missing, too many choices, a scale value out
  of range, a text too long): the page comes back with 422, the answers kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from beteiligung.i18n import gettext as _
from beteiligung.surveys.models import CHOICE_KINDS, QuestionKind
from beteiligung.web.params import parse_int

OTHER = "sonstiges"  # the form value of "Sonstiges"
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000
OTHER_TEXT_MAX = 200
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class OptionLike(Protocol):
    @property
    def id(self) -> int: ...


class QuestionLike(Protocol):
    """What the functions here read of a question (the model, or a plain object in tests)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> QuestionKind: ...
    @property
    def required(self) -> bool: ...
    @property
    def max_choices(self) -> int | None: ...
    @property
    def scale_min(self) -> int | None: ...
    @property
    def scale_max(self) -> int | None: ...
    @property
    def allow_other(self) -> bool: ...
    @property
    def condition_option_id(self) -> int | None: ...
    @property
    def options(self) -> Sequence[Any]: ...


class Tampered(ValueError):
    """A value no page offered: answer 400, do not re-render."""


@dataclass(frozen=True)
class Answer:
    """One question's answer. ``options``: chosen option ids, or for a ranking all option ids
    from first to last place; ``other``: the "Sonstiges" text when chosen; ``number``: the scale
    value; ``text``: free text."""

    options: tuple[int, ...] = ()
    other: str | None = None
    number: int | None = None
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.options and self.other is None and self.number is None and not self.text


EMPTY = Answer()


@dataclass
class Parsed:
    answers: dict[int, Answer] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)


def field_name(question_id: int) -> str:
    return f"q{question_id}"


class FormValues(Protocol):
    def getall(self, key: str, default: Any = ...) -> list[Any]: ...

    def keys(self) -> Iterable[str]: ...


def _all(form: FormValues, key: str) -> list[str]:
    try:
        values = form.getall(key)
    except KeyError:
        return []
    return [v for v in values if isinstance(v, str)]


def _one(form: FormValues, key: str) -> str:
    values = _all(form, key)
    if len(values) > 1:
        raise Tampered(key)
    return values[0] if values else ""


def clean_text(raw: str, max_length: int) -> str:
    """NFC, trimmed; control characters and over-long texts are the respondent's to fix."""
    value = unicodedata.normalize("NFC", raw).strip()
    if CONTROL_RE.search(value):
        raise ValueError(_("Die Antwort enthält unzulässige Steuerzeichen."))
    if len(value) > max_length:
        raise ValueError(
            _(
                "Bitte kürzen Sie den Text auf höchstens %(max)s Zeichen (derzeit %(n)s).",
                max=max_length,
                n=len(value),
            )
        )
    return value


def _option_id(question: QuestionLike, value: str) -> int:
    option = parse_int(value)
    if option is None or option not in {o.id for o in question.options}:
        raise Tampered(value)
    return option


def parse_answer(question: QuestionLike, form: FormValues) -> Answer:
    """The question's answer from the form. Raises :class:`Tampered` or ``ValueError`` (message)."""
    name = field_name(question.id)
    kind = question.kind
    if kind in CHOICE_KINDS:
        values = _all(form, name) if kind == QuestionKind.MULTIPLE else [_one(form, name)]
        chosen: list[int] = []
        other: str | None = None
        for value in values:
            if value == "":
                continue
            if value == OTHER:
                if not question.allow_other:
                    raise Tampered(value)
                other = clean_text(_one(form, f"{name}-{OTHER}"), OTHER_TEXT_MAX)
                continue
            option = _option_id(question, value)
            if option not in chosen:
                chosen.append(option)
        answer = Answer(options=tuple(chosen), other=other)
        if other == "":
            raise ValueError(_("Bitte beschreiben Sie kurz, was Sie mit „Sonstiges“ meinen."))
        count = len(chosen) + (1 if other is not None else 0)
        if kind == QuestionKind.MULTIPLE and question.max_choices and count > question.max_choices:
            raise ValueError(_("Bitte wählen Sie höchstens %(max)s Antworten aus.", max=question.max_choices))
        return answer
    if kind == QuestionKind.SCALE:
        value = _one(form, name)
        if value == "":
            return EMPTY
        number = parse_int(value)
        if number is None:
            raise Tampered(value)
        low, high = question.scale_min or 1, question.scale_max or 5
        if not low <= number <= high:
            raise ValueError(_("Bitte wählen Sie einen Wert von %(min)s bis %(max)s.", min=low, max=high))
        return Answer(number=number)
    if kind == QuestionKind.RANKING:
        option_ids = [o.id for o in question.options]
        prefix = f"{name}-rang-"
        for key in form.keys():
            if key.startswith(prefix) and parse_int(key[len(prefix) :]) not in option_ids:
                raise Tampered(key)
        ranks: dict[int, int] = {}
        for option in option_ids:
            value = _one(form, f"{prefix}{option}")
            if value == "":
                continue
            rank = parse_int(value, minimum=1, maximum=len(option_ids))
            if rank is None:
                raise Tampered(value)
            ranks[option] = rank
        if not ranks:
            return EMPTY
        if len(ranks) != len(option_ids) or sorted(ranks.values()) != list(range(1, len(option_ids) + 1)):
            raise ValueError(
                _("Bitte vergeben Sie jeden Platz von 1 bis %(n)s genau einmal.", n=len(option_ids))
            )
        return Answer(options=tuple(sorted(option_ids, key=lambda o: ranks[o])))
    limit = SHORT_TEXT_MAX if kind == QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
    return Answer(text=clean_text(_one(form, name), limit))


def visible_questions(questions: Sequence[QuestionLike], answers: Mapping[int, Answer]) -> set[int]:
    """Ids of the questions the respondent sees, in answering order: a question with a condition
    shows when that option was chosen in a visible earlier question. A condition on an option
    that no longer exists is ignored (the question shows)."""
    option_owner = {o.id: q.id for q in questions for o in q.options}
    shown: set[int] = set()
    for question in questions:
        condition = question.condition_option_id
        if condition is None or condition not in option_owner:
            shown.add(question.id)
            continue
        owner = option_owner[condition]
        answer = answers.get(owner)
        if owner in shown and answer is not None and condition in answer.options:
            shown.add(question.id)
    return shown


def parse_section(
    questions: Sequence[QuestionLike],
    form: FormValues,
    *,
    shown: set[int],
    require: bool,
) -> Parsed:
    """Answers of one page's questions. ``require``: missing required answers are errors
    ("Weiter", "Absenden"); saving for later keeps whatever is there."""
    parsed = Parsed()
    for question in questions:
        if question.id not in shown:
            continue
        try:
            answer = parse_answer(question, form)
        except Tampered:
            raise
        except ValueError as exc:
            parsed.errors[question.id] = str(exc)
            continue
        if answer.empty:
            if require and question.required:
                parsed.errors[question.id] = _("Bitte beantworten Sie diese Frage.")
            continue
        parsed.answers[question.id] = answer
    return parsed


def missing_required(questions: Sequence[QuestionLike], answers: Mapping[int, Answer]) -> list[int]:
    """Required questions the respondent sees but has not answered (checked before sending)."""
    shown = visible_questions(questions, answers)
    return [q.id for q in questions if q.id in shown and q.required and answers.get(q.id, EMPTY).empty]


def as_form_values(question: QuestionLike, answer: Answer) -> dict[str, list[str]]:
    """A stored answer as the form values that show it again."""
    name = field_name(question.id)
    if question.kind == QuestionKind.RANKING:
        return {f"{name}-rang-{o}": [str(i + 1)] for i, o in enumerate(answer.options)}
    if question.kind in CHOICE_KINDS:
        values = [str(o) for o in answer.options]
        out = {name: values}
        if answer.other is not None:
            values.append(OTHER)
            out[f"{name}-{OTHER}"] = [answer.other]
        return out
    if question.kind == QuestionKind.SCALE:
        return {name: [str(answer.number)]} if answer.number is not None else {}
    return {name: [answer.text]} if answer.text else {}


class Values:
    """Form values for the templates: ``values.get(name)`` (first) and ``values.all(name)``;
    also what :func:`parse_answer` reads (``getall``/``keys``)."""

    def __init__(self, data: Mapping[str, list[str]] | None = None) -> None:
        self._data: dict[str, list[str]] = {k: list(v) for k, v in (data or {}).items()}

    @classmethod
    def from_multidict(cls, form: Any) -> Values:
        return cls({key: [v for v in form.getall(key) if isinstance(v, str)] for key in form.keys()})

    @classmethod
    def from_answers(cls, questions: Iterable[QuestionLike], answers: Mapping[int, Answer]) -> Values:
        data: dict[str, list[str]] = {}
        for question in questions:
            if question.id in answers:
                data.update(as_form_values(question, answers[question.id]))
        return cls(data)

    def getall(self, key: str, default: Any = None) -> list[str]:
        if key not in self._data:
            raise KeyError(key)
        return self._data[key]

    def keys(self) -> Iterable[str]:
        return self._data.keys()

    def get(self, key: str) -> str:
        values = self._data.get(key) or [""]
        return values[0]

    def all(self, key: str) -> list[str]:
        return self._data.get(key, [])
