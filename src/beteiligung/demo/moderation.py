"""Demo moderation of the Hansestadt Lüneburg: a queue with something in it for the demo
moderator (moderation@demo.beteiligung.invalid) at ``/moderation`` (docs/moderation.md).

* "ISEK 2030+: Stadt der Arbeit und Ideen" is pre-moderated: three comments and one proposal by
  demo residents wait for approval (one with a moderator's private note).
* "Digitalisierung als Chance der Teilhabe" is post-moderated: a sharp but published comment
  carries two flags (below the threshold of three), a post with three links was held by the
  automatic link check, and an insult was flagged three times (held at the threshold) and then
  hidden by the demo moderator with Netiquette rule 2, so the audit log has an entry, the author
  has a notification and the consultation's public statistics count one removed contribution.

Everything goes through the moderation's own actions (``screen``, ``open_review``,
``flag_target``, ``decide``, ``save_note``), so the rows are what the app itself would write;
counters follow from the database triggers. Times are relative to ``now``. Idempotent like
:mod:`beteiligung.demo.participation`: nothing happens once the organisation has any review.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts import actions as accounts
from beteiligung.accounts.models import Role, User
from beteiligung.comments.models import Comment
from beteiligung.consultations.models import Consultation, Topic
from beteiligung.consultations.states import ModerationMode, Visibility
from beteiligung.demo.participation import ARBEIT_SLUG, DAY, DIGITAL_SLUG, HOUR, MINUTE, RESIDENTS, demo_actor
from beteiligung.moderation.actions import (
    Decision,
    decide,
    flag_target,
    open_review,
    review_of,
    save_note,
    screen,
)
from beteiligung.moderation.models import Flag, FlagReason, Review
from beteiligung.organisations.models import Organisation
from beteiligung.proposals.models import Proposal

_Row = TypeVar("_Row", Comment, Proposal)
# The demo's contributions reach back about eight months (the closed consultation); its accounts
# are older than that, and far older than the moderation's new-account window.
ACCOUNT_AGE = 365 * DAY


@dataclass(frozen=True)
class HeldComment:
    """A comment on a proposal of the pre-moderated consultation, waiting for approval."""

    author: str
    proposal_title: str
    ago: timedelta
    body: str
    note: str = ""  # the moderators' private note on its review


HELD_COMMENTS = (
    HeldComment(
        "jonas",
        "Click-&-Collect-Station am Bahnhof für Lüneburger Geschäfte",
        20 * HOUR,
        "Könnte die Station auch Rücksendungen annehmen? Dann spart man sich den Weg zur Post, und "
        "die Lastenräder vom Logistik-Hub nehmen die Pakete auf dem Rückweg gleich mit.",
    ),
    HeldComment(
        "mareike",
        "Repair-Café und offene Werkstatt in Kaltenmoor",
        5 * HOUR,
        "Für den Anfang braucht es gar keine eigene Werkstatt: In Kaltenmoor gibt es sicher Räume, "
        "die nachmittags frei sind, etwa in einer Schule oder einem Gemeindehaus. Ich würde beim "
        "Aufbau helfen.",
    ),
    HeldComment(
        "handwerk",
        "Gewerbegebiete ohne Auto erreichbar machen",
        2 * HOUR + 40 * MINUTE,
        "Das Wichtigste für die Gewerbegebiete ist, dass die A39 endlich gebaut wird. Solange der "
        "Lkw-Verkehr mitten durch die Stadt rollt, hilft auch der schönste Radweg nichts.",
        note=(
            "Grenzfall: Die Trasse der A39 ist laut Gestaltungsspielraum nicht Gegenstand dieser "
            "Beteiligung. Eher freigeben (Bezug zu den Gewerbegebieten ist da) und in einer Antwort "
            "auf den Gestaltungsspielraum hinweisen?"
        ),
    ),
)


@dataclass(frozen=True)
class HeldProposal:
    author: str
    ago: timedelta
    topic: str
    place: str
    title: str
    body: str


HELD_PROPOSAL = HeldProposal(
    author="lena",
    ago=9 * HOUR,
    topic="wissenschaft",
    place="Innenstadt",
    title="Leerstand als Lernort: Seminare der Leuphana mitten in der Stadt",
    body=(
        "Leere Ladenflächen könnten für ein Semester zu Lernorten werden: Seminare, Sprechstunden "
        "und Ausstellungen der Leuphana mitten in der Innenstadt. So kommen Studierende in die "
        "Altstadt, und Lüneburger:innen sehen, woran an der Universität gearbeitet wird.\n\n"
        "Das passt zum Ziel des ISEK 2030+, mehr Absolvent:innen in Lüneburg zu halten: Wer die "
        "Stadt und ihre Betriebe schon im Studium kennenlernt, bleibt eher."
    ),
)

# Sharp criticism of the town, but no rule broken: the moderation will likely dismiss the flags.
FLAGGED_BODY = (
    "Mal ehrlich: Das wird doch wieder so ein Prestigeprojekt, bei dem am Ende keiner "
    "durchblickt. Bevor hier Geld in Apps und Plattformen fließt, sollten die Ämter erst einmal "
    "zuverlässig ans Telefon gehen. Ich glaube das alles erst, wenn ich es sehe."
)
FLAGGED_AGO = 2 * DAY + 5 * HOUR
FLAGS_ON_FLAGGED = (
    ("jonas", FlagReason.OFF_TOPIC, "", 1 * DAY + 22 * HOUR),
    (
        "lena",
        FlagReason.OTHER,
        "Pauschale Verwaltungsschelte, keine Antwort auf die Fragen der Stadt.",
        1 * DAY + 4 * HOUR,
    ),
)

# An insult in reply to Jonas's question about the Urban Data Plattform; hidden with rule 2.
INSULTED_COMMENT_START = "Welche Daten kommen zuerst auf die Urban Data Plattform?"
INSULT_BODY = (
    "Luftqualität, Parkhäuser, Daten-Wunschzettel … Wer so etwas fordert, ist ein weltfremder "
    "Spinner, der noch nie richtig gearbeitet hat."
)
INSULT_AGO = 6 * HOUR
FLAGS_ON_INSULT = (
    ("jonas", FlagReason.INSULT, "", 5 * HOUR + 30 * MINUTE),
    ("lena", FlagReason.INSULT, "", 5 * HOUR),
    ("mareike", FlagReason.INSULT, "Persönlicher Angriff statt Argumente.", 4 * HOUR + 20 * MINUTE),
)
HIDE_RULE = 2
HIDE_REASON = (
    "Bitte kritisieren Sie Vorschläge und Argumente, nicht die Menschen, die sie äußern. "
    "Beschimpfungen wie „Spinner“ sind nach unserer Netiquette nicht erlaubt."
)

# Three links (the default limit is two): held by the automatic link check.
LINKS_BODY = (
    "Wer nicht bis 2027 warten will: Gerade gibt es Glasfaser-Aktionen und Tarifvergleiche, "
    "einfach mal reinschauen!\n\n"
    "https://glasfaser-angebote.example/lueneburg\n"
    "https://www.tarifvergleich.example/glasfaser\n"
    "https://schnell-surfen.example/aktion"
)
LINKS_AGO = 50 * MINUTE


async def seed_moderation(
    db: AsyncSession, org: Organisation, users: Mapping[Role, User], now: datetime
) -> bool:
    """Load the demo moderation once; False (and no change) when the organisation has reviews
    already or the demo consultations are missing. ``users`` are the four demo logins by role."""
    if await db.scalar(select(func.count()).select_from(Review).where(Review.organisation_id == org.id)):
        return False
    consultations = {
        c.slug: c
        for c in await db.scalars(
            select(Consultation).where(
                Consultation.organisation_id == org.id, Consultation.slug.in_((ARBEIT_SLUG, DIGITAL_SLUG))
            )
        )
    }
    people: dict[str, User] = {}
    for resident in RESIDENTS:
        user = await accounts.get_user_by_email(db, resident.email)
        if user is not None:
            people[resident.key] = user
    if len(consultations) < 2 or len(people) < len(RESIDENTS):
        return False
    arbeit, digital = consultations[ARBEIT_SLUG], consultations[DIGITAL_SLUG]
    moderator = users[Role.MODERATOR]

    # create_user stamps an account with the moment it is created; the demo's accounts wrote
    # contributions months ago, and must not count as new accounts for the automatic checks.
    for user in [*users.values(), *people.values()]:
        if user.created_at > now - ACCOUNT_AGE:
            user.created_at = now - ACCOUNT_AGE
    arbeit.moderation_mode = ModerationMode.PRE
    await db.flush()

    # Pre-moderation: comments and a proposal waiting for approval.
    proposals = {
        p.title: p for p in await db.scalars(select(Proposal).where(Proposal.consultation_id == arbeit.id))
    }
    for spec in HELD_COMMENTS:
        comment = await _comment(
            db,
            org=org,
            consultation=arbeit,
            proposal=proposals[spec.proposal_title],
            parent=None,
            author=people[spec.author],
            body=spec.body,
            at=now - spec.ago,
        )
        if spec.note:
            review = await review_of(db, comment)
            if review is not None:
                await save_note(db, review=review, note=spec.note)
    await _proposal(
        db, org=org, consultation=arbeit, spec=HELD_PROPOSAL, author=people[HELD_PROPOSAL.author], now=now
    )

    # Post-moderation: a flagged comment, an automatically held one, a hidden one.
    flagged = await _comment(
        db,
        org=org,
        consultation=digital,
        proposal=None,
        parent=None,
        author=people["kalle"],
        body=FLAGGED_BODY,
        at=now - FLAGGED_AGO,
    )
    await _flags(db, org, flagged, FLAGS_ON_FLAGGED, people, now)

    insulted = (
        await db.scalars(
            select(Comment).where(
                Comment.consultation_id == digital.id,
                Comment.author_id == people["jonas"].id,
                Comment.body.startswith(INSULTED_COMMENT_START),
            )
        )
    ).first()
    insult = await _comment(
        db,
        org=org,
        consultation=digital,
        proposal=None,
        parent=insulted,
        author=people["kalle"],
        body=INSULT_BODY,
        at=now - INSULT_AGO,
    )
    await _flags(db, org, insult, FLAGS_ON_INSULT, people, now)
    review = await review_of(db, insult)
    assert review is not None, "three flags put the insult in the queue"
    await decide(
        db,
        review=review,
        decision=Decision.HIDE,
        moderator=demo_actor(moderator, Role.MODERATOR),
        rule=HIDE_RULE,
        reason_text=HIDE_REASON,
        now=now,
    )

    await _comment(
        db,
        org=org,
        consultation=digital,
        proposal=None,
        parent=None,
        author=people["ochtmissen"],
        body=LINKS_BODY,
        at=now - LINKS_AGO,
    )
    await db.commit()
    return True


async def _screened(
    db: AsyncSession,
    *,
    org: Organisation,
    consultation: Consultation,
    author: User,
    text: str,
    at: datetime,
    make: Callable[[Visibility], _Row],
) -> _Row:
    """A resident's contribution as posted at ``at``: screened by the automatic checks and the
    consultation's mode (``make`` builds the row with the visibility that follows), and queued
    for review when held, like the feature's own action with the demo's time."""
    screening = await screen(
        db,
        actor=demo_actor(author, Role.RESIDENT),
        account_created_at=author.created_at,
        org_id=org.id,
        consultation=consultation,
        text=text,
        now=at,
    )
    row = make(screening.visibility)
    row.created_at = row.updated_at = at
    db.add(row)
    await db.flush()
    if screening.held and screening.trigger is not None:
        await open_review(
            db, org_id=org.id, target=row, trigger=screening.trigger, reasons=screening.reasons, now=at
        )
    return row


async def _comment(
    db: AsyncSession,
    *,
    org: Organisation,
    consultation: Consultation,
    proposal: Proposal | None,
    parent: Comment | None,
    author: User,
    body: str,
    at: datetime,
) -> Comment:
    """A resident's comment, screened and queued like comments.actions.post_comment."""
    return await _screened(
        db,
        org=org,
        consultation=consultation,
        author=author,
        text=body,
        at=at,
        make=lambda visibility: Comment(
            consultation_id=consultation.id,
            proposal_id=proposal.id if proposal else None,
            parent_id=parent.id if parent else None,
            depth=parent.depth + 1 if parent else 1,
            author_id=author.id,
            body=body,
            visibility=visibility,
        ),
    )


