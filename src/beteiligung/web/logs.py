"""What log lines may contain (docs/security-and-privacy.md, "Logs").

Exceptions are logged as text, and the text of a database error can quote the statement's bound
values: a session id (which signs you in), an e-mail address, search text. The engines hide them
(``hide_parameters``, ``beteiligung.db.configure_engine``); this processor scrubs what is left in
any logged exception, whichever logger wrote it: SQLAlchemy's ``[parameters: …]``, asyncpg's
"invalid input for query argument $1: '…'" and PostgreSQL's ``DETAIL: Key (email)=(…)``.
"""

from __future__ import annotations

import re
import sys
import traceback
from typing import Any

_SCRUB = (
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: hidden]"),
    (re.compile(r"(query argument \$\d+)[^\n]*"), r"\1: (value hidden)"),
    (re.compile(r"^(\s*DETAIL:)[^\n]*", re.MULTILINE), r"\1 (hidden)"),
    (re.compile(r"(Key \([^)\n]*\)=\()[^\n]*"), r"\1hidden)"),
)


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


def scrub_exceptions(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: turn ``exc_info`` into a scrubbed ``exception`` text."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        if isinstance(exc_info, BaseException):
            exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
        elif not isinstance(exc_info, tuple):
            exc_info = sys.exc_info()
        if exc_info[0] is not None:
            event_dict["exception"] = "".join(traceback.format_exception(*exc_info))
    if isinstance(event_dict.get("exception"), str):
        event_dict["exception"] = scrub(event_dict["exception"])
    return event_dict


def log_processors() -> list[Any]:
    """Litestar's default structlog processors (JSON unless on a terminal), scrubbing first."""
    from litestar.logging.config import default_structlog_processors

    return [scrub_exceptions, *default_structlog_processors(as_json=not sys.stderr.isatty())]
