"""Answers of each question kind: parsing, validation, tampering, conditions (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from beteiligung.surveys.answers import (
    Answer,
    Tampered,
    Values,
    as_form_values,
    missing_required,
    parse_answer,
    parse_section,
    visible_questions,
)
from beteiligung.surveys.models import QuestionKind


@dataclass
class Opt:
    id: int
    label: str


@dataclass
class Q:
    id: int
    kind: QuestionKind
    options: list[Opt] = field(default_factory=list)
    required: bool = False
    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    allow_other: bool = False
    condition_option_id: int | None = None


SINGLE = Q(1, QuestionKind.SINGLE, [Opt(11, "Online"), Opt(12, "Im Bürgeramt")], allow_other=True)
MULTI = Q(
    2, QuestionKind.MULTIPLE, [Opt(21, "Anträge"), Opt(22, "Termine"), Opt(23, "Bezahlen")], max_choices=2
)
YES_NO = Q(3, QuestionKind.YES_NO, [Opt(31, "Ja"), Opt(32, "Nein")], required=True)
SCALE = Q(4, QuestionKind.SCALE, scale_min=1, scale_max=5)
RANKING = Q(5, QuestionKind.RANKING, [Opt(51, "Glasfaser"), Opt(52, "WLAN"), Opt(53, "Daten")])
SHORT = Q(6, QuestionKind.SHORT_TEXT)
LONG = Q(7, QuestionKind.LONG_TEXT, condition_option_id=31)


def form(**data: str | list[str]) -> Values:
    return Values({k.replace("_", "-"): v if isinstance(v, list) else [v] for k, v in data.items()})


@pytest.mark.parametrize(
    ("question", "data", "expected"),
    [
        (SINGLE, {"q1": "11"}, Answer(options=(11,))),
        (SINGLE, {"q1": "sonstiges", "q1_sonstiges": " Per Post "}, Answer(other="Per Post")),
        (SINGLE, {}, Answer()),
        (MULTI, {"q2": ["21", "23", "21"]}, Answer(options=(21, 23))),
        (YES_NO, {"q3": "32"}, Answer(options=(32,))),
        (SCALE, {"q4": "5"}, Answer(number=5)),
        (SCALE, {"q4": ""}, Answer()),
        (RANKING, {"q5_rang_51": "2", "q5_rang_52": "3", "q5_rang_53": "1"}, Answer(options=(53, 51, 52))),
        (RANKING, {"q5_rang_51": "", "q5_rang_52": ""}, Answer()),
        (SHORT, {"q6": "  Mehr Online-Termine  "}, Answer(text="Mehr Online-Termine")),
        (LONG, {"q7": "Zeile 1\nZeile 2"}, Answer(text="Zeile 1\nZeile 2")),
    ],
)
def test_each_kind_parses(question, data, expected):
    assert parse_answer(question, form(**data)) == expected


@pytest.mark.parametrize(
    ("question", "data", "message"),
    [
        (MULTI, {"q2": ["21", "22", "23"]}, "höchstens 2"),
        (SCALE, {"q4": "9"}, "von 1 bis 5"),
        (SCALE, {"q4": "0"}, "von 1 bis 5"),
        (RANKING, {"q5_rang_51": "1", "q5_rang_52": "1", "q5_rang_53": "2"}, "genau einmal"),
        (RANKING, {"q5_rang_51": "1"}, "genau einmal"),
        (SINGLE, {"q1": "sonstiges", "q1_sonstiges": ""}, "Sonstiges"),
        (SHORT, {"q6": "x" * 301}, "höchstens 300"),
        (SHORT, {"q6": "a\x00b"}, "Steuerzeichen"),
    ],
)
def test_invalid_answers_have_a_message(question, data, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_answer(question, form(**data))
    assert not isinstance(info.value, Tampered)


@pytest.mark.parametrize(
    ("question", "data"),
    [
        (SINGLE, {"q1": "99"}),  # an option of no question
        (SINGLE, {"q1": "21"}),  # an option of another question
        (SINGLE, {"q1": ["11", "12"]}),  # two values for a single choice
        (MULTI, {"q2": ["21", "abc"]}),
        (MULTI, {"q2": "sonstiges"}),  # "Sonstiges" not offered here
        (YES_NO, {"q3": "11"}),
        (SCALE, {"q4": "fünf"}),
        (RANKING, {"q5_rang_51": "4"}),  # rank out of the list
        (RANKING, {"q5_rang_99": "1"}),  # option of no question
    ],
)
def test_tampered_values_are_refused(question, data):
    with pytest.raises(Tampered):
        parse_answer(question, form(**data))


def test_required_answers_only_when_going_on():
    questions = [SINGLE, YES_NO]
    shown = {1, 3}
    going_on = parse_section(questions, form(q1="11"), shown=shown, require=True)
    assert going_on.errors == {3: "Bitte beantworten Sie diese Frage."}
    assert going_on.answers == {1: Answer(options=(11,))}
    saving = parse_section(questions, form(q1="11"), shown=shown, require=False)
    assert saving.errors == {} and saving.answers == {1: Answer(options=(11,))}


def test_hidden_questions_are_neither_read_nor_required():
    parsed = parse_section([YES_NO, LONG], form(q3="32", q7="Text"), shown={3}, require=True)
    assert parsed.answers == {3: Answer(options=(32,))} and not parsed.errors


def test_conditions_follow_the_chosen_option_and_chain():
    follow_up = Q(8, QuestionKind.SHORT_TEXT, condition_option_id=99)  # option gone: always shown
    chained = Q(9, QuestionKind.SINGLE, [Opt(91, "a"), Opt(92, "b")], condition_option_id=31)
    after_chained = Q(10, QuestionKind.SHORT_TEXT, condition_option_id=91)
    questions = [YES_NO, LONG, follow_up, chained, after_chained]
    assert visible_questions(questions, {}) == {3, 8}
    assert visible_questions(questions, {3: Answer(options=(31,))}) == {3, 7, 8, 9}
    assert visible_questions(questions, {3: Answer(options=(31,)), 9: Answer(options=(91,))}) == {
        3,
        7,
        8,
        9,
        10,
    }
    # "Nein" hides 7 and 9, and with 9 hidden its answer no longer opens 10.
    assert visible_questions(questions, {3: Answer(options=(32,)), 9: Answer(options=(91,))}) == {3, 8}


def test_missing_required_looks_at_visible_questions_only():
    required_follow_up = Q(7, QuestionKind.LONG_TEXT, required=True, condition_option_id=31)
    questions = [YES_NO, required_follow_up]
    assert missing_required(questions, {}) == [3]
    assert missing_required(questions, {3: Answer(options=(32,))}) == []
    assert missing_required(questions, {3: Answer(options=(31,))}) == [7]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (SINGLE, Answer(other="Per Post")),
        (MULTI, Answer(options=(21, 22))),
        (SCALE, Answer(number=3)),
        (RANKING, Answer(options=(52, 53, 51))),
        (SHORT, Answer(text="Hallo")),
    ],
)
def test_stored_answers_show_again_in_the_form(question, answer):
    assert parse_answer(question, Values(as_form_values(question, answer))) == answer
