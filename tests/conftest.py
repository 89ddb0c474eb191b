"""Shared fixtures: real databases, real Redis, a real SMTP server; no mocks.

* ``backend`` runs each database test twice: ``sqlite`` (embedded mode: SQLite file, in-process
  stores) and ``postgres`` (PostgreSQL + Redis, as in production).
* Each test run gets its own PostgreSQL database and Redis key prefix, so runs never collide.
* With ``CI=true`` a missing PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient

from beteiligung.features import install_all
from beteiligung.settings import Settings

# Code under test outside an app (actions, privacy, the demo seed) asks the feature registry too.
install_all()

PG_HOST = os.environ.get("BETEILIGUNG_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BETEILIGUNG_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("BETEILIGUNG_TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("BETEILIGUNG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"
RUN_ID = uuid.uuid4().hex[:10]
logging.getLogger("mail.log").setLevel(logging.WARNING)
TEST_SECRET = "test-secret-" + "x" * 40


def in_thread(fn: Any, *args: Any) -> Any:
    """Run blocking set-up (which may call asyncio.run) in its own thread: session fixtures can be
    first requested from inside an async test, where this thread's event loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing server fails the run)", pytrace=False)
    pytest.skip(message)


# ---------------------------------------------------------------------------------------------
# Mail: a real SMTP server in this process
# ---------------------------------------------------------------------------------------------
@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=email.policy.default)
        msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]

    def last_link(self, address: str, path: str) -> str:
        for msg in reversed(self.to(address)):
            body = msg.get_payload(decode=True).decode()
            found = re.search(rf"https?://[^\s]+{re.escape(path)}\?token=[\w-]+", body)
            if found:
                return found.group(0)
        raise AssertionError(f"no mail with {path} link to {address}")

    @staticmethod
    def text(msg: Message) -> str:
        return msg.get_payload(decode=True).decode()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    box, _ = smtp_server
    box.messages.clear()
    return box


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    require_server("PostgreSQL", PG_HOST, PG_PORT)
    import asyncpg

    name = f"beteiligung_test_{RUN_ID}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    in_thread(asyncio.run, admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    from beteiligung.cli import migrate_database

    in_thread(migrate_database, Settings(env="test", database_url=url, secret_key=TEST_SECRET))
    yield url
    in_thread(asyncio.run, admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    url = f"sqlite+aiosqlite:///{path}"
    from beteiligung.cli import migrate_database

    in_thread(migrate_database, Settings(env="test", database_url=url, secret_key=TEST_SECRET))
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    require_server("Redis", host, int(port))
    return REDIS_URL


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"beteiligung_test_{RUN_ID}"
    yield prefix
    from redis import Redis

    client = Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, smtp_server: tuple[Mailbox, int]) -> Settings:
    _, smtp_port = smtp_server
    common: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "smtp_url": f"smtp://127.0.0.1:{smtp_port}",
        "base_url": "http://testserver.local",
    }
    if backend == "sqlite":
        return Settings(database_url=request.getfixturevalue("sqlite_url"), **common)
    return Settings(
        database_url=request.getfixturevalue("pg_url"),
        redis_url=request.getfixturevalue("redis_url"),
        redis_prefix=request.getfixturevalue("redis_prefix") + ":" + uuid.uuid4().hex[:6],
        **common,
    )


async def empty_append_only_log(db: Any) -> None:
    """The audit log refuses DELETE (migration 0004): PostgreSQL's TRUNCATE fires no row
    triggers; in SQLite the test lifts the triggers for a moment and puts them back."""
    from sqlalchemy import text

    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("TRUNCATE moderation_log"))
        return
    rows = await db.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'moderation_log'")
    )
    triggers = rows.all()
    for name, _ in triggers:
        await db.execute(text(f"DROP TRIGGER {name}"))
    await db.execute(text("DELETE FROM moderation_log"))
    for _, sql in triggers:
        await db.execute(text(sql))


