"""``create_app(settings)``: the only module that knows every feature and wires them together."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from advanced_alchemy.utils.dataclass import Empty
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from beteiligung.accounts.sessions import SessionConfig, make_session_store, sweep_expired
from beteiligung.db import configure_engine, load_models
from beteiligung.features import install_all
from beteiligung.i18n.middleware import LocaleMiddleware
from beteiligung.infra import RateLimiter, make_redis
from beteiligung.live.broker import Broker, MemoryBroker, RedisBroker
from beteiligung.live.limits import ConnectionLimiter
from beteiligung.live.publish import drain
from beteiligung.mail.service import Mailer
from beteiligung.meetings.presence import Presence
from beteiligung.moderation.claims import Claims
from beteiligung.organisations.queries import get_org_for_host
from beteiligung.settings import PROJECT_ROOT, Settings
from beteiligung.web.context import OrgView, load_request_context
from beteiligung.web.errors import EXCEPTION_HANDLERS
from beteiligung.web.input_guard import InputGuardMiddleware, StaticFileSystem
from beteiligung.web.logs import logging_config
from beteiligung.web.middleware import RequestIdMiddleware, SecurityHeadersMiddleware
from beteiligung.web.templating import STATIC_DIR, make_environment


def make_alchemy_config(
    settings: Settings, live_broker: Any | None = None, pool: tuple[int, int] = (10, 20)
) -> SQLAlchemyAsyncConfig:
    load_models()
    engine_kwargs: dict[str, Any] = {}
    if not settings.is_sqlite:
        engine_kwargs = {"pool_size": pool[0], "max_overflow": pool[1], "pool_pre_ping": True}
    config = SQLAlchemyAsyncConfig(
        connection_string=settings.resolved_database_url,
        # The live broker rides on every session: commits publish the events actions queued.
        session_config=AsyncSessionConfig(
            expire_on_commit=False, info={"live_broker": live_broker} if live_broker else Empty
        ),
        create_all=False,  # the schema comes from Alembic migrations only
        alembic_config=AlembicAsyncConfig(
            script_location=str(PROJECT_ROOT / "migrations"),
            version_table_name="alembic_versions",
        ),
    )
    configure_engine(config.engine_config, settings)  # timeouts, hide_parameters (db.py)
    if engine_kwargs:
        config.engine_config.pool_size = engine_kwargs["pool_size"]
        config.engine_config.max_overflow = engine_kwargs["max_overflow"]
        config.engine_config.pool_pre_ping = True
    if settings.is_sqlite:
        if pool != (10, 20):
            # The session store's engine: a SQLite connection is a thread of its own; without a
            # pool none outlives the request that opened it (or the event loop that owns it).

            config.engine_config.poolclass = NullPool
        engine = config.get_engine()

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={settings.db_statement_timeout * 1000}")
            cursor.close()

    return config


def make_broker(settings: Settings, redis: Any | None) -> Broker:
    """Redis when configured (several processes share the stream), else in memory."""
    if redis is None:
        return MemoryBroker()
    return RedisBroker(redis, settings.redis_prefix)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    redis = make_redis(settings)
    live_broker = make_broker(settings, redis)
    alchemy_config = make_alchemy_config(settings, live_broker)
    # The session store has its own small pool: a request holds a connection of the main pool
    # while its session is saved, and under load a shared pool would wait on itself.
    session_store_config = make_alchemy_config(settings, pool=(5, 10))
    secure = settings.use_secure_cookies

    session_config = SessionConfig(
        store="sessions",
        key="__Host-session" if secure else "session",
        secure=secure,
        httponly=True,
        samesite="lax",
        path="/",
        max_age=settings.session_idle_minutes * 60,
        renew_on_access=True,  # idle timeout: the store entry lives max_age past the last request
    )
    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="__Host-csrf" if secure else "csrftoken",
        cookie_secure=secure,
        cookie_httponly=True,
        cookie_samesite="lax",
        cookie_path="/",
        header_name="x-csrftoken",
        # Anchored: Litestar searches these anywhere in the path ("/vorhaben/static-…" is no file).
        exclude=[r"^/static/", r"^/healthz\Z", r"^/readyz\Z"],
    )
    logging_plugin = StructlogPlugin(
        config=StructlogConfig(
            # Level and format from the settings; exceptions without bound values (web/logs.py).
            structlog_logging_config=logging_config(settings),
            middleware_logging_config=LoggingMiddlewareConfig(
                # No query (tokens), no body, no headers, no cookies, no client address (DS-07).
                request_log_fields=("path", "method"),
                response_log_fields=["status_code"],
                # Litestar logs a response line per body chunk: a live stream would log one
                # line per event per client.
                exclude=[r"^/static/", r"^/healthz$", r"^/readyz$", r"^/live/"],
            ),
        )
    )
    static_router = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        opt={"no_context": True},
        include_in_schema=False,
        name="static",
        file_system=StaticFileSystem(),
    )

    async def on_startup(app: Litestar) -> None:
        """Cache the default organisation's name for error pages (which render without I/O)."""

        try:
            async with alchemy_config.get_session() as db:
                org = await get_org_for_host(db, "", settings.default_org)
        except Exception:
            return
        if org is not None:
            app.state["default_org_view"] = OrgView.of(org)

    async def start_live(app: Litestar) -> None:
        await live_broker.start()
        app.state["housekeeping"] = asyncio.get_running_loop().create_task(housekeeping())

    async def housekeeping() -> None:
        """Every 15 minutes, starting 15 minutes after start-up: sweep expired sessions (any
        process may; it is idempotent)."""

        while True:
            await asyncio.sleep(15 * 60)
            try:
                async with session_store_config.get_session() as db:
                    await sweep_expired(db)
            except Exception as exc:  # the database may be briefly away; try again later
                structlog.get_logger("beteiligung.app").warning(
                    "sessions.sweep_failed", error=type(exc).__name__
                )

    async def on_shutdown(app: Litestar) -> None:
        task = app.state.get("housekeeping")
        if task is not None:
            task.cancel()
        await session_store_config.get_engine().dispose()
        await drain()
        await live_broker.stop()
        if redis is not None:
            await redis.aclose()

    registry = install_all()
    app = Litestar(
        route_handlers=[
            *registry.routes(),
            static_router,
        ],
        plugins=[SQLAlchemyPlugin(config=alchemy_config), HTMXPlugin(), logging_plugin],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_environment())),
        csrf_config=csrf_config,
        middleware=[
            LocaleMiddleware,
            InputGuardMiddleware,
            session_config.middleware,
        ],
        stores={"sessions": make_session_store(session_store_config)},
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=load_request_context,
        request_max_body_size=settings.max_body_bytes,
        on_startup=[on_startup, start_live],
        on_shutdown=[on_shutdown],
        state=State(
            {
                "settings": settings,
                "session_cookie": session_config.key,
                "alchemy_config": alchemy_config,
                "redis": redis,
                "mailer": Mailer(settings),
                "limiter": RateLimiter(settings, redis),
                "live_broker": live_broker,
                "live_limiter": ConnectionLimiter(
                    settings.secret_key,
                    redis,
                    settings.redis_prefix,
                    limit=settings.live_streams_per_client,
                    ttl_seconds=settings.live_slot_ttl_seconds,
                ),
                "moderation_claims": Claims(redis, settings.redis_prefix),
                "meeting_presence": Presence(redis, settings.redis_prefix, live_broker),
            }
        ),
        debug=False,
        openapi_config=None,
    )
    # Route middleware does not run when routing itself fails (an unknown path's 404), so the
    # security headers and the request id wrap Litestar's whole ASGI handler instead.
    app.asgi_handler = RequestIdMiddleware(
        SecurityHeadersMiddleware(app.asgi_handler, hsts=settings.is_production)
    )
    return app
