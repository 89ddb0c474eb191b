"""The database away or stalled (issue 21, items 10 and 13): a 503 page in German that keeps what
was typed, and a /readyz that answers (503) instead of hanging and names no error classes.

PostgreSQL: the app talks to the database through a TCP proxy started here, which can refuse
(listener closed, open connections cut) or stall (connections accepted, nothing forwarded).
SQLite: the natural equivalents, a database file that cannot be opened and a write lock held by
another connection (reads still work in WAL mode, so the lock shows on writes).

The app is served by uvicorn in the test's event loop and asked with a real HTTP client whose
timeout guards against a hang (the in-process test client cannot be interrupted); the tests
assert statuses and pages, never durations.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from beteiligung.settings import Settings
from tests.conftest import PG_HOST, PG_PORT, csrf_cookie_name, make_user, reset_database

GUARD = httpx.Timeout(20.0)  # a hang fails the test instead of stalling the run
TYPED = "Mein Text über <b>Radwege</b> & Fußwege"
ESCAPED = "Mein Text über &lt;b&gt;Radwege&lt;/b&gt; &amp; Fußwege"
SECRET = "geheimes Passwort 2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proxy:
    """TCP proxy in front of PostgreSQL: ``forward``, then ``refuse()`` or ``stall()``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self.stalled = False
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        if self.stalled:
            return  # accepted, never answered (the writer is kept open)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers.add(up_writer)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self.tasks.add(task)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await src.read(65536):
                if self.stalled:
                    await asyncio.Event().wait()  # hold the connection, forward nothing
                dst.write(data)
                await dst.drain()
        with contextlib.suppress(OSError):
            dst.close()

    def refuse(self) -> None:
        """Close the listener (new connections: refused) and cut the open ones."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()

    def stall(self) -> None:
        self.stalled = True

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """uvicorn on a free port in this event loop, and a client for it."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False)
    )
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        assert not task.done(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=GUARD) as client:
            yield client
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)


async def _csrf(client: httpx.AsyncClient) -> str:
    if csrf_cookie_name(client) not in client.cookies:  # type: ignore[arg-type]
        await client.get("/anmelden")
    return str(client.cookies[csrf_cookie_name(client)])  # type: ignore[arg-type]


async def _login(client: httpx.AsyncClient, email: str) -> None:
    token = await _csrf(client)
    r = await client.post(
        "/anmelden", data={"email": email, "password": "Lüneburg-Demo-2030", "_csrf_token": token}
    )
    assert r.status_code == 303, r.text


async def _post(client: httpx.AsyncClient, url: str, data: dict[str, str], token: str) -> httpx.Response:
    return await client.post(url, data={**data, "_csrf_token": token})


def assert_kept_input_page(r: httpx.Response, *, url: str) -> None:
    assert r.status_code == 503, r.text
    assert "Die Datenbank ist kurz nicht erreichbar" in r.text
    assert "Ihre Eingabe ist unten erhalten" in r.text
    assert ESCAPED in r.text and TYPED not in r.text  # shown again, escaped
    assert f'action="{url}"' in r.text and 'method="post"' in r.text
    assert SECRET not in r.text  # passwords are never shown again
    assert "Traceback" not in r.text


