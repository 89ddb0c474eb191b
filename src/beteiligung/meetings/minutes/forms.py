"""The staff forms of the minutes: the text, and drafting anew."""

from __future__ import annotations

from typing import ClassVar

from beteiligung.web.forms import Field, Form

MINUTES_MAX_LENGTH = 50_000


class MinutesForm(Form):
    id: ClassVar[str] = "minutes"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "minutes",
            "Text des Protokolls (Markdown)",
            kind="textarea",
            required=False,
            max_length=MINUTES_MAX_LENGTH,
            rows=24,
            hint=(
                "Höchstens 50.000 Zeichen. Abschnitte beginnen mit ##, Unterabschnitte mit ###; "
                "Listen mit - oder 1., Tabellen mit |. Die Überschrift mit dem Titel der "
                "Veranstaltung wird automatisch ergänzt."
            ),
        ),
    )


class RegenerateForm(Form):
    id: ClassVar[str] = "minutes-regenerate"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "bestaetigen",
            "Ja, den bisherigen Text ersetzen",
            kind="checkbox",
            hint="Alle Änderungen am bisherigen Text gehen dabei verloren.",
        ),
    )
