"""German first, English second, through gettext catalogs (Babel).

Message ids are the German texts, so a string that lacks an English translation still shows in
German, the platform's default. The active locale lives in a context variable set per request by
:class:`~beteiligung.i18n.middleware.LocaleMiddleware`; ``_`` and ``ngettext`` read it.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent

LOCALES = ("de", "en")
DEFAULT_LOCALE = "de"
LOCALE_NAMES = {"de": "Deutsch", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return _gettext.NullTranslations()
    return _gettext.translation("messages", localedir=LOCALE_DIR, languages=[locale], fallback=True)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text % ({"num": n} | variables)


@cache
def known_msgids() -> frozenset[str]:
    """Every msgid of our own (``messages.pot``, kept equal to the code by a test).

    Templates translate only these: a string that is not one of our msgids is data (a title, a
    name, a label typed by staff) and is shown as plain text, escaped, never %-formatted and never
    marked safe. That is what keeps staff text such as ``</select><div hx-post=…>`` or "40 %"
    from becoming markup or crashing a page.
    """

    with (LOCALE_DIR / "messages.pot").open("rb") as fh:
        catalog = read_po(fh)
    ids: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):
            ids.update(message.id)
        else:
            ids.add(message.id)
    return frozenset(ids)


def is_msgid(value: object) -> bool:
    return isinstance(value, str) and value in known_msgids()


def label_text(value: object) -> str:
    """A label that is either one of our msgids (translated) or data (returned unchanged).

    Never formatted and never marked safe: autoescape escapes whatever this returns.
    """
    if value is None:
        return ""
    text = str(value)
    if text in known_msgids():
        return str(translations(current_locale.get()).gettext(text))
    return text


def lazy(message: str) -> str:
    """Mark a module-level string for extraction; translate it where it is shown."""
    return message


_ = gettext


def normalise_locale(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()[:2]
    return value if value in LOCALES else None


# --------------------------------------------------------------------------------------------
# Dates and times: stored in UTC, shown and entered in the town's time zone.
# --------------------------------------------------------------------------------------------
TIMEZONE = "Europe/Berlin"


def local_tz():  # type: ignore[no-untyped-def]

    return ZoneInfo(TIMEZONE)


def format_datetime(value: object, fmt: str = "datetime") -> str:
    """``value`` (aware UTC) in Europe/Berlin, in the visitor's language.

    fmt: ``datetime`` ("12. März 2027, 18:00 Uhr"), ``date`` ("12. März 2027"), ``short``
    ("12.03.27, 18:00"), ``time`` ("18:00 Uhr"), ``iso`` (for ``<time datetime>``).
    """

    if not isinstance(value, datetime):
        return ""
    local = value.astimezone(local_tz())
    locale = current_locale.get()
    if fmt == "iso":
        return local.isoformat(timespec="minutes")
    if fmt == "date":
        return format_date(local, format="long", locale=locale)
    if fmt == "short":
        return (
            format_date(local, format="short", locale=locale)
            + ", "
            + format_time(local, "HH:mm", locale=locale)
        )
    time = format_time(local, "HH:mm", locale=locale)
    if fmt == "time":
        return f"{time} Uhr" if locale == "de" else time
    if locale == "de":
        return f"{format_date(local, format='long', locale=locale)}, {time} Uhr"
    return f"{format_date(local, format='long', locale=locale)}, {time}"


# --------------------------------------------------------------------------------------------
# Numbers: Babel's patterns for the visitor's language ("1.234,5" / "1,234.5").
# --------------------------------------------------------------------------------------------
NARROW_NBSP = "\u202f"


def _rounded(value: object, digits: int) -> Decimal | None:
    """``value`` rounded half up to at most ``digits`` decimals, without trailing zeros."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    integral = number.to_integral_value()
    return integral if number == integral else number.normalize()


def format_number(value: object, digits: int = 2) -> str:
    """A number in the visitor's language, at most ``digits`` decimals: "4,05" / "4.05",
    "1.234" / "1,234". Anything that is not a number is shown as it is ("" for None)."""

    number = _rounded(value, digits)
    if number is None:
        return "" if value is None else str(value)
    return format_decimal(number, locale=current_locale.get(), decimal_quantization=False)


def format_percent(value: object, digits: int = 1) -> str:
    """A share given in percent (0–100) in the visitor's language: "53,1 %" (with a narrow
    no-break space, so the sign never wraps onto the next line) / "53.1%"."""

    number = _rounded(value, digits)
    if number is None:
        return "" if value is None else str(value)
    text = babel_percent(number / 100, locale=current_locale.get(), decimal_quantization=False)
    return text.replace("\xa0", NARROW_NBSP)
