"""How the app logs: level and format from the settings, and what log lines may contain
(docs/security-and-privacy.md, "Logs").

Exceptions are logged as text, and the text of a database error can quote the statement's bound
values: a session id (which signs you in), an e-mail address, search text. The engines hide them
(``hide_parameters``, ``beteiligung.db.configure_engine``); this processor scrubs what is left in
any logged exception, whichever logger wrote it (structlog's or the standard library's, e.g.
SQLAlchemy's pool or asyncio): SQLAlchemy's ``[parameters: …]``, asyncpg's "invalid input for
query argument $1: '…'" and PostgreSQL's ``DETAIL: Key (email)=(…)``.

Rendering a line never raises: a value JSON has no type for (a class, an exception, an object)
is written as its text, so logging an error cannot fail with a second one.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any

import msgspec
import structlog
from litestar.logging.config import LoggingConfig, StructLoggingConfig

from beteiligung.settings import Settings

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


# ---------------------------------------------------------------------------------------------
# Rendering that cannot fail
# ---------------------------------------------------------------------------------------------
def as_text(value: Any) -> str:
    """The text of any value; an object whose ``__str__`` fails is named by its class."""
    try:
        return str(value)
    except Exception:
        return object.__repr__(value)


def _plain(value: Any, depth: int = 0) -> Any:
    """``value`` with everything JSON cannot hold turned into text (containers kept, 8 deep)."""
    if value is None or isinstance(value, str | bool | float):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if depth < 8 and isinstance(value, dict):
        return {as_text(k): _plain(v, depth + 1) for k, v in value.items()}
    if depth < 8 and isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, depth + 1) for v in value]
    return as_text(value)


# Types msgspec knows (datetimes, UUIDs, enums …) keep their JSON form; any other becomes its text.
_ENCODER = msgspec.json.Encoder(enc_hook=as_text)


def render_json(event_dict: Any, **_: Any) -> bytes:
    """structlog serializer: one JSON object, whatever the values are."""
    try:
        return _ENCODER.encode(event_dict)
    except Exception:  # no hook helps: keys that are no strings, a cycle, an integer too large
        return _ENCODER.encode(_plain(event_dict))


def render_json_text(event_dict: Any, **_: Any) -> str:
    return render_json(event_dict).decode("utf-8")


class _NeverRaises:
    """Wraps a renderer: when it fails on a value, render the line again with plain values."""

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, method: str, event_dict: dict[str, Any]) -> Any:
        try:
            return self.renderer(logger, method, dict(event_dict))
        except Exception:
            return self.renderer(logger, method, _plain(event_dict))


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------
def log_json(settings: Settings) -> bool:
    """``BETEILIGUNG_LOG_JSON``; unset: JSON unless the lines go to a terminal (stdout)."""
    if settings.log_json is not None:
        return settings.log_json
    return not sys.stdout.isatty()


def _renderer(as_json: bool, serializer: Any) -> Any:
    """The chain's last step: JSON lines (with ``serializer``) or colours for a terminal."""
    if as_json:
        return _NeverRaises(structlog.processors.JSONRenderer(serializer=serializer))
    return _NeverRaises(structlog.dev.ConsoleRenderer(colors=True))


def log_processors(as_json: bool) -> list[Any]:
    """structlog's chain: scrub exceptions, add level and time, render (JSON or for a terminal)."""
    return [
        scrub_exceptions,
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
        _renderer(as_json, render_json),
    ]


def stdlib_processors(as_json: bool) -> list[Any]:
    """The same for the standard library's loggers (SQLAlchemy, asyncio, uvicorn, Litestar's
    own), whose records may carry ``exc_info`` and arbitrary ``extra`` values."""
    return [
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        scrub_exceptions,
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        _renderer(as_json, render_json_text),
    ]


def logging_config(settings: Settings) -> StructLoggingConfig:
    """Litestar's structlog configuration: ``BETEILIGUNG_LOG_LEVEL`` filters structlog's loggers,
    the standard library's root logger and Litestar's own; ``BETEILIGUNG_LOG_JSON`` picks the
    format of both."""
    level = logging.getLevelName(settings.log_level.upper())
    as_json = log_json(settings)
    stdlib = LoggingConfig(
        formatters={
            "standard": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": stdlib_processors(as_json),
            }
        },
        loggers={"litestar": {"level": level, "handlers": ["queue_listener"], "propagate": False}},
        root={"handlers": ["queue_listener"], "level": level},
    )
    return StructLoggingConfig(
        processors=log_processors(as_json),
        logger_factory=structlog.BytesLoggerFactory() if as_json else structlog.WriteLoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        standard_lib_logging_config=stdlib,
        log_exceptions="debug",
        # Tests swap sys.stdout per test (pytest's capture): a logger cached in one test would
        # write to that test's closed file in the next. Production keeps the cache.
        cache_logger_on_first_use=settings.env != "test",
    )
