"""Demo data of the Hansestadt Lüneburg: the organisation, its texts and four demo logins.

``seed_organisation`` is also what a real install runs once for a new town (with its own
texts); ``seed_demo`` adds the demo accounts and the demo participation
(:mod:`beteiligung.demo.participation`) and is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts import actions
from beteiligung.accounts.models import Role, User
from beteiligung.db import utcnow
from beteiligung.demo.meetings import seed_meetings
from beteiligung.demo.moderation import seed_moderation
from beteiligung.demo.participation import seed_participation
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
        user = await actions.get_user_by_email(db, login.email)
        if user is None:
            user = await actions.create_user(
                db,
                org=org,
                email=login.email,
                password=login.password,
                display_name=login.display_name,
                role=login.role,
                now=now,
            )
            created = True
        users[login.role] = user
    if await seed_participation(db, org, users, now):
        created = True
    if await seed_moderation(db, org, users, now):
        created = True
    if await seed_meetings(db, org, users, now):
        created = True
    if await seed_surveys(db, org, now):
        created = True
    return org, created
