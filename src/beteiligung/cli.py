"""``beteiligung`` command: run, migrate, seed-demo, create-user.

A bad setting stops every command with one line naming the variable (exit code 2).
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config
from sqlalchemy import select

from beteiligung.accounts import actions
from beteiligung.accounts.models import Role
from beteiligung.accounts.passwords import password_problem
from beteiligung.app import make_alchemy_config
from beteiligung.db import utcnow
from beteiligung.demo.seed import DEMO_LOGINS, empty_demo_database, reset_refusal, seed_demo
from beteiligung.features import install_all
from beteiligung.organisations.models import Organisation
from beteiligung.settings import PROJECT_ROOT, Settings, SettingsError


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


def _with_db(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def alembic_config(settings: Settings) -> Any:

    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", settings.resolved_database_url)
    return cfg


def migrate_database(settings: Settings, revision: str = "head") -> None:

    if settings.is_sqlite:
        db_path = settings.resolved_database_url.split(":///", 1)[1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


async def _seed(settings: Settings) -> bool:

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            _, created = await seed_demo(db)
    finally:
        await config.get_engine().dispose()
    return created


@click.group()
def main() -> None:
    """Beteiligung: citizen participation for German towns."""
    install_all()  # the features the commands (seed-demo, erasure …) ask the registry for


@main.command()
@click.option("--revision", default="head", show_default=True)
def migrate(revision: str) -> None:
    """Apply the database migrations."""
    settings = _settings()
    migrate_database(settings, revision)
    click.echo(f"Database is at revision {revision}.")


@main.command("seed-demo")
@click.option(
    "--reset",
    is_flag=True,
    help="Delete ALL data first (every table: accounts, contributions, sessions, the moderation log), "
    "then load the demo again. Refused when the database holds another organisation.",
)
@click.option("--yes", is_flag=True, help="With --reset: do not ask before deleting.")
@click.option(
    "--yes-really",
    "yes_really",
    is_flag=True,
    help="With --reset: allow it with BETEILIGUNG_ENV=production (a demo installation run as production).",
)
def seed_demo_cmd(reset: bool, yes: bool, yes_really: bool) -> None:
    """Load the Lüneburg demo data (idempotent); with --reset start the demo afresh."""
    settings = _settings()
    migrate_database(settings)
    if reset:
        if settings.is_production and not yes_really:
            click.echo(
                "seed-demo --reset deletes every row of the database and is refused with "
                "BETEILIGUNG_ENV=production. If this really is a demo installation, add --yes-really.",
                err=True,
            )
            sys.exit(2)
        refusal = asyncio.run(_reset_refusal(settings))
        if refusal:
            click.echo(refusal, err=True)
            sys.exit(2)
        if not (yes or yes_really) and not click.confirm(
            "Delete ALL data of this database (accounts, contributions, sessions, the moderation log) "
            "and load the demo again?",
            default=False,
        ):
            click.echo("Nothing was changed.")
            sys.exit(1)
        asyncio.run(_empty(settings))
        asyncio.run(_seed(settings))
        click.echo("Demo reset: all data deleted, the demo loaded again (everyone is signed out).")
        return
    created = asyncio.run(_seed(settings))
    click.echo("Demo data loaded." if created else "Demo data was already there.")


async def _reset_refusal(settings: Settings) -> str | None:

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            return await reset_refusal(db)
    finally:
        await config.get_engine().dispose()


async def _empty(settings: Settings) -> None:

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            await empty_demo_database(db)
    finally:
        await config.get_engine().dispose()


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice(["resident", "moderator", "staff", "admin"]), default="resident")
@click.option("--org", "org_slug", default=None, help="Organisation slug (default: BETEILIGUNG_DEFAULT_ORG)")
@click.option(
    "--password", default=None, help="Omit to be asked (recommended: keeps it out of shell history)"
)
def create_user_cmd(
    email: str, display_name: str, role: str, org_slug: str | None, password: str | None
) -> None:
    """Create a verified account with a role in an organisation."""

    settings = _settings()
    password = password or getpass.getpass("Passwort: ")
    problem = password_problem(password, email=email, display_name=display_name)
    if problem:
        click.echo(problem, err=True)
        sys.exit(2)

    async def _run() -> None:

        config = make_alchemy_config(settings)
        try:
            async with config.get_session() as db:
                slug = org_slug or settings.default_org
                org = (await db.scalars(select(Organisation).where(Organisation.slug == slug))).first()
                if org is None:
                    click.echo(f"No organisation with slug {slug!r}.", err=True)
                    sys.exit(2)
                try:
                    await actions.create_user(
                        db,
                        org=org,
                        email=email,
                        password=password,
                        display_name=display_name,
                        role=Role(role),
                        now=utcnow(),
                    )
                    await db.commit()  # the action does not commit (issue 12)
                except actions.AccountError as exc:
                    click.echo(exc.message, err=True)
                    sys.exit(2)
        finally:
            await config.get_engine().dispose()

    asyncio.run(_run())
    click.echo(f"Created {role} account for {email}.")


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--workers", type=int, default=None)
def run(host: str | None, port: int | None, workers: int | None) -> None:
    """Migrate, load the demo into an empty database, and serve."""
    import uvicorn  # the server only for `run`: the other commands start without it

    settings = _settings(host=host, port=port, workers=workers)
    migrate_database(settings)
    if settings.demo:
        asyncio.run(_seed(settings))
    url = f"http://{settings.host}:{settings.port}/"
    click.echo("")
    click.echo(f"  Beteiligung läuft auf {url}")
    if settings.demo:
        click.echo("  Demo-Zugänge (Passwort jeweils „Lüneburg-Demo-2030“):")
        for login in DEMO_LOGINS:
            click.echo(f"    {login.role.value:<10} {login.email}")
    click.echo("")
    uvicorn.run(
        "beteiligung.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=5,
        access_log=False,
        proxy_headers=True,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
