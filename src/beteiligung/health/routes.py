"""Liveness and readiness for the orchestrator and the proxy."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from litestar import Request, Response, get
from sqlalchemy import text

# No session either: readiness must not depend on (or touch) a visitor's session.
OPT = {"no_context": True, "exclude_from_csrf": True, "skip_session": True}
# /readyz answers within this time even when the database or Redis stall (an orchestrator's
# probe gives up after a few seconds and would learn nothing).
READY_TIMEOUT_SECONDS = 1.5

log = structlog.get_logger("beteiligung.health")


@get("/healthz", name="healthz", opt=OPT, media_type="application/json")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


async def _check(name: str, probe: Any) -> str:
    """``ok`` or ``error``; the reason goes to the log only (anyone may call /readyz)."""
    task = asyncio.ensure_future(probe())
    # Not ``wait_for``: it waits for the cancelled probe to wind down, and closing a stalled
    # database connection can take seconds of its own. The cancelled probe ends in the background.
    done, _ = await asyncio.wait({task}, timeout=READY_TIMEOUT_SECONDS)
    if not done:
        task.cancel()
        task.add_done_callback(_consume)
        log.warning("readyz.check_failed", check=name, error="timeout")
        return "error"
    exc = task.exception()
    if exc is not None:
        log.warning("readyz.check_failed", check=name, error=type(exc).__name__)
        return "error"
    return "ok"


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" at exit


@get("/readyz", name="readyz", opt=OPT, media_type="application/json")
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The database (and Redis, when configured) answer; 503 otherwise."""
    config = request.app.state["alchemy_config"]

    async def database() -> None:
        async with config.get_session() as db:
            await db.execute(text("SELECT 1"))

    probes: dict[str, Any] = {"database": database}
    redis = request.app.state.get("redis")
    if redis is not None:
        probes["redis"] = redis.ping
    results = await asyncio.gather(*(_check(name, probe) for name, probe in probes.items()))
    checks = dict(zip(probes, results, strict=True))
    broker = request.app.state.get("live_broker")
    ok = all(v == "ok" for v in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks}
    if broker is not None:
        # The live listener follows Redis and recovers by itself; reported, not fatal: pages and
        # contributions work without it (live updates pause).
        body["live"] = {"listener": "ok" if broker.healthy else "degraded", "streams": broker.hub.connections}
    return Response(body, status_code=200 if ok else 503)


ROUTES = [healthz, readyz]
