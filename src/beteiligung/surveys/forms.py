"""Staff forms for building surveys: the survey's settings, a section, a question."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from beteiligung.i18n import gettext as _
from beteiligung.surveys.models import (
    KIND_NAMES,
    RESULTS_NAMES,
    QuestionKind,
    ResultsVisibility,
    Survey,
    SurveyKind,
    SurveyQuestion,
    SurveySection,
)
from beteiligung.web.forms import Field, Form

SETTINGS_FIELDS = (
    Field("title", "Titel", max_length=200, min_length=3, autocomplete="off"),
    Field(
        "intro",
        "Einleitung",
        kind="textarea",
        required=False,
        max_length=5_000,
        rows=5,
        hint="Worum geht es, wie lange dauert die Teilnahme, was geschieht mit den Ergebnissen?",
    ),
    Field(
        "allow_anonymous",
        "Ohne Anmeldung teilnehmen lassen (eine Antwort je Browser-Sitzung)",
        kind="checkbox",
        required=False,
    ),
    Field(
        "results_visibility",
        "Ergebnisse für Teilnehmende",
        kind="select",
        choices=tuple((v.value, RESULTS_NAMES[v]) for v in ResultsVisibility),
    ),
    Field(
        "free_text_reviewed",
        "Freitext-Antworten erst nach Prüfung durch die Verwaltung veröffentlichen",
        kind="checkbox",
        required=False,
    ),
)


class SurveyForm(Form):
    id: ClassVar[str] = "survey"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "kind",
            "Art",
            kind="select",
            choices=(
                (SurveyKind.SURVEY.value, "Umfrage mit mehreren Fragen"),
                (SurveyKind.POLL.value, "Schnellumfrage: eine Frage, Ergebnis sofort"),
            ),
        ),
        *SETTINGS_FIELDS,
    )


class SurveySettingsForm(Form):
    id: ClassVar[str] = "survey-settings"
    fields: ClassVar[tuple[Field, ...]] = SETTINGS_FIELDS

    @classmethod
    def of(cls, survey: Survey) -> SurveySettingsForm:
        return cls(
            initial={
                "title": survey.title,
                "intro": survey.intro,
                "allow_anonymous": "on" if survey.allow_anonymous else "",
                "results_visibility": survey.results_visibility.value,
                "free_text_reviewed": "on" if survey.free_text_reviewed else "",
            }
        )


class SectionForm(Form):
    id: ClassVar[str] = "section"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("title", "Überschrift des Teils", max_length=200, min_length=2, autocomplete="off"),
        Field("description", "Erläuterung", kind="textarea", required=False, max_length=2_000, rows=3),
    )

    @classmethod
    def of(cls, section: SurveySection) -> SectionForm:
        return cls(initial={"title": section.title, "description": section.description})


class QuestionForm(Form):
    id: ClassVar[str] = "question"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "kind",
            "Art der Frage",
            kind="select",
            choices=tuple((k.value, KIND_NAMES[k]) for k in QuestionKind),
        ),
        Field("text", "Frage", max_length=500, min_length=3, autocomplete="off"),
        Field("help", "Hinweis zur Frage", kind="textarea", required=False, max_length=2_000, rows=2),
        Field("required", "Antwort erforderlich", kind="checkbox", required=False),
        Field(
            "options",
            "Antwortmöglichkeiten (eine pro Zeile)",
            kind="textarea",
            required=False,
            max_length=5_000,
            rows=5,
            hint="Für Einfach- und Mehrfachauswahl und Rangfolge, mindestens zwei. Ja/Nein braucht keine.",
        ),
        Field(
            "allow_other",
            "„Sonstiges“ mit eigenem Text anbieten (Einfach- und Mehrfachauswahl)",
            kind="checkbox",
            required=False,
        ),
        Field(
            "max_choices",
            "Höchstens so viele Antworten (Mehrfachauswahl)",
            kind="number",
            required=False,
            max_length=3,
            hint="Leer lassen: beliebig viele.",
        ),
        Field(
            "scale_min", "Skala von", kind="number", required=False, max_length=3, hint="0 oder 1; leer: 1."
        ),
        Field(
            "scale_max",
            "Skala bis",
            kind="number",
            required=False,
            max_length=3,
            hint="Höchstens 10; leer: 5.",
        ),
        Field(
            "scale_min_label",
            "Beschriftung des niedrigsten Werts",
            required=False,
            max_length=80,
            hint="Zum Beispiel „gar nicht zufrieden“.",
        ),
        Field(
            "scale_max_label",
            "Beschriftung des höchsten Werts",
            required=False,
            max_length=80,
            hint="Zum Beispiel „sehr zufrieden“.",
        ),
        Field(
            "condition",
            "Nur anzeigen, wenn",
            kind="select",
            required=False,
            choices=(("", "Immer anzeigen"),),
            hint="Eine Antwort aus einem früheren Teil der Umfrage.",
        ),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
        conditions: Sequence[tuple[int, str, str]] = (),
        poll: bool = False,
    ) -> None:
        choices = (("", "Immer anzeigen"), *((str(o), f"„{q[:60]}“: {label}") for o, q, label in conditions))
        kinds = tuple(
            (k.value, KIND_NAMES[k])
            for k in QuestionKind
            if not poll or k in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.YES_NO)
        )
        self.fields = tuple(  # type: ignore[misc]
            Field(f.name, f.label, kind=f.kind, required=f.required, choices=choices, hint=f.hint)
            if f.name == "condition"
            else Field(f.name, f.label, kind=f.kind, choices=kinds)
            if f.name == "kind"
            else f
            for f in type(self).fields
        )
        self.has_conditions = bool(conditions)
        super().__init__(data, initial=initial)

    def clean(self) -> None:
        for name, low, high in (("max_choices", 1, 20), ("scale_min", 0, 1), ("scale_max", 2, 10)):
            value = self.cleaned.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(
                    name, _("Bitte geben Sie eine Zahl von %(min)s bis %(max)s an.", min=low, max=high)
                )

    def values(self) -> dict[str, Any]:
        c = self.cleaned
        return {
            "kind": QuestionKind(c["kind"]),
            "text": c["text"],
            "help": c["help"],
            "required": c["required"],
            "max_choices": c["max_choices"],
            "scale_min": c["scale_min"],
            "scale_max": c["scale_max"],
            "scale_min_label": c["scale_min_label"],
            "scale_max_label": c["scale_max_label"],
            "allow_other": c["allow_other"],
            "condition_option_id": int(c["condition"]) if c.get("condition") else None,
            "options": [line for line in c["options"].splitlines() if line.strip()],
        }

    @classmethod
    def of(
        cls, question: SurveyQuestion, conditions: Sequence[tuple[int, str, str]], poll: bool = False
    ) -> QuestionForm:
        return cls(
            initial={
                "kind": question.kind.value,
                "text": question.text,
                "help": question.help,
                "required": "on" if question.required else "",
                "options": "\n".join(o.label for o in question.options)
                if question.kind != QuestionKind.YES_NO
                else "",
                "allow_other": "on" if question.allow_other else "",
                "max_choices": question.max_choices,
                "scale_min": question.scale_min,
                "scale_max": question.scale_max,
                "scale_min_label": question.scale_min_label,
                "scale_max_label": question.scale_max_label,
                "condition": question.condition_option_id or "",
            },
            conditions=conditions,
            poll=poll,
        )
