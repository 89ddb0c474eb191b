"""The speaker list's form: asking to speak."""

from __future__ import annotations

from beteiligung.web.forms import Field, Form


class SpeakForm(Form):
    """Asking to speak: one optional checkbox."""

    id = "speak"
    fields = (
        Field(
            "geschaeftsordnung",
            "Zur Geschäftsordnung",
            kind="checkbox",
            required=False,
            hint="Nur für Anträge zum Ablauf der Sitzung; diese Wortmeldungen kommen zuerst dran.",
        ),
    )
