"""The moderation audit log is append-only in the database itself (triggers of migration 0004):
UPDATE and DELETE of a row fail on SQLite and on PostgreSQL, whoever sends them."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from beteiligung.app import make_alchemy_config
from beteiligung.moderation.models import LogAction, ModerationLog


async def test_moderation_log_refuses_update_and_delete(app, settings):
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            entry = ModerationLog(
                organisation_id=1,
                moderator_name="Moderation",
                action=LogAction.HIDE,
                target_kind="comment",
                target_id=7,
                rule=2,
                reason_text="Beleidigung",
            )
            db.add(entry)
            await db.commit()
            entry_id = entry.id

        for statement in (
            update(ModerationLog).where(ModerationLog.id == entry_id).values(reason_text="geändert"),
            delete(ModerationLog).where(ModerationLog.id == entry_id),
            text("UPDATE moderation_log SET moderator_name = 'jemand anderes'"),
            text("DELETE FROM moderation_log"),
        ):
            async with config.get_session() as db:
                with pytest.raises(DBAPIError, match="append-only"):
                    await db.execute(statement)
                    await db.commit()
                await db.rollback()

        async with config.get_session() as db:
            row = (await db.scalars(select(ModerationLog).where(ModerationLog.id == entry_id))).one()
            assert (row.reason_text, row.moderator_name) == ("Beleidigung", "Moderation")
            assert await db.scalar(select(func.count()).select_from(ModerationLog)) == 1
            # appending still works
            db.add(
                ModerationLog(
                    organisation_id=1,
                    moderator_name="Moderation",
                    action=LogAction.APPROVE,
                    target_kind="comment",
                    target_id=8,
                )
            )
            await db.commit()
            assert await db.scalar(select(func.count()).select_from(ModerationLog)) == 2
    finally:
        await config.get_engine().dispose()
