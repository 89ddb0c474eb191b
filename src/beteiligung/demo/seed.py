"""Demo data of the Hansestadt Lüneburg: the organisation, its texts and four demo logins.

``seed_organisation`` is also what a real install runs once for a new town (with its own
texts); ``seed_demo`` adds the demo accounts and the demo participation
(:mod:`beteiligung.demo.participation`) and is idempotent: a second run changes nothing.
``empty_demo_database`` is the first half of ``beteiligung seed-demo --reset``: it deletes every
row of a database that holds only the demo organisation (and refuses any other database).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import Role, User
from beteiligung.db import dialect_name, metadata, utcnow
from beteiligung.demo.meetings import seed_meetings
from beteiligung.demo.moderation import seed_moderation
from beteiligung.demo.participation import demo_user, seed_participation
from beteiligung.demo.surveys import seed_surveys
from beteiligung.organisations.models import TEXT_KEYS, Organisation, OrgText

TEXT_DIR = Path(__file__).with_name("texts")

LUENEBURG = {
    "slug": "lueneburg",
    "name": "Hansestadt Lüneburg",
    "contact_email": "stadt@stadt.lueneburg.de",
    "contact_address": "Hansestadt Lüneburg\nAm Ochsenmarkt 1\n21335 Lüneburg",
    "intro": (
        "Lüneburg wächst und verändert sich. Mit dem Integrierten Stadtentwicklungskonzept "
        "ISEK 2030+ planen Verwaltung, Politik und Stadtgesellschaft gemeinsam, wie Lüneburg "
        "sich entwickeln soll: als Stadt der Arbeit und Ideen, mit Digitalisierung als Chance "
        "der Teilhabe. Hier können Bürger:innen Vorhaben der Stadt kommentieren, eigene "
        "Vorschläge einbringen, an Umfragen teilnehmen und an virtuellen Bürgerversammlungen "
        "teilnehmen."
    ),
    "embed_origins": "https://bbb.stadt.lueneburg.de\nhttps://meet.jit.si",
}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    display_name: str
    role: Role


# Demo passwords are printed by `beteiligung run`; they exist only in demo installs.
DEMO_LOGINS = (
    DemoLogin(
        "einwohnerin@demo.beteiligung.invalid", "Lüneburg-Demo-2030", "Heide aus Kaltenmoor", Role.RESIDENT
    ),
    DemoLogin(
        "moderation@demo.beteiligung.invalid", "Lüneburg-Demo-2030", "Moderation Lüneburg", Role.MODERATOR
    ),
    DemoLogin(
        "verwaltung@demo.beteiligung.invalid",
        "Lüneburg-Demo-2030",
        "Stabsstelle Stadtentwicklung",
        Role.STAFF,
    ),
    DemoLogin("admin@demo.beteiligung.invalid", "Lüneburg-Demo-2030", "Administration Lüneburg", Role.ADMIN),
)


async def seed_organisation(db: AsyncSession, values: dict[str, str] | None = None) -> Organisation:
    values = values or LUENEBURG
    org = (await db.scalars(select(Organisation).where(Organisation.slug == values["slug"]))).first()
    if org is None:
        org = Organisation(**values)
        db.add(org)
        await db.flush()
    existing = {
        t.key for t in (await db.scalars(select(OrgText).where(OrgText.organisation_id == org.id))).all()
    }
    for key, title in TEXT_KEYS.items():
        if key not in existing:
            body = (TEXT_DIR / f"{key}.md").read_text(encoding="utf-8")
            db.add(OrgText(organisation_id=org.id, key=key, title=title, body=body, version=1))
    await db.commit()
    return org


async def seed_demo(db: AsyncSession) -> tuple[Organisation, bool]:
    """Load the demo once. Returns the organisation and whether anything was created."""
    org = await seed_organisation(db)
    created = False
    now = utcnow()
    users: dict[Role, User] = {}
    for login in DEMO_LOGINS:
        users[login.role], new = await demo_user(
            db, org, login.email, login.password, login.display_name, login.role, now
        )
        created = created or new
    await db.commit()  # create_user does not commit (issue 12)
    if await seed_participation(db, org, users, now):
        created = True
    if await seed_moderation(db, org, users, now):
        created = True
    if await seed_meetings(db, org, users, now):
        created = True
    if await seed_surveys(db, org, now):
        created = True
    return org, created


# ---------------------------------------------------------------------------------------------
# Reset (beteiligung seed-demo --reset)
# ---------------------------------------------------------------------------------------------
async def reset_refusal(db: AsyncSession) -> str | None:
    """Why this database must not be emptied, or None. A reset deletes every row of every table
    (accounts are not per organisation), so it is only for a database that holds nothing but
    the demo organisation."""
    slugs = sorted((await db.scalars(select(Organisation.slug))).all())
    others = [slug for slug in slugs if slug != LUENEBURG["slug"]]
    if others:
        return (
            f"The database holds other organisations than the demo ({', '.join(others)}); "
            "--reset would delete their data too. Nothing was changed."
        )
    return None


async def empty_demo_database(db: AsyncSession) -> None:
    """Delete every row of every table of the app, including the append-only moderation log
    (the schema and Alembic's version table stay), and commit. PostgreSQL: one ``TRUNCATE …
    RESTART IDENTITY`` (it fires no row triggers, so the log's append-only trigger stays in force
    for everything else, and ids start at 1 again as in a fresh demo). SQLite: ``DELETE`` table by
    table (the full-text triggers keep their indexes in step), with the log's triggers lifted for
    its own ``DELETE`` and put back in the same transaction."""
    refusal = await reset_refusal(db)
    if refusal:
        raise ValueError(refusal)
    tables = list(reversed(metadata.sorted_tables))
    if dialect_name(db) == "postgresql":
        quote = db.get_bind().dialect.identifier_preparer.quote
        await db.execute(
            text(f"TRUNCATE {', '.join(quote(t.name) for t in tables)} RESTART IDENTITY CASCADE")
        )
        await db.commit()
        return
    rows = await db.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'moderation_log'")
    )
    log_triggers = rows.all()
    for name, _ in log_triggers:
        await db.execute(text(f'DROP TRIGGER "{name}"'))
    for table in tables:
        await db.execute(table.delete())
    for _, sql in log_triggers:
        await db.execute(text(sql))
    await db.commit()
