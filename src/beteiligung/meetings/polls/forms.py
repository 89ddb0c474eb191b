"""The staff form that prepares a poll."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from beteiligung.i18n import gettext as _
from beteiligung.meetings.models import PollResults
from beteiligung.web.forms import Field, Form

MIN_OPTIONS, MAX_OPTIONS = 2, 10
OPTION_MAX_LENGTH = 200
NO_ITEM = "-"


def parse_options(text: str) -> list[str]:
    """One answer option a line; empty lines and list bullets are dropped."""
    lines = (line.strip().lstrip("-*•").strip() for line in text.splitlines())
    return [line for line in lines if line]


class PollForm(Form):
    id: ClassVar[str] = "poll"

    def __init__(
        self,
        data: Any = None,
        *,
        initial: Any = None,
        agenda: Sequence[Any] = (),
        current_item_id: int | None = None,
    ) -> None:
        self.fields = (  # type: ignore[misc]
            Field("question", "Frage", max_length=300, min_length=3, autocomplete="off"),
            Field(
                "options",
                "Antwortmöglichkeiten",
                kind="textarea",
                max_length=MAX_OPTIONS * (OPTION_MAX_LENGTH + 2),
                rows=4,
                hint="Eine je Zeile: 2 bis 10, jede höchstens 200 Zeichen lang.",
            ),
            Field(
                "kind",
                "Art der Abstimmung",
                kind="select",
                choices=(
                    ("single", "Eine Antwort (Einfachauswahl)"),
                    ("multiple", "Mehrere Antworten möglich (Mehrfachauswahl)"),
                ),
            ),
            Field(
                "results",
                "Ergebnisse für Teilnehmende",
                kind="select",
                choices=(
                    (PollResults.LIVE.value, "Live: nach der eigenen Stimme, während abgestimmt wird"),
                    (PollResults.AFTER_CLOSE.value, "Erst, wenn die Abstimmung geschlossen ist"),
                ),
                hint="Die Verwaltung sieht die Ergebnisse immer.",
            ),
            Field(
                "agenda_item",
                "Zum Tagesordnungspunkt",
                kind="select",
                choices=((NO_ITEM, "Keinem bestimmten Punkt"), *((str(i.id), i.title) for i in agenda)),
            ),
        )
        defaults = {
            "kind": "single",
            "results": PollResults.LIVE.value,
            "agenda_item": str(current_item_id) if current_item_id else NO_ITEM,
        }
        super().__init__(data, initial={**defaults, **(initial or {})})

    def clean(self) -> None:
        if "options" not in self.cleaned:
            return
        options = parse_options(self.cleaned["options"] or "")
        seen: set[str] = set()
        duplicates = []
        for option in options:
            key = " ".join(option.casefold().split())
            if key in seen:
                duplicates.append(option)
            seen.add(key)
        too_long = [o for o in options if len(o) > OPTION_MAX_LENGTH]
        if len(options) < MIN_OPTIONS:
            self.add_error(
                "options", _("Bitte geben Sie mindestens zwei Antwortmöglichkeiten an, eine je Zeile.")
            )
        elif len(options) > MAX_OPTIONS:
            self.add_error(
                "options",
                _(
                    "Bitte geben Sie höchstens %(max)s Antwortmöglichkeiten an (derzeit %(n)s).",
                    max=MAX_OPTIONS,
                    n=len(options),
                ),
            )
        elif too_long:
            self.add_error(
                "options",
                _(
                    "Jede Antwortmöglichkeit darf höchstens %(max)s Zeichen lang sein (zu lang: „%(option)s…“).",
                    max=OPTION_MAX_LENGTH,
                    option=too_long[0][:40],
                ),
            )
        elif duplicates:
            self.add_error(
                "options",
                _(
                    "Jede Antwortmöglichkeit darf nur einmal vorkommen (doppelt: „%(option)s“).",
                    option=duplicates[0][:60],
                ),
            )
        else:
            self.cleaned["option_list"] = options

    def values(self) -> dict[str, Any]:
        c = self.cleaned
        item = c["agenda_item"]
        return {
            "question": c["question"],
            "options": c["option_list"],
            "multiple": c["kind"] == "multiple",
            "results": PollResults(c["results"]),
            "agenda_item_id": None if item == NO_ITEM else int(item),
        }
