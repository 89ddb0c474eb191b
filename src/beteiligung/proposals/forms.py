"""Forms for proposals: submit and edit (residents), record from paper (staff), answer (staff)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from beteiligung.consultations.models import Topic
from beteiligung.proposals.models import ANSWER_NAMES, SOURCE_NAMES, AnswerState, Source
from beteiligung.web.forms import Field, Form

SUBMISSION_KEY = Field("submission_key", "Formularkennung", kind="hidden", required=False, max_length=64)
TOPIC = Field("topic", "Thema", kind="select", required=False, choices=(("", "Kein bestimmtes Thema"),))


class _WithTopics(Form):
    """The topic choices are the consultation's topics, set per instance."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
        topics: Sequence[Topic] = (),
    ) -> None:
        choices = (("", "Kein bestimmtes Thema"), *((t.slug, t.name) for t in topics))
        self.fields = tuple(  # type: ignore[misc]
            Field(f.name, f.label, kind=f.kind, required=f.required, choices=choices, hint=f.hint)
            if f.name == "topic"
            else f
            for f in type(self).fields
        )
        self.topics = {t.slug: t for t in topics}
        initial = dict(initial or {})
        initial.setdefault("submission_key", uuid.uuid4().hex)
        super().__init__(data, initial=initial)

    def topic_id(self) -> int | None:
        topic = self.topics.get(self.cleaned.get("topic") or "")
        return topic.id if topic else None


class ProposalForm(_WithTopics):
    id: ClassVar[str] = "proposal"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "title",
            "Titel",
            max_length=150,
            min_length=5,
            hint="Kurz und treffend, zum Beispiel „Mehr Fahrradbügel am Bahnhof“.",
        ),
        Field(
            "body",
            "Ihr Vorschlag",
            kind="textarea",
            max_length=5000,
            min_length=20,
            rows=8,
            hint="Was schlagen Sie vor, und warum? Einfache Formatierung mit Markdown ist möglich.",
        ),
        TOPIC,
        Field(
            "place",
            "Ort",
            required=False,
            max_length=200,
            hint="Wenn Ihr Vorschlag einen bestimmten Ort betrifft, zum Beispiel „Am Sande“.",
        ),
        SUBMISSION_KEY,
    )


class EditProposalForm(_WithTopics):
    """The author's change: the same fields as submitting, filled with the current text."""

    id: ClassVar[str] = "proposal-edit"
    fields: ClassVar[tuple[Field, ...]] = (
        ProposalForm.fields[0],
        ProposalForm.fields[1],
        TOPIC,
        ProposalForm.fields[3],
    )


class OfflineProposalForm(_WithTopics):
    id: ClassVar[str] = "offline-proposal"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "source",
            "Eingang",
            kind="select",
            choices=tuple((s.value, SOURCE_NAMES[s]) for s in (Source.PAPER, Source.EVENT)),
        ),
        Field(
            "source_note",
            "Herkunft",
            max_length=200,
            hint="Zum Beispiel „Postkarte aus dem Bürgeramt“ oder „Stadtteilversammlung Kaltenmoor am 12. März“.",
        ),
        ProposalForm.fields[0],
        ProposalForm.fields[1],
        TOPIC,
        ProposalForm.fields[3],
        SUBMISSION_KEY,
    )


class AnswerForm(Form):
    id: ClassVar[str] = "answer"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "state",
            "Status",
            kind="select",
            choices=tuple((s.value, ANSWER_NAMES[s]) for s in AnswerState if s != AnswerState.NONE),
        ),
        Field(
            "text",
            "Stellungnahme",
            kind="textarea",
            max_length=10000,
            min_length=10,
            rows=10,
            hint="Öffentlich sichtbar unter dem Vorschlag. Die einreichende Person wird per E-Mail benachrichtigt.",
        ),
    )
