"""Forms of the meetings: the staff form (settings and agenda) and the guest name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from beteiligung.consultations.states import ModerationMode
from beteiligung.i18n import gettext as _
from beteiligung.meetings.actions import agenda_text, parse_agenda
from beteiligung.meetings.models import FORMAT_NAMES, VIDEO_NAMES, Meeting, MeetingFormat, VideoKind
from beteiligung.web.forms import Field, Form

NO_CONSULTATION = "-"


def _fields(consultations: Sequence[Any]) -> tuple[Field, ...]:
    return (
        Field("title", "Titel", max_length=200, min_length=3, autocomplete="off"),
        Field(
            "consultation",
            "Gehört zum Vorhaben",
            kind="select",
            choices=(
                (NO_CONSULTATION, "Keinem Vorhaben: Veranstaltung der Kommune"),
                *((c.slug, c.title) for c in consultations),
            ),
        ),
        Field(
            "description",
            "Beschreibung",
            kind="textarea",
            required=False,
            max_length=5_000,
            rows=5,
            hint="Worum es geht und wie man teilnimmt. Markdown ist erlaubt.",
        ),
        Field(
            "starts_at", "Beginn", kind="datetime", hint="Datum und Uhrzeit, zum Beispiel 12.03.2027 18:00."
        ),
        Field("ends_at", "Ende", kind="datetime"),
        Field("format", "Form", kind="select", choices=tuple((k.value, v) for k, v in FORMAT_NAMES.items())),
        Field(
            "place",
            "Ort (bei hybriden Veranstaltungen)",
            required=False,
            max_length=300,
            hint="Zum Beispiel: Rathaus Lüneburg, Huldigungssaal, Am Ochsenmarkt 1.",
        ),
        Field(
            "agenda",
            "Tagesordnung",
            kind="textarea",
            required=False,
            max_length=5_000,
            rows=6,
            hint="Ein Punkt je Zeile, auf Wunsch mit Erläuterung nach einem Doppelpunkt.",
        ),
        Field(
            "video_kind",
            "Videokonferenz oder Stream",
            kind="select",
            choices=tuple((k.value, v) for k, v in VIDEO_NAMES.items()),
        ),
        Field(
            "video_url",
            "Adresse der Videokonferenz oder des Streams",
            required=False,
            max_length=500,
            hint="Beginnt mit https://. Eingebettet wird sie nur bei freigegebenen Adressen und erst nach einem Klick.",
        ),
        Field(
            "question_moderation",
            "Fragen aus dem Publikum",
            kind="select",
            choices=(
                (ModerationMode.PRE.value, "Vorab-Moderation: Fragen erscheinen nach Freigabe"),
                (ModerationMode.POST.value, "Nachträgliche Moderation: Fragen erscheinen sofort"),
            ),
        ),
        Field("speaking_seconds", "Redezeit je Wortmeldung in Sekunden", kind="number", max_length=5),
        Field(
            "registration_required",
            "Anmeldung erforderlich",
            kind="checkbox",
            required=False,
            hint="Nur angemeldete Teilnehmende können Fragen stellen, abstimmen und sich zu Wort melden.",
        ),
        Field(
            "allow_guests",
            "Gäste zulassen",
            kind="checkbox",
            required=False,
            hint="Gäste nehmen ohne Konto mit einem selbst gewählten Anzeigenamen teil.",
        ),
    )


class MeetingForm(Form):
    id: ClassVar[str] = "meeting"

    def __init__(self, data: Any = None, *, initial: Any = None, consultations: Sequence[Any] = ()) -> None:
        self.fields = _fields(consultations)  # type: ignore[misc]
        self._consultations = {c.slug: c for c in consultations}
        super().__init__(data, initial=initial)

    @classmethod
    def of(cls, meeting: Meeting, consultations: Sequence[Any]) -> MeetingForm:
        slug = next((c.slug for c in consultations if c.id == meeting.consultation_id), NO_CONSULTATION)
        return cls(
            initial={
                "title": meeting.title,
                "consultation": slug,
                "description": meeting.description,
                "starts_at": meeting.starts_at,
                "ends_at": meeting.ends_at,
                "format": meeting.format.value,
                "place": meeting.place,
                "agenda": agenda_text(meeting),
                "video_kind": meeting.video_kind.value,
                "video_url": meeting.video_url,
                "question_moderation": meeting.question_moderation.value,
                "speaking_seconds": str(meeting.speaking_seconds),
                "registration_required": "on" if meeting.registration_required else "",
                "allow_guests": "on" if meeting.allow_guests else "",
            },
            consultations=consultations,
        )

    def clean(self) -> None:
        c = self.cleaned
        if c.get("starts_at") and c.get("ends_at"):
            if c["ends_at"] <= c["starts_at"]:
                self.add_error("ends_at", _("Das Ende muss nach dem Beginn liegen."))
            elif c["ends_at"] - c["starts_at"] > timedelta(hours=24):
                self.add_error("ends_at", _("Eine Veranstaltung dauert höchstens 24 Stunden."))
        if c.get("format") == MeetingFormat.HYBRID.value and not c.get("place"):
            self.add_error("place", _("Bitte geben Sie den Ort der hybriden Veranstaltung an."))
        url = c.get("video_url") or ""
        if c.get("video_kind") and c["video_kind"] != VideoKind.NONE.value:
            if not url:
                self.add_error("video_url", _("Bitte geben Sie die Adresse der Videokonferenz an."))
            else:
                parts = urlsplit(url)
                if parts.scheme != "https" or not parts.netloc or " " in url:
                    self.add_error(
                        "video_url", _("Bitte geben Sie eine Adresse an, die mit https:// beginnt.")
                    )
        elif url:
            self.add_error(
                "video_url",
                _("Bitte wählen Sie die Art der Videokonferenz oder lassen Sie die Adresse leer."),
            )
        seconds = c.get("speaking_seconds")
        if seconds is not None and not 30 <= seconds <= 1800:
            self.add_error(
                "speaking_seconds", _("Bitte geben Sie eine Redezeit zwischen 30 und 1800 Sekunden an.")
            )
        if "agenda" in c and len(parse_agenda(c["agenda"] or "")) > 30:
            self.add_error("agenda", _("Bitte fassen Sie die Tagesordnung in höchstens 30 Punkten."))

    def values(self) -> dict[str, Any]:
        """The model's fields from a valid form."""
        c = self.cleaned
        consultation = self._consultations.get(c["consultation"])
        return {
            "consultation_id": consultation.id if consultation else None,
            "title": c["title"],
            "description": c["description"] or "",
            "starts_at": c["starts_at"],
            "ends_at": c["ends_at"],
            "format": MeetingFormat(c["format"]),
            "place": c["place"] or "",
            "video_kind": VideoKind(c["video_kind"]),
            "video_url": c["video_url"] or "",
            "registration_required": bool(c["registration_required"]),
            "allow_guests": bool(c["allow_guests"]),
            "question_moderation": ModerationMode(c["question_moderation"]),
            "speaking_seconds": c["speaking_seconds"],
        }


class GuestForm(Form):
    id: ClassVar[str] = "guest"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "name",
            "Ihr Anzeigename",
            max_length=60,
            min_length=2,
            autocomplete="nickname",
            hint="Wird bei Ihren Fragen und Wortmeldungen gezeigt. Ein Pseudonym genügt.",
        ),
    )
