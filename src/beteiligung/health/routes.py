"""Liveness and readiness for the orchestrator and the proxy."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

OPT = {"no_context": True, "exclude_from_csrf": True}


@get("/healthz", name="healthz", opt=OPT, media_type="application/json")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@get("/readyz", name="readyz", opt=OPT, media_type="application/json")
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The database (and Redis, when configured) answer; 503 otherwise."""
    checks: dict[str, str] = {}
    config = request.app.state["alchemy_config"]
    try:
        async with config.get_session() as db:
            await db.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    redis = request.app.state.get("redis")
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    broker = request.app.state.get("live_broker")
    if broker is not None:
        # The live listener follows Redis and recovers by itself; reported, not fatal: pages and
        # contributions work without it (live updates pause).
        checks_live = "ok" if broker.healthy else "degraded"
    ok = all(v == "ok" for v in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks}
    if broker is not None:
        body["live"] = {"listener": checks_live, "streams": broker.hub.connections}
    return Response(body, status_code=200 if ok else 503)


ROUTES = [healthz, readyz]
