"""Typed settings, read once from ``BETEILIGUNG_*`` environment variables.

Every field documents itself (``help`` in its metadata); ``docs/configuration.md`` lists the same
variables and a test keeps the two in step. A bad value raises :class:`SettingsError` with one line
that names the variable, and the CLI prints that line and stops.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEV_SECRET = "dev-only-insecure-secret-change-me-0123456789abcdef"  # noqa: S105 - refused in production
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """All knobs of one Beteiligung process. Construct with :meth:`from_env`."""

    env: str = _setting(
        "development", "`development`, `test` or `production`. Production refuses unsafe defaults."
    )
    database_url: str = _setting(
        "",
        "SQLAlchemy URL. Default: a SQLite file `var/beteiligung.db`. "
        "Production: `postgresql+asyncpg://user:pass@host/db`.",
    )
    redis_url: str = _setting(
        "",
        "Redis URL (`redis://host:6379/0`) for live updates and rate limits shared by all processes. "
        "Unset: both stay inside the one process (embedded mode). Sessions are in the database "
        "either way. Required in production.",
    )
    redis_prefix: str = _setting(
        "beteiligung", "Prefix of every Redis key, so several installs or test runs can share one Redis."
    )
    secret_key: str = _setting(
        DEV_SECRET, "Secret for CSRF tokens and keyed hashes. At least 32 characters; required in production."
    )
    host: str = _setting("127.0.0.1", "Address `beteiligung run` binds to.")
    port: int = _setting(8000, "Port `beteiligung run` listens on.")
    workers: int = _setting(1, "Number of app processes `beteiligung run` starts (needs Redis when > 1).")
    base_url: str = _setting(
        "", "Public URL of the site, used in links in e-mails. Default: `http://<host>:<port>`."
    )
    default_org: str = _setting(
        "lueneburg", "Slug of the organisation shown when the request's host matches no organisation."
    )
    smtp_url: str = _setting(
        "",
        "Outgoing mail: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`. "
        "Unset: mails are logged (without address) and kept in the admins' outbox page.",
    )
    mail_from: str = _setting("beteiligung@localhost", "Sender address of all mails.")
    session_idle_minutes: int = _setting(30, "A session ends after this many minutes without a request.")
    session_absolute_hours: int = _setting(
        12, "A session ends this many hours after login, whatever happens."
    )
    secure_cookies: bool | None = _setting(
        None, "Send cookies with `Secure` and the `__Host-` prefix. Default: on in production, off otherwise."
    )
    max_body_bytes: int = _setting(1_048_576, "Largest request body accepted (bytes); larger ones get 413.")
    db_connect_timeout: int = _setting(
        5,
        "Seconds to wait for a new database connection; when it does not come, the page says the "
        "database is briefly unreachable (503) instead of waiting.",
    )
    db_statement_timeout: int = _setting(
        10,
        "Seconds one database statement may take (PostgreSQL `statement_timeout` and the client's "
        "own timeout; SQLite: how long to wait for a lock). Longer ones are cancelled: 503.",
    )
    live_streams_per_client: int = _setting(
        20,
        "Live streams one client address may hold open at once. Raise it when many participants share "
        "one address (a hybrid meeting on the town hall's Wi-Fi behind one NAT).",
    )
    live_slot_ttl_seconds: int = _setting(
        45,
        "A live stream's place in that count expires this many seconds after its last heartbeat "
        "(open streams renew it every third of this, at most every 15 s), so places of a crashed "
        "process or a lost connection come free on their own.",
    )
    posts_per_account_10min: int = _setting(
        30,
        "Contributions (comments, replies, proposals, meeting questions) one account, or one meeting "
        "guest, may send in ten minutes; the next is refused (429, the text stays in the form). Set "
        'it above the moderation\'s own "posts in ten minutes", which holds posts for review first.',
    )
    posts_per_account_day: int = _setting(
        200, "Contributions one account, or one meeting guest, may send in 24 hours; then 429 as above."
    )
    posts_per_address_10min: int = _setting(
        300,
        "Contributions all accounts and guests behind one client address may send together in ten "
        "minutes (high: a town hall's Wi-Fi puts a whole meeting behind one address); then 429.",
    )
    posts_per_address_day: int = _setting(
        3000, "Contributions from one client address in 24 hours, all accounts and guests together; then 429."
    )
    log_level: str = _setting("INFO", "`DEBUG`, `INFO`, `WARNING` or `ERROR`.")
    log_json: bool | None = _setting(None, "Log JSON lines. Default: on when stdout is not a terminal.")
    demo: bool = _setting(True, "`beteiligung run` loads the Lüneburg demo data into an empty database.")

    # ----------------------------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            var = f"BETEILIGUNG_{f.name.upper()}"
            raw = environ.get(var)
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(var, raw, f.type)
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if self.env not in {"development", "test", "production"}:
            raise SettingsError(f"BETEILIGUNG_ENV: {self.env!r} is not one of development, test, production")
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"BETEILIGUNG_PORT: {self.port} is not a port number (1-65535)")
        if self.workers < 1:
            raise SettingsError("BETEILIGUNG_WORKERS: must be at least 1")
        if self.workers > 1 and not self.redis_url:
            raise SettingsError(
                "BETEILIGUNG_WORKERS: more than one process needs BETEILIGUNG_REDIS_URL "
                "(nothing may live in one process's memory)"
            )
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(
                f"BETEILIGUNG_LOG_LEVEL: {self.log_level!r} is not DEBUG, INFO, WARNING or ERROR"
            )
        if self.database_url and not self.database_url.startswith(
            ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        ):
            raise SettingsError(
                "BETEILIGUNG_DATABASE_URL: use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db"
            )
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError("BETEILIGUNG_REDIS_URL: use redis://host:port/db or rediss://…")
        if self.smtp_url and not self.smtp_url.startswith(("smtp://", "smtps://")):
            raise SettingsError("BETEILIGUNG_SMTP_URL: use smtp://user:pass@host:port or smtps://…")
        if len(self.secret_key) < 32:
            raise SettingsError("BETEILIGUNG_SECRET_KEY: must be at least 32 characters long")
        if self.session_idle_minutes < 1 or self.session_absolute_hours < 1:
            raise SettingsError("BETEILIGUNG_SESSION_IDLE_MINUTES / _ABSOLUTE_HOURS: must be positive")
        if self.max_body_bytes < 1024:
            raise SettingsError("BETEILIGUNG_MAX_BODY_BYTES: must be at least 1024")
        if self.db_connect_timeout < 1 or self.db_statement_timeout < 1:
            raise SettingsError(
                "BETEILIGUNG_DB_CONNECT_TIMEOUT / _STATEMENT_TIMEOUT: must be at least 1 second"
            )
        if self.live_streams_per_client < 1 or self.live_slot_ttl_seconds < 1:
            raise SettingsError(
                "BETEILIGUNG_LIVE_STREAMS_PER_CLIENT / _LIVE_SLOT_TTL_SECONDS: must be at least 1"
            )
        if (
            min(
                self.posts_per_account_10min,
                self.posts_per_account_day,
                self.posts_per_address_10min,
                self.posts_per_address_day,
            )
            < 1
        ):
            raise SettingsError("BETEILIGUNG_POSTS_PER_ACCOUNT_* / _POSTS_PER_ADDRESS_*: must be at least 1")
        if self.is_production:
            if self.secret_key == DEV_SECRET:
                raise SettingsError(
                    "BETEILIGUNG_SECRET_KEY: production refuses the built-in development secret"
                )
            if self.resolved_database_url.startswith("sqlite"):
                raise SettingsError("BETEILIGUNG_DATABASE_URL: production needs PostgreSQL, not SQLite")
            if not self.redis_url:
                raise SettingsError("BETEILIGUNG_REDIS_URL: production needs Redis")

    # ----------------------------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'beteiligung.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def use_secure_cookies(self) -> bool:
        return self.is_production if self.secure_cookies is None else self.secure_cookies

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: stores and live updates live in this process."""
        return not self.redis_url


def _parse(var: str, raw: str, type_: Any) -> Any:
    type_name = type_ if isinstance(type_, str) else getattr(type_, "__name__", str(type_))
    if "bool" in type_name:
        low = raw.strip().lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{var}: {raw!r} is not a boolean (use true or false)")
    if "int" in type_name:
        try:
            return int(raw.strip())
        except ValueError:
            raise SettingsError(f"{var}: {raw!r} is not a whole number") from None
    return raw.strip()


def documented_variables() -> dict[str, str]:
    """Variable name → help text, for docs and the docs test."""
    return {f"BETEILIGUNG_{f.name.upper()}": f.metadata["help"] for f in fields(Settings)}
