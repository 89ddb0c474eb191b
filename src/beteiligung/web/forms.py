"""Server-side forms: declared fields, validation with German messages, values kept on error.

A form is rendered by the macros in ``templates/macros/forms.html`` (KERN markup, A11Y-05/06):
label, hint, inline error linked by ``aria-describedby``, ``aria-invalid`` and an error summary.
Field labels and hints are German msgids translated at render time; error messages are
translated when validation runs (inside the request, so in the visitor's language).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from beteiligung.i18n import gettext as _
from beteiligung.i18n import local_tz

FieldKind = Literal[
    "text", "email", "password", "textarea", "checkbox", "select", "number", "datetime", "hidden"
]

# Practical e-mail check (RFC 5322 is wider; this refuses what mail servers refuse).
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = True
    max_length: int = 200
    min_length: int = 0
    autocomplete: str | None = None
    hint: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    keep_value: bool = True  # False for passwords: never echoed back into the page
    rows: int = 5

    @property
    def input_type(self) -> str:
        return {
            "email": "email",
            "password": "password",
            "number": "number",
            "datetime": "datetime-local",
            "hidden": "hidden",
        }.get(self.kind, "text")


class Form:
    """Subclasses list ``fields``; ``validate()`` fills ``cleaned`` and ``errors``."""

    fields: ClassVar[tuple[Field, ...]] = ()
    id: ClassVar[str] = "form"

    def __init__(self, data: Mapping[str, Any] | None = None, *, initial: Mapping[str, Any] | None = None):
        self.bound = data is not None
        self.raw: dict[str, str] = {}
        source = data if data is not None else (initial or {})
        for f in self.fields:
            value = _first(source.get(f.name))
            if isinstance(value, datetime):
                value = local_input_value(value)
            self.raw[f.name] = "" if value is None else str(value)
        self.cleaned: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.form_errors: list[str] = []

    # ---------------------------------------------------------------------------------------
    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def value(self, name: str) -> str:
        f = self.field(name)
        return self.raw.get(name, "") if f.keep_value else ""

    def checked(self, name: str) -> bool:
        return self.raw.get(name, "") in {"on", "1", "true", "yes"}

    def add_error(self, name: str | None, message: str) -> None:
        if name is None:
            self.form_errors.append(message)
        else:
            self.errors.setdefault(name, message)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.form_errors)

    @property
    def error_count(self) -> int:
        return len(self.errors) + len(self.form_errors)

    # ---------------------------------------------------------------------------------------
    def validate(self) -> bool:
        for f in self.fields:
            raw = self.raw.get(f.name, "")
            try:
                self.cleaned[f.name] = self._clean_field(f, raw)
            except ValueError as exc:
                self.errors[f.name] = str(exc)
        self.clean()
        return not self.has_errors

    def clean(self) -> None:
        """Further checks, run even when some fields failed (so every problem shows at once);
        look only at names present in ``cleaned``, report with ``add_error``."""

    def _clean_field(self, f: Field, raw: str) -> Any:
        if f.kind == "checkbox":
            checked = raw in {"on", "1", "true", "yes"}
            if raw and not checked:
                raise ValueError(_("Ungültiger Wert."))
            if f.required and not checked:
                raise ValueError(_("Bitte bestätigen Sie dieses Feld, um fortzufahren."))
            return checked
        value = raw if f.kind == "password" else unicodedata.normalize("NFC", raw).strip()
        if f.kind != "textarea":
            value = value.replace("\r", " ").replace("\n", " ")
        if CONTROL_RE.search(value):
            raise ValueError(_("Das Feld enthält unzulässige Steuerzeichen."))
        if not value:
            if f.required:
                raise ValueError(_("Bitte füllen Sie das Feld „%(label)s“ aus.", label=_(f.label)))
            return "" if f.kind not in ("number", "datetime") else None
        if len(value) > f.max_length:
            raise ValueError(
                _(
                    "Bitte kürzen Sie den Text auf höchstens %(max)s Zeichen (derzeit %(n)s).",
                    max=f.max_length,
                    n=len(value),
                )
            )
        if len(value) < f.min_length:
            raise ValueError(_("Bitte geben Sie mindestens %(min)s Zeichen ein.", min=f.min_length))
        if f.kind == "email":
            value = value.lower()
            if not EMAIL_RE.match(value):
                raise ValueError(
                    _("Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@beispiel.de.")
                )
        if f.kind == "select" and value not in {c[0] for c in f.choices}:
            raise ValueError(_("Bitte wählen Sie einen der angebotenen Einträge."))
        if f.kind == "datetime":
            return _parse_local_datetime(value)
        if f.kind == "number":
            try:
                return int(value)
            except ValueError:
                raise ValueError(_("Bitte geben Sie eine ganze Zahl ein.")) from None
        return value


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _parse_local_datetime(value: str) -> datetime:
    """``2027-03-12T18:00`` (``<input type=datetime-local>``) or ``12.03.2027 18:00``, meant in
    the town's time zone, as an aware UTC datetime."""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y, %H:%M", "%Y-%m-%d %H:%M"):
        try:
            naive = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if not 2000 <= naive.year <= 2100:
            raise ValueError(_("Bitte geben Sie ein Datum zwischen den Jahren 2000 und 2100 an."))
        return naive.replace(tzinfo=local_tz()).astimezone(UTC)
    raise ValueError(_("Bitte geben Sie Datum und Uhrzeit an, zum Beispiel 12.03.2027 18:00."))


def local_input_value(value: datetime | None) -> str:
    """An aware datetime as the value of a ``datetime-local`` input, in the town's time zone."""
    return value.astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M") if value else ""
