"""DS-08 export completeness and DS-09 erasure, scanned over every table and the session store."""

from __future__ import annotations

import json

from sqlalchemy import func, select, text

from beteiligung.accounts.privacy import tables_referencing_users
from beteiligung.app import make_alchemy_config
from beteiligung.db import metadata
from tests.conftest import DEMO_PASSWORD, login, make_user, post_form


def test_every_table_pointing_at_users_is_exported():
    names = {t.name for t, _ in tables_referencing_users()}
    expected = {
        t.name
        for t in metadata.sorted_tables
        if any(fk.column.table.name == "user_account" for c in t.columns for fk in c.foreign_keys)
    }
    assert names == expected and {"membership", "consent", "email_token", "outbox_mail"} <= names


async def test_export_contains_the_users_data_and_no_secrets(client, settings, mailbox):
    await post_form(
        client,
        "/registrieren",
        {
            "display_name": "Exportprobe",
            "email": "export@example.org",
            "password": "ein langer satz zum export",
            "accept_terms": "on",
        },
    )
    token = mailbox.last_link("export@example.org", "/email-bestaetigen").split("token=")[1]
    await post_form(client, "/email-bestaetigen", {"token": token})
    await login(client, "export@example.org", "ein langer satz zum export")
    r = await client.get("/konto/daten/export.json")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    data = json.loads(r.content)
    assert data["account"]["email"] == "export@example.org"
    assert data["account"]["display_name"] == "Exportprobe"
    assert "password_hash" not in json.dumps(data) and "token_hash" not in json.dumps(data)
    assert data["tables"]["consent"][0]["purpose"] == "nutzungsbedingungen"
    assert data["tables"]["membership"][0]["role"] == "resident"
    page = await client.get("/konto/daten")
    assert "Exportprobe" in page.text and "Einwilligungen" in page.text and "Nutzungsbedingungen" in page.text


async def test_erasure_leaves_no_trace(app, client, settings, mailbox):
    probe_mail, probe_name = "erase-probe-7f3a@example.org", "Löschprobe 7f3a"
    await make_user(settings, email=probe_mail, display_name=probe_name)
    await login(client, probe_mail)
    session_id = client.cookies.get("session")
    # some rows that belong to the person: a pending e-mail change and mail in flight
    await post_form(
        client, "/konto/email", {"new_email": "erase-new-7f3a@example.org", "current_password": DEMO_PASSWORD}
    )

    from beteiligung.accounts.models import StoredSession
    from tests.participation_factories import run_sql

    async def stored(key: str) -> bool:
        """Sessions are rows of web_session (looked up with our own connection)."""
        return bool(
            await run_sql(
                settings, lambda db: db.scalar(select(StoredSession.id).where(StoredSession.key == key))
            )
        )

    assert await stored(session_id)

    r = await post_form(client, "/konto/loeschen", {"current_password": "falsch", "confirm": "on"})
    assert r.status_code == 422, "a wrong password deletes nothing"
    r = await post_form(client, "/konto/loeschen", {"current_password": DEMO_PASSWORD})
    assert r.status_code == 422 and "bestätigen" in r.text, "the confirmation box is required"
    r = await post_form(client, "/konto/loeschen", {"current_password": DEMO_PASSWORD, "confirm": "on"})
    assert r.status_code == 303

    assert not await stored(session_id), "the session is deleted from the store"
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            for table in metadata.sorted_tables:
                rows = (await db.execute(select(table))).all()
                dump = json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)
                for needle in (probe_mail, probe_name, "erase-new-7f3a"):
                    assert needle not in dump, (table.name, needle)
            count = await db.scalar(text("SELECT count(*) FROM user_account"))
            assert count == 0
    finally:
        await config.get_engine().dispose()
    client.cookies.set("session", session_id, domain="testserver.local")
    assert (await client.get("/konto")).status_code == 303


async def test_rate_limit_keys_carry_a_ttl_and_no_address(settings, backend):
    if backend != "postgres":
        return
    from redis.asyncio import Redis

    from beteiligung.infra import LOGIN_PER_IP, RateLimiter, make_redis

    redis = make_redis(settings)
    limiter = RateLimiter(settings, redis)
    await limiter.hit(LOGIN_PER_IP, "203.0.113.7")
    client = Redis.from_url(settings.redis_url)
    keys = [k async for k in client.scan_iter(f"{settings.redis_prefix}:ratelimit:*")]
    assert keys
    for key in keys:
        assert await client.ttl(key) > 0
    assert not any(b"203.0.113" in k for k in keys)
    await client.aclose()
    await redis.aclose()


async def test_export_and_erasure_cover_notifications_and_flags(client, settings):
    """Moderation: the notifications a person got and the flags they filed are theirs (DS-08);
    erasure removes them (the foreign keys cascade)."""
    from beteiligung.moderation.models import Flag, FlagReason
    from beteiligung.notifications.models import Notification
    from beteiligung.proposals.models import Proposal
    from tests.participation_factories import make_consultation, run_sql

    cid = await make_consultation(settings)
    author = await make_user(settings, email="author@example.org", display_name="Autorin")
    uid = await make_user(settings, email="flagger@example.org", display_name="Meldende")

    async def arrange(db):
        proposal = Proposal(consultation_id=cid, author_id=author, title="Werbung", body="Kaufen Sie jetzt!")
        db.add(proposal)
        await db.flush()
        db.add(Flag(proposal_id=proposal.id, user_id=uid, reason=FlagReason.SPAM, text="Reine Werbung"))
        db.add(Notification(user_id=uid, kind="moderation_held", params={"excerpt": "Mein Text"}, link="/x"))
        db.add(Notification(user_id=author, kind="moderation_hidden", params={"excerpt": "Werbung"}))
        return proposal.id

    pid = await run_sql(settings, arrange)
    await login(client, "flagger@example.org")
    data = json.loads((await client.get("/konto/daten/export.json")).content)
    flags = data["tables"]["flag"]
    assert len(flags) == 1 and flags[0]["reason"] == "spam" and flags[0]["text"] == "Reine Werbung"
    assert flags[0]["proposal_id"] == pid and flags[0]["created_at"]
    notes = data["tables"]["notification"]
    assert (
        len(notes) == 1
        and notes[0]["kind"] == "moderation_held"
        and notes[0]["params"]["excerpt"] == "Mein Text"
    )

    r = await post_form(client, "/konto/loeschen", {"current_password": DEMO_PASSWORD, "confirm": "on"})
    assert r.status_code == 303

    async def counts(db):
        flags = await db.scalar(select(func.count()).select_from(Flag))
        mine = await db.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == uid)
        )
        others = await db.scalar(select(func.count()).select_from(Notification))
        return flags, mine, others

    assert await run_sql(settings, counts) == (0, 0, 1), "the author's notification stays"
