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