async def reset_database(settings: Settings) -> None:
    """Empty every table and load the organisation with its texts."""
    from sqlalchemy import delete

    from beteiligung.app import make_alchemy_config
    from beteiligung.db import metadata
    from beteiligung.demo.seed import seed_organisation

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            await empty_append_only_log(db)
            for table in reversed(metadata.sorted_tables):
                if table.name != "moderation_log":
                    await db.execute(delete(table))
            await db.commit()
            await seed_organisation(db)
    finally:
        await config.get_engine().dispose()


@pytest.fixture
async def app(settings: Settings) -> Any:
    from beteiligung.app import create_app

    await reset_database(settings)
    return create_app(settings)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        c.follow_redirects = False  # tests look at the 303s themselves
        yield c


# ---------------------------------------------------------------------------------------------
# Helpers for HTTP tests
# ---------------------------------------------------------------------------------------------
def csrf_cookie_name(client: AsyncTestClient[Any]) -> str:
    return "__Host-csrf" if "__Host-csrf" in client.cookies else "csrftoken"


async def post_form(
    client: AsyncTestClient[Any], url: str, data: dict[str, Any], *, htmx: bool = False, **kwargs: Any
) -> Any:
    """POST like a browser would: fetch the page first for the CSRF cookie, send the token."""
    if csrf_cookie_name(client) not in client.cookies:
        await client.get("/")
    token = client.cookies.get(csrf_cookie_name(client))
    headers = kwargs.pop("headers", {})
    if htmx:
        headers = {"HX-Request": "true", **headers}
    return await client.post(url, data={**data, "_csrf_token": token}, headers=headers, **kwargs)


DEMO_PASSWORD = "Lüneburg-Demo-2030"


async def make_user(
    settings: Settings,
    *,
    email: str = "resident@example.org",
    display_name: str = "Heide",
    role: str = "resident",
    password: str = DEMO_PASSWORD,
    verified: bool = True,
    account_age_days: int = 30,
) -> int:
    """An account that exists for ``account_age_days`` already (0: a brand-new account, which the
    moderation's new-account limits apply to)."""
    from datetime import timedelta

    from sqlalchemy import select

    from beteiligung.accounts import actions
    from beteiligung.accounts.models import Role
    from beteiligung.app import make_alchemy_config
    from beteiligung.db import utcnow
    from beteiligung.organisations.models import Organisation

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            org = (await db.scalars(select(Organisation))).first()
            user = await actions.create_user(
                db,
                org=org,
                email=email,
                password=password,
                display_name=display_name,  # type: ignore[arg-type]
                role=Role(role),
                now=utcnow(),
            )
            if not verified:
                user.email_verified_at = None
            user.created_at = utcnow() - timedelta(days=account_age_days)
            await db.commit()
            return user.id
    finally:
        await config.get_engine().dispose()


async def login(
    client: AsyncTestClient[Any], email: str = "resident@example.org", password: str = DEMO_PASSWORD
) -> Any:
    response = await post_form(client, "/anmelden", {"email": email, "password": password})
    assert response.status_code in (200, 303), response.text
    return response


@pytest.fixture(autouse=True)
def _fresh_alchemy_key_registries() -> None:
    """advanced-alchemy makes every config's app-state keys unique through class-level registries
    that only grow, recursively: after about a thousand configs in one process (each test builds
    several) the next one overflows the stack. Each test builds its own app, so start each test
    with empty registries."""
    from advanced_alchemy.extensions.litestar.plugins.init.config.asyncio import SQLAlchemyAsyncConfig

    for name in (
        "_SESSION_SCOPE_KEY_REGISTRY",
        "_ENGINE_APP_STATE_KEY_REGISTRY",
        "_SESSIONMAKER_APP_STATE_KEY_REGISTRY",
    ):
        registry = getattr(SQLAlchemyAsyncConfig, name, None)
        if isinstance(registry, set):
            registry.clear()
