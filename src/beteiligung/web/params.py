"""Strict parsing of numbers from links and forms (ids, seeds, option numbers).

``str.isdigit()`` is true for "²" or "٣" and ``int()`` then fails or accepts them; a number of
thousands of digits trips Python's digit limit, and one above 2⁶³−1 overflows the database's
BIGINT. Every number that comes from a request goes through :func:`parse_int` instead: ASCII
digits only, at most 19 of them, within a signed 64-bit integer; anything else is ``None`` and
the caller treats it like any other unknown value (404, 422 or the default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_int(value: object, *, minimum: int = 0, maximum: int = INT64_MAX) -> int | None:
    """``value`` as a whole number in ``minimum..maximum`` (default: 0 up to the largest BIGINT),
    else ``None``. Surrounding spaces are allowed; signs, underscores and non-ASCII digits are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The valid ids among ``values`` (e.g. ``form.getall("ids")``), sorted, without repeats."""
    return sorted({n for n in (parse_int(v, minimum=1) for v in values) if n is not None})


def fits_int64(value: int) -> bool:
    """True when ``value`` can be compared with a BIGINT column (path parameters ``{id:int}``)."""
    return INT64_MIN <= value <= INT64_MAX
