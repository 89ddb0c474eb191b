"""Forms of the moderation: a resident's flag, a moderator's decision, note and bulk action."""

from __future__ import annotations

from typing import ClassVar

from beteiligung.moderation.models import FLAG_REASON_NAMES
from beteiligung.moderation.reasons import NETIQUETTE_RULES
from beteiligung.web.forms import Field, Form
from beteiligung.web.params import parse_int

DECISION_NAMES: dict[str, str] = {
    "approve": "Freigeben",
    "hide": "Ausblenden (Verstoß gegen die Netiquette)",
    "request_edit": "Um Überarbeitung bitten",
    "dismiss": "Meldungen verwerfen, Beitrag bleibt",
}
BULK_DECISION_NAMES: dict[str, str] = {k: v for k, v in DECISION_NAMES.items() if k != "request_edit"}
BLOCK_NAMES: dict[str, str] = {
    "0": "Nicht sperren",
    "1": "1 Tag",
    "7": "7 Tage",
    "30": "30 Tage",
}
RULE_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Keine Regel"),
    *((str(n), f"Nr. {n}: {title}") for n, title in NETIQUETTE_RULES.items()),
)


class FlagForm(Form):
    id: ClassVar[str] = "flag"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "reason",
            "Grund der Meldung",
            kind="select",
            choices=(("", "Bitte wählen"), *FLAG_REASON_NAMES.items()),
        ),
        Field(
            "text",
            "Erläuterung",
            kind="textarea",
            required=False,
            max_length=500,
            rows=3,
            hint="Optional, bei „Anderer Grund“ erforderlich. Die verfassende Person erfährt nicht, wer gemeldet hat.",
        ),
    )

    def clean(self) -> None:
        if self.cleaned.get("reason") == "other" and not self.cleaned.get("text"):
            self.add_error("text", "Bitte beschreiben Sie kurz, was an dem Beitrag nicht in Ordnung ist.")


class DecisionForm(Form):
    id: ClassVar[str] = "decision"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "decision", "Entscheidung", kind="select", choices=(("", "Bitte wählen"), *DECISION_NAMES.items())
        ),
        Field(
            "rule",
            "Regel der Netiquette",
            kind="select",
            required=False,
            choices=RULE_CHOICES,
            hint="Beim Ausblenden und bei der Bitte um Überarbeitung erforderlich; sie wird öffentlich genannt.",
        ),
        Field(
            "reason",
            "Begründung für die verfassende Person",
            kind="textarea",
            required=False,
            max_length=1000,
            rows=3,
        ),
        Field("block", "Konto sperren", kind="select", required=False, choices=tuple(BLOCK_NAMES.items())),
    )

    def clean(self) -> None:
        decision = self.cleaned.get("decision")
        if decision in ("hide", "request_edit") and not self.cleaned.get("rule"):
            self.add_error(
                "rule", "Bitte nennen Sie die Regel der Netiquette, gegen die der Beitrag verstößt."
            )
        if self.cleaned.get("block") not in (None, "", "0") and decision != "hide":
            self.add_error("block", "Eine Sperre ist nur zusammen mit dem Ausblenden möglich.")

    @property
    def rule(self) -> int | None:
        value = self.cleaned.get("rule") or ""
        return parse_int(value)

    @property
    def block_days(self) -> int:
        value = self.cleaned.get("block") or "0"
        return parse_int(value) or 0


class NoteForm(Form):
    id: ClassVar[str] = "note"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "note",
            "Interne Notiz",
            kind="textarea",
            required=False,
            max_length=2000,
            rows=2,
            hint="Nur für die Moderation sichtbar.",
        ),
    )


class BulkForm(Form):
    id: ClassVar[str] = "bulk"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "decision",
            "Entscheidung für alle ausgewählten Beiträge",
            kind="select",
            choices=(("", "Bitte wählen"), *BULK_DECISION_NAMES.items()),
        ),
        Field("rule", "Regel der Netiquette", kind="select", required=False, choices=RULE_CHOICES),
    )

    def clean(self) -> None:
        if self.cleaned.get("decision") == "hide" and not self.cleaned.get("rule"):
            self.add_error(
                "rule", "Bitte nennen Sie die Regel der Netiquette, gegen die die Beiträge verstoßen."
            )

    @property
    def rule(self) -> int | None:
        value = self.cleaned.get("rule") or ""
        return parse_int(value)