async def _proposal(
    db: AsyncSession,
    *,
    org: Organisation,
    consultation: Consultation,
    spec: HeldProposal,
    author: User,
    now: datetime,
) -> Proposal:
    """The resident's proposal, screened and queued like proposals.actions.submit_proposal."""
    at = now - spec.ago
    topic = (
        await db.scalars(select(Topic).where(Topic.organisation_id == org.id, Topic.slug == spec.topic))
    ).first()
    return await _screened(
        db,
        org=org,
        consultation=consultation,
        author=author,
        text=f"{spec.title}\n{spec.body}\n{spec.place}",  # as the proposal form screens it
        at=at,
        make=lambda visibility: Proposal(
            consultation_id=consultation.id,
            author_id=author.id,
            title=spec.title,
            body=spec.body,
            topic_id=topic.id if topic else None,
            place=spec.place,
            visibility=visibility,
        ),
    )


async def _flags(
    db: AsyncSession,
    org: Organisation,
    comment: Comment,
    flags: tuple[tuple[str, FlagReason, str, timedelta], ...],
    people: Mapping[str, User],
    now: datetime,
) -> None:
    """Residents' reports through the real action (threshold included); each flag then gets the
    demo's time. The seed commits at its end (``flag_target`` does not)."""
    for key, reason, text, ago in flags:
        at = now - ago
        user = people[key]
        await flag_target(
            db, org_id=org.id, target=comment, user_id=user.id, reason=reason, text=text, now=at
        )
        await db.execute(
            update(Flag)
            .where(Flag.comment_id == comment.id, Flag.user_id == user.id)
            .values(created_at=at, updated_at=at)
        )