def assert_unavailable_page(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert "Die Datenbank ist kurz nicht erreichbar" in r.text and "<h1" in r.text


def assert_readyz_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == "error"
    assert "Error" not in r.text and "Exception" not in r.text  # no class names for visitors


def outage_settings(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, db_connect_timeout=1, db_statement_timeout=1, **changes)


@pytest.fixture
async def proxy(backend: str) -> AsyncIterator[Proxy]:
    if backend != "postgres":
        pytest.skip("the proxy stands in front of PostgreSQL")
    p = Proxy((PG_HOST, PG_PORT))
    await p.start()
    yield p
    await p.close()


def via(settings: Settings, proxy: Proxy) -> Settings:
    url = settings.database_url.replace(f"@{PG_HOST}:{PG_PORT}/", f"@127.0.0.1:{proxy.port}/")
    assert url != settings.database_url
    return outage_settings(settings, database_url=url)


# ---------------------------------------------------------------------------------------------
# PostgreSQL: refused and stalled
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["refuse", "stall"])
async def test_postgres_away_gives_503_pages_that_keep_input(settings, backend, proxy, mode, capsys):
    from beteiligung.app import create_app

    await reset_database(settings)
    await make_user(settings, email="outage@example.org")
    app = create_app(via(settings, proxy))
    async with serve(app) as client, serve(create_app(via(settings, proxy))) as visitor:
        await _login(client, "outage@example.org")
        token = await _csrf(client)
        visitor_token = await _csrf(visitor)
        assert (await client.get("/readyz")).status_code == 200

        proxy.refuse() if mode == "refuse" else proxy.stall()

        # A signed-in person's form: the session cannot be loaded, what was typed comes back.
        r = await _post(client, "/konto/profil", {"display_name": TYPED, "locale": "de"}, token)
        assert_kept_input_page(r, url="/konto/profil")
        assert 'name="display_name"' in r.text and "_csrf_token" in r.text  # a fresh token to resend
        # An anonymous form (the page's context cannot be loaded); the password is not repeated.
        r = await _post(
            visitor,
            "/registrieren",
            {"display_name": TYPED, "email": "neu@example.org", "password": SECRET, "accept_terms": "on"},
            visitor_token,
        )
        assert_kept_input_page(r, url="/registrieren")
        assert "neu@example.org" in r.text
        # htmx: an alert; the form stays in the page.
        r = await client.post(
            "/konto/profil",
            data={"display_name": TYPED, "locale": "de"},
            headers={"HX-Request": "true", "x-csrftoken": token},
        )
        assert r.status_code == 503 and "Die Datenbank ist kurz nicht erreichbar" in r.text
        assert r.headers["hx-retarget"] == "#page-alert"
        # A page
        assert_unavailable_page(await visitor.get("/vorhaben"))
        assert_readyz_unavailable(await visitor.get("/readyz"))
    logs = capsys.readouterr().out
    assert "database.unavailable" in logs and "readyz.check_failed" in logs  # the reason: in the log
    assert SECRET not in logs and "Radwege" not in logs


# ---------------------------------------------------------------------------------------------
# SQLite: an unopenable file, a held write lock
# ---------------------------------------------------------------------------------------------
async def test_sqlite_unopenable_file_gives_503_pages_that_keep_input(settings, backend, tmp_path, capsys):
    if backend != "sqlite":
        pytest.skip("PostgreSQL: see the proxy test")
    from beteiligung.app import create_app

    url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-directory' / 'beteiligung.db'}"
    async with serve(create_app(outage_settings(settings, database_url=url))) as client:
        token = await _csrf(client)
        assert_unavailable_page(await client.get("/vorhaben"))
        r = await _post(
            client,
            "/registrieren",
            {"display_name": TYPED, "email": "neu@example.org", "password": SECRET, "accept_terms": "on"},
            token,
        )
        assert_kept_input_page(r, url="/registrieren")
        assert_readyz_unavailable(await client.get("/readyz"))
    logs = capsys.readouterr().out
    assert "database.unavailable" in logs and "readyz.check_failed" in logs
    assert "OperationalError" in logs  # the class is in the log, not on the page


async def test_sqlite_locked_database_gives_503_page_that_keeps_input(settings, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL: see the proxy test")
    from beteiligung.app import create_app

    await reset_database(settings)
    await make_user(settings, email="locked@example.org")
    async with serve(create_app(outage_settings(settings))) as client:
        await _login(client, "locked@example.org")
        token = await _csrf(client)
        path = settings.database_url.split(":///", 1)[1]
        lock = sqlite3.connect(path, timeout=5, isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
            r = await _post(client, "/konto/profil", {"display_name": TYPED, "locale": "de"}, token)
            assert_kept_input_page(r, url="/konto/profil")
            # Reads go on (WAL): the database is there, so ready.
            assert (await client.get("/readyz")).status_code == 200
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        # The lock is gone: the same form goes through.
        r = await _post(client, "/konto/profil", {"display_name": "Heide Neu", "locale": "de"}, token)
        assert r.status_code == 303, r.text
