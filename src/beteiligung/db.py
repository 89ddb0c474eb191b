"""Database base classes and helpers shared by every feature package.

Models derive from :class:`Base` (integer primary key, ``created_at``/``updated_at`` in UTC) and are
registered in :func:`load_models`, which Alembic and ``create_app`` call so that the metadata is
complete wherever it is used.
"""

from __future__ import annotations

import enum
import importlib
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from advanced_alchemy.base import BigIntAuditBase, orm_registry
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Enum
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import mapped_column

Base = BigIntAuditBase
metadata = orm_registry.metadata

# Column types the models share (SQLAlchemy's ``Mapped[Annotated[...]]``): a moment in UTC, and one
# that is NULL until something happens. ``mapped_column(index=True)`` beside them adds to them.
Timestamp = Annotated[datetime, mapped_column(DateTimeUTC(timezone=True))]
TimestampOrNone = Annotated[datetime | None, mapped_column(DateTimeUTC(timezone=True), default=None)]


class LabelledEnum(enum.StrEnum):
    """A ``StrEnum`` whose members carry their label (a German msgid, translated where shown):
    ``NEWEST = "neueste", "Neueste zuerst"``. The value is the first string; ``labels()`` gives
    the module's ``…_NAMES`` dict (enum → label), which the message extractor reads."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[Self, str]:
        return {member: member.label for member in cls}


def str_enum(cls: type[enum.Enum], length: int = 20, *, validate_strings: bool = True) -> Enum:
    """A column type for a ``StrEnum``: its *values* in a ``VARCHAR(length)`` (no native enum
    type, no CHECK constraint); ``validate_strings`` refuses a string that is no member's value."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        validate_strings=validate_strings,
        values_callable=lambda members: [m.value for m in members],
    )


# Every package that defines tables; order does not matter.
MODEL_MODULES = (
    "beteiligung.organisations.models",
    "beteiligung.accounts.models",
    "beteiligung.mail.models",
    "beteiligung.consultations.models",
    "beteiligung.proposals.models",
    "beteiligung.comments.models",
    "beteiligung.moderation.models",
    "beteiligung.notifications.models",
    "beteiligung.surveys.models",
    "beteiligung.meetings.models",
)


def load_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Objects that migrations create by hand (full-text search), unknown to the models' metadata.
SEARCH_OBJECT_PREFIXES = (
    "consultation_fts",
    "ix_consultation_fts",
    "proposal_fts",  # migration 0008: proposals and comments (the search page)
    "ix_proposal_fts",
    "comment_fts",
    "ix_comment_fts",
)


def include_in_autogenerate(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic ``include_object``: leave the hand-made search objects out of the comparison."""
    return not (name or "").startswith(SEARCH_OBJECT_PREFIXES)


async def insert_ignoring_duplicates(db: Any, table: Any, values: dict[str, Any]) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``: True when a row was written, False when a unique
    constraint already held an equal row (a double click, a concurrent request)."""
    now = utcnow()
    stmt = upsert_insert(db)(table).values(created_at=now, updated_at=now, **values).on_conflict_do_nothing()
    result = await db.execute(stmt)
    return bool(result.rowcount)


def dialect_name(db: Any) -> str:
    """``postgresql`` or ``sqlite``: the database behind a session."""
    return str(db.get_bind().dialect.name)


def upsert_insert(db: Any) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing/_update``."""
    if dialect_name(db) == "postgresql":
        return pg_insert

    return sqlite_insert


# ---------------------------------------------------------------------------------------------
# Engines: timeouts, hidden parameters, and what counts as "the database is unavailable"
# ---------------------------------------------------------------------------------------------
def configure_engine(engine_config: Any, settings: Any) -> None:
    """Options every engine of the app gets (``make_alchemy_config``).

    * ``hide_parameters``: SQLAlchemy's error text never carries the bound values (session ids,
      e-mail addresses, search text), so an error logged anywhere cannot leak them.
    * Timeouts (``BETEILIGUNG_DB_CONNECT_TIMEOUT``, ``BETEILIGUNG_DB_STATEMENT_TIMEOUT``): a
      stalled or unreachable database ends the request with a 503 page instead of a hang.
      PostgreSQL: asyncpg's connect ``timeout``, its ``command_timeout`` (the client stops waiting
      even when the server never got the statement) and the server's ``statement_timeout``.
      SQLite: the connect timeout is the lock wait (busy timeout), set with the pragmas.
    """
    engine_config.hide_parameters = True
    if settings.is_sqlite:
        engine_config.connect_args = {"timeout": settings.db_statement_timeout}
        return
    engine_config.connect_args = {
        "timeout": settings.db_connect_timeout,
        "command_timeout": settings.db_statement_timeout,
        "server_settings": {"statement_timeout": str(settings.db_statement_timeout * 1000)},
    }
    # Waiting for a pooled connection is bounded too (every connection may be stuck in a stall).
    engine_config.pool_timeout = settings.db_connect_timeout + settings.db_statement_timeout


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database could not be reached or did not answer in time
    (refused, reset, timed out, cancelled by the statement timeout, locked, file unopenable), as
    opposed to a bug or a constraint. Such a request gets the 503 page that keeps the input."""

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.TimeoutError):  # no pooled connection became free in time
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        if type(current).__module__.startswith("sqlite3") or isinstance(current, sa_exc.OperationalError):
            if any(text in str(current) for text in _SQLITE_UNAVAILABLE):
                return True
        if isinstance(current, OSError | TimeoutError) and _raised_by_database_driver(current):
            return True
        current = current.__cause__ or current.__context__
    return False


# PostgreSQL error classes that mean "not now" rather than "wrong": 08 connection exception,
# 53 insufficient resources, 57 operator intervention (57014: statement_timeout, 57P03: starting
# up), 58 system error.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57", "58")
# SQLite reports these as OperationalError, like syntax errors (which are bugs, so: by message).
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk I/O error",
)


def _raised_by_database_driver(exc: BaseException) -> bool:
    """A plain OSError/TimeoutError counts only when it came out of the database driver or the
    pool (not out of the mail client, say)."""
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("asyncpg", "aiosqlite", "sqlalchemy")):
            return True
        tb = tb.tb_next
    return False
