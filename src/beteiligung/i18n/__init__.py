"""German first, English second, through gettext catalogs (Babel).

Message ids are the German texts, so a string that lacks an English translation still shows in
German, the platform's default. The active locale lives in a context variable set per request by
:class:`~beteiligung.i18n.middleware.LocaleMiddleware`; ``_`` and ``ngettext`` read it.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

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
    from babel.messages.pofile import read_po

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
    from zoneinfo import ZoneInfo

    return ZoneInfo(TIMEZONE)


def format_datetime(value: object, fmt: str = "datetime") -> str:
    """``value`` (aware UTC) in Europe/Berlin, in the visitor's language.

    fmt: ``datetime`` ("12. März 2027, 18:00 Uhr"), ``date`` ("12. März 2027"), ``short``
    ("12.03.27, 18:00"), ``time`` ("18:00 Uhr"), ``iso`` (for ``<time datetime>``).
    """
    from datetime import datetime

    from babel.dates import format_date, format_time

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
