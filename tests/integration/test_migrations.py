"""One Alembic head; upgrading an empty database gives exactly the models' schema; downgrade works."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from beteiligung.cli import alembic_config, migrate_database
from beteiligung.db import include_in_autogenerate, load_models, metadata
from beteiligung.settings import Settings
from tests.conftest import PG_HOST, PG_PORT, PG_USER, TEST_SECRET, require_server


def _diff(url: str) -> list:
    async def run() -> list:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_object": include_in_autogenerate}
                    ),
                    metadata,
                )
            )
        await engine.dispose()
        # Alembic's own version table is not a model.
        return [
            op
            for op in diff
            if not (isinstance(op, tuple) and getattr(op[1], "name", "") == "alembic_versions")
        ]

    return asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        return
    require_server("PostgreSQL", PG_HOST, PG_PORT)
    import asyncpg

    name = f"beteiligung_mig_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
        await conn.execute(sql)
        await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_single_head():
    settings = Settings(env="test", secret_key=TEST_SECRET)
    heads = ScriptDirectory.from_config(alembic_config(settings)).get_heads()
    assert len(heads) == 1, heads


def test_upgrade_matches_models_and_downgrade_works(empty_db):
    load_models()
    settings = Settings(env="test", database_url=empty_db, secret_key=TEST_SECRET)
    migrate_database(settings)
    assert _diff(empty_db) == [], "models and migrations differ: run alembic revision --autogenerate"
    command.downgrade(alembic_config(settings), "base")
    remaining = _diff(empty_db)
    assert {op[0] for op in remaining if isinstance(op, tuple)} <= {"add_table", "add_index"}, remaining
    migrate_database(settings)  # and up again
    assert _diff(empty_db) == []
