"""Staff forms for a consultation and its phases (rendered by the KERN form macros)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from beteiligung.consultations.actions import MAX_TOPICS, TOPIC_MAX, parse_topics, phase_time_errors
from beteiligung.consultations.models import Consultation, Phase
from beteiligung.consultations.phases import PHASE_NAMES, PhaseKind
from beteiligung.consultations.states import MODE_NAMES, ModerationMode
from beteiligung.i18n import gettext as _
from beteiligung.web.forms import Field, Form

# Dates outside this range are typing slips (a year 0202 or 20277), not plans.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


class ConsultationForm(Form):
    id = "consultation"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "title",
            "Titel",
            max_length=200,
            min_length=3,
            autocomplete="off",
            hint="Kurz und verständlich, zum Beispiel „Neugestaltung des Marktplatzes“.",
        ),
        Field(
            "summary",
            "Kurzbeschreibung",
            kind="textarea",
            max_length=600,
            rows=3,
            hint="Ein bis drei Sätze für die Übersicht der Vorhaben (höchstens 600 Zeichen).",
        ),
        Field(
            "body",
            "Beschreibung",
            kind="textarea",
            required=False,
            max_length=20_000,
            rows=14,
            hint="Markdown: Überschriften mit ##, Listen mit - oder 1., Links als [Text](https://…).",
        ),
        Field(
            "subject",
            "Gegenstand der Beteiligung",
            kind="textarea",
            required=False,
            max_length=5_000,
            rows=4,
            hint="Worüber wird beraten, und wer entscheidet am Ende (zum Beispiel der Rat der Stadt)?",
        ),
        Field(
            "scope_of_decision",
            "Gestaltungsspielraum: Was kann entschieden werden?",
            kind="textarea",
            required=False,
            max_length=5_000,
            rows=4,
            hint="Was steht bereits fest, und worauf können die Beiträge der Bürger:innen Einfluss nehmen?",
        ),
        Field("contact_name", "Ansprechperson", required=False, max_length=200, autocomplete="off"),
        Field(
            "contact_details",
            "Kontakt",
            kind="textarea",
            required=False,
            max_length=2_000,
            rows=3,
            hint="Stelle, Telefon, E-Mail-Adresse, Anschrift.",
        ),
        Field(
            "topics",
            "Themen (durch Komma getrennt)",
            required=False,
            max_length=1_000,
            autocomplete="off",
            hint="Zum Beispiel: Verkehr, Klimaschutz, Innenstadt. Neue Themen werden dabei angelegt.",
        ),
        Field(
            "moderation_mode",
            "Moderation",
            kind="select",
            choices=tuple((mode.value, name) for mode, name in MODE_NAMES.items()),
            hint="Bei Vorab-Moderation erscheinen Beiträge erst, wenn die Moderation sie freigegeben hat.",
        ),
    )

    @classmethod
    def of(cls, consultation: Consultation) -> ConsultationForm:
        """The form filled with a consultation's current values."""
        return cls(
            initial={
                "title": consultation.title,
                "summary": consultation.summary,
                "body": consultation.body,
                "subject": consultation.subject,
                "scope_of_decision": consultation.scope_of_decision,
                "contact_name": consultation.contact_name,
                "contact_details": consultation.contact_details,
                "topics": ", ".join(t.name for t in consultation.topics),
                "moderation_mode": consultation.moderation_mode.value,
            }
        )

    def __init__(self, data: Mapping[str, Any] | None = None, *, initial: Mapping[str, Any] | None = None):
        super().__init__(data, initial=initial)
        if not self.raw.get("moderation_mode") and data is None:
            self.raw["moderation_mode"] = ModerationMode.POST.value  # a new consultation's default

    def _clean_field(self, f: Field, raw: str) -> Any:
        if f.name == "moderation_mode" and not raw.strip():
            return None  # not sent (an older form, a script): the mode stays as it is
        return super()._clean_field(f, raw)

    def clean(self) -> None:
        if "moderation_mode" in self.cleaned:
            mode = self.cleaned.pop("moderation_mode")
            if mode is not None:
                self.cleaned["moderation_mode"] = ModerationMode(mode)
        if "topics" not in self.cleaned:
            return
        names = parse_topics(self.cleaned["topics"])
        self.cleaned["topics"] = names
        too_long = [n for n in names if len(n) > TOPIC_MAX]
        if too_long:
            self.add_error(
                "topics",
                _(
                    "Ein Thema darf höchstens %(max)s Zeichen lang sein: „%(name)s“.",
                    max=TOPIC_MAX,
                    name=too_long[0],
                ),
            )
        elif len(names) > MAX_TOPICS:
            self.add_error("topics", _("Bitte nennen Sie höchstens %(max)s Themen.", max=MAX_TOPICS))


class PhaseForm(Form):
    id = "phase"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "kind",
            "Art der Phase",
            kind="select",
            choices=tuple((kind.value, name) for kind, name in PHASE_NAMES.items()),
            hint="Die Art bestimmt, was Bürger:innen während der Phase tun können (siehe unten).",
        ),
        Field(
            "title",
            "Titel der Phase",
            required=False,
            max_length=120,
            autocomplete="off",
            hint="Leer lassen, um den Namen der Art zu verwenden.",
        ),
        Field(
            "description", "Beschreibung der Phase", kind="textarea", required=False, max_length=5_000, rows=4
        ),
        Field(
            "starts_at",
            "Beginn",
            kind="datetime",
            hint="Datum und Uhrzeit in deutscher Zeit, zum Beispiel 12.03.2027 18:00.",
        ),
        Field(
            "ends_at",
            "Ende",
            kind="datetime",
            hint="Die Phase endet zu diesem Zeitpunkt; die nächste Phase kann genau dann beginnen.",
        ),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
        phases: Sequence[Phase] = (),
        phase_id: int | None = None,
    ) -> None:
        """``phases``: the consultation's phases, checked for overlaps (``phase_id``, the phase
        being edited, is left out)."""
        super().__init__(data, initial=initial)
        self.phases = phases
        self.phase_id = phase_id

    @classmethod
    def of(cls, phase: Phase, phases: Sequence[Phase]) -> PhaseForm:
        return cls(
            initial={
                "kind": phase.kind.value,
                "title": phase.title,
                "description": phase.description,
                "starts_at": phase.starts_at,
                "ends_at": phase.ends_at,
            },
            phases=phases,
            phase_id=phase.id,
        )

    def _clean_field(self, f: Field, raw: str) -> Any:
        if f.kind != "datetime":
            return super()._clean_field(f, raw)
        try:
            value = super()._clean_field(f, raw)
        except OverflowError:  # "0001-01-01T00:00" in Berlin is before year 1 in UTC
            value = datetime.min
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(
                _(
                    "Bitte geben Sie ein Datum zwischen den Jahren %(first)s und %(last)s an.",
                    first=EARLIEST_YEAR,
                    last=LATEST_YEAR,
                )
            )
        return value

    def clean(self) -> None:
        if "kind" in self.cleaned:
            self.cleaned["kind"] = PhaseKind(self.cleaned["kind"])
        errors = phase_time_errors(
            self.phases, self.cleaned.get("starts_at"), self.cleaned.get("ends_at"), exclude_id=self.phase_id
        )
        for name, message in errors.items():
            self.add_error(name, message)
