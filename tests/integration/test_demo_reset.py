"""``beteiligung seed-demo --reset`` (issue 20): the demo afresh, exactly as a fresh seed leaves it,
and only where that is meant: asked first, refused in production without --yes-really and in a
database that holds another organisation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from beteiligung.cli import main
from beteiligung.db import metadata
from beteiligung.settings import Settings
from tests.conftest import TEST_SECRET, make_user, reset_database
from tests.participation_factories import run_sql


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "BETEILIGUNG_ENV": "test",
        "BETEILIGUNG_DATABASE_URL": settings.database_url,
        "BETEILIGUNG_SECRET_KEY": TEST_SECRET,
        "BETEILIGUNG_REDIS_URL": settings.redis_url,
        **extra,
    }


def _cli(settings: Settings, *args: str, input: str | None = None, **env: str) -> Any:
    return CliRunner().invoke(main, ["seed-demo", *args], env=_env(settings, **env), input=input)


def _counts(settings: Settings) -> dict[str, int]:
    async def count(db: Any) -> dict[str, int]:
        return {
            t.name: int(await db.scalar(select(func.count()).select_from(t)) or 0)
            for t in metadata.sorted_tables
        }

    return asyncio.run(run_sql(settings, count))  # type: ignore[no-any-return]


def _ids(settings: Settings, sql: str) -> list[int]:
    from sqlalchemy import text

    async def ids(db: Any) -> list[int]:
        return [int(v) for v in (await db.scalars(text(sql))).all()]

    return asyncio.run(run_sql(settings, ids))  # type: ignore[no-any-return]


async def _more_data(settings: Settings) -> None:
    """What a demo collects while people try it: an account, a proposal, a moderation log entry."""
    from beteiligung.consultations.models import Consultation
    from beteiligung.moderation.models import LogAction, ModerationLog
    from beteiligung.proposals.models import Proposal

    uid = await make_user(settings, email="neu@example.org", display_name="Neu hier")

    async def add(db: Any) -> None:
        consultation = (await db.scalars(select(Consultation))).first()
        db.add(Proposal(consultation_id=consultation.id, author_id=uid, title="Ausprobiert", body="Test"))
        db.add(
            ModerationLog(
                organisation_id=consultation.organisation_id,
                moderator_name="Test",
                action=LogAction.APPROVE,
                target_kind="proposal",
                target_id=1,
            )
        )

    await run_sql(settings, add)


@pytest.fixture
def fresh_demo(settings: Settings) -> dict[str, int]:
    asyncio.run(reset_database(settings))
    result = _cli(settings)
    assert result.exit_code == 0 and "Demo data loaded." in result.output, result.output
    return _counts(settings)


def test_reset_leaves_exactly_what_a_fresh_seed_leaves(settings, fresh_demo):
    asyncio.run(_more_data(settings))
    changed = _counts(settings)
    assert changed["user_account"] == fresh_demo["user_account"] + 1
    assert changed["moderation_log"] == fresh_demo["moderation_log"] + 1

    result = _cli(settings, "--reset", "--yes")
    assert result.exit_code == 0, result.output
    assert "Demo reset" in result.output
    assert _counts(settings) == fresh_demo
    # Ids start again at 1, so the demo's links (/umfragen/1, /veranstaltungen/1) hold again.
    assert _ids(settings, "SELECT id FROM survey ORDER BY id") == [1, 2]
    assert _ids(settings, "SELECT id FROM meeting ORDER BY id") == [1, 2, 3]
    # The append-only log is append-only again after the reset.
    from sqlalchemy import text

    async def delete_log(db: Any) -> None:
        await db.execute(text("DELETE FROM moderation_log"))

    with pytest.raises(Exception, match="append-only"):
        asyncio.run(run_sql(settings, delete_log))
    # Search finds the demo again (SQLite: the full-text tables were emptied and filled anew).
    from beteiligung.search.queries import Kind, parse_query, search

    async def find(db: Any) -> int:
        return (await search(db, 1, parse_query("Lastenrad"))).counts[Kind.PROPOSAL]

    assert asyncio.run(run_sql(settings, find)) == 1


def test_reset_asks_first_and_changes_nothing_when_told_no(settings, fresh_demo):
    asyncio.run(_more_data(settings))
    before = _counts(settings)
    result = _cli(settings, "--reset", input="n\n")
    assert result.exit_code == 1 and "Nothing was changed." in result.output
    assert _counts(settings) == before
    result = _cli(settings, "--reset", input="")  # no terminal to answer: no
    assert result.exit_code != 0 and _counts(settings) == before


def test_reset_refuses_a_database_with_another_organisation(settings, fresh_demo):
    from beteiligung.organisations.models import Organisation

    async def other(db: Any) -> None:
        db.add(Organisation(slug="celle", name="Stadt Celle"))

    asyncio.run(run_sql(settings, other))
    before = _counts(settings)
    result = _cli(settings, "--reset", "--yes")
    assert result.exit_code == 2 and "celle" in result.output and "Nothing was changed" in result.output
    assert _counts(settings) == before


def test_reset_is_refused_in_production_without_yes_really(settings, fresh_demo):
    if not settings.redis_url:
        pytest.skip("production settings need PostgreSQL and Redis")
    asyncio.run(_more_data(settings))
    before = _counts(settings)
    result = _cli(settings, "--reset", "--yes", BETEILIGUNG_ENV="production")
    assert result.exit_code == 2 and "--yes-really" in result.output
    assert _counts(settings) == before
    result = _cli(settings, "--reset", "--yes-really", BETEILIGUNG_ENV="production")
    assert result.exit_code == 0, result.output
    assert _counts(settings) == fresh_demo
