"""Servers a test starts and stops itself: a ``redis-server`` on a free port (to kill it and see
an outage) and the app served by uvicorn in the test's event loop (the in-process test client
buffers streaming responses, so connecting to and leaving a live stream needs a real server)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A redis-server without persistence, to stop (an outage) and start again on the same port."""

    def __init__(self) -> None:
        if not Path(REDIS_SERVER).exists():
            message = f"{REDIS_SERVER} is missing (install Debian's redis-server package)"
            if IN_CI:
                pytest.fail(f"{message}; CI=true: it fails the run", pytrace=False)
            pytest.skip(message)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = Path(tempfile.mkdtemp(prefix="own-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with (self.tmp / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    REDIS_SERVER,
                    *("--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no"),
                ],
                cwd=self.tmp,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"redis-server did not start:\n{(self.tmp / 'redis.log').read_text()}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def own_redis() -> Any:
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free port in this event loop; yields the base URL.
    uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1, so a test can speak for any address."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]  # Ctrl-C: pytest's
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done():
            task.result()
            raise AssertionError("uvicorn stopped before it started")
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
