"""Consultation use cases for staff (writes): create, edit, publish, close, reopen; phases; topics.

Routes parse and authorise, then call one of these and commit (an action never commits: the
route owns the unit of work, issue 12). A refusal raises :class:`~beteiligung.web.errors.Refused`
with the message for the page, already translated, and the form field it belongs to, if any.

Rules in the town's terms (docs/participation.md, "Verwaltung"):

* A consultation starts as a draft that only staff see. Publishing needs at least one phase.
* Phases run from their start (inclusive) to their end (exclusive), must end after they start
  and must not overlap; one phase may start exactly when the previous one ends.
* A consultation's address (slug) comes from its title when it is created and then stays, so
  links that were shared keep working when the title is corrected.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.consultations import queries
from beteiligung.consultations.models import Consultation, ConsultationStatus, Phase, Topic
from beteiligung.consultations.phases import PHASE_NAMES, PhaseKind
from beteiligung.consultations.states import ModerationMode
from beteiligung.i18n import format_datetime
from beteiligung.i18n import gettext as _
from beteiligung.live.events import ConsultationChanged
from beteiligung.live.publish import queue_event
from beteiligung.web.errors import Refused

SLUG_MAX = 80  # the column holds 120: room for a "-2" suffix and more
TOPIC_MAX = 80  # Topic.name and Topic.slug are String(80)
MAX_TOPICS = 10
# Slugs that are path segments of the staff pages (/verwaltung/vorhaben/neu).
RESERVED_SLUGS = frozenset({"neu"})

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


# --------------------------------------------------------------------------------------------
# Slugs
# --------------------------------------------------------------------------------------------
def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """``"Straßenbahn für Lüneburg?"`` → ``"strassenbahn-fuer-lueneburg"``.

    German umlauts and ß are transliterated (ä → ae), other accents dropped (é → e), everything
    else that is not a letter or digit becomes one hyphen. Long slugs are cut at a word boundary.
    """
    text = unicodedata.normalize("NFC", text).translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
    return slug.strip("-")


async def unique_slug(db: AsyncSession, org_id: int, title: str) -> str:
    """A slug for ``title`` not yet used in the organisation: ``radweg``, then ``radweg-2``, …"""
    base = slugify(title) or "vorhaben"
    taken = await queries.staff_slugs_taken(db, org_id, base)
    if base not in taken and base not in RESERVED_SLUGS:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --------------------------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------------------------
def parse_topics(text: str) -> list[str]:
    """``"Verkehr, Klima ,, verkehr"`` → ``["Verkehr", "Klima"]``: trimmed, one per slug, in order."""
    names: list[str] = []
    seen: set[str] = set()
    for part in text.split(","):
        name = " ".join(part.split())
        key = slugify(name, TOPIC_MAX)
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return names


async def _apply_topics(db: AsyncSession, consultation: Consultation, names: Iterable[str]) -> None:
    wanted: dict[str, str] = {}
    for name in names:
        name = " ".join(name.split())[:TOPIC_MAX]
        slug = slugify(name, TOPIC_MAX)
        if slug and slug not in wanted:
            wanted[slug] = name
    existing = await queries.staff_topics_by_slug(db, consultation.organisation_id, list(wanted))
    topics: list[Topic] = []
    for slug, name in wanted.items():
        topic = existing.get(slug)
        if topic is None:  # org-level topics are created on first use and then shared
            topic = Topic(organisation_id=consultation.organisation_id, slug=slug, name=name)
            db.add(topic)
        topics.append(topic)
    consultation.topics = sorted(topics, key=lambda t: t.name.casefold())


async def set_topics(db: AsyncSession, consultation: Consultation, names: Iterable[str]) -> None:
    """Replace the consultation's topics; topics new to the organisation are created."""
    await _apply_topics(db, consultation, names)
    queue_event(db, ConsultationChanged(consultation_id=consultation.id))


# --------------------------------------------------------------------------------------------
# Consultations
# --------------------------------------------------------------------------------------------
class ConsultationTexts(TypedDict):
    """What staff write about a consultation (the form's fields but topics and moderation)."""

    title: str
    summary: str
    body: str
    subject: str
    scope_of_decision: str
    contact_name: str
    contact_details: str


async def create_consultation(
    db: AsyncSession,
    *,
    org_id: int,
    topics: list[str],
    now: datetime,
    moderation_mode: ModerationMode = ModerationMode.POST,
    **texts: Unpack[ConsultationTexts],
) -> Consultation:
    """A new draft; its slug comes from the title (unique in the organisation)."""
    consultation = Consultation(
        organisation_id=org_id,
        slug=await unique_slug(db, org_id, texts["title"]),
        **texts,
        moderation_mode=moderation_mode,
        status=ConsultationStatus.DRAFT,
        created_at=now,
        updated_at=now,
        phases=[],
        topics=[],
    )
    db.add(consultation)
    await _apply_topics(db, consultation, topics)
    return consultation


async def update_consultation(
    db: AsyncSession,
    consultation: Consultation,
    *,
    topics: list[str],
    now: datetime,
    moderation_mode: ModerationMode | None = None,
    **texts: Unpack[ConsultationTexts],
) -> Consultation:
    """Change the texts and topics; the slug stays (shared links keep working)."""
    for name, value in texts.items():
        setattr(consultation, name, value)
    if moderation_mode is not None:
        consultation.moderation_mode = moderation_mode
    consultation.updated_at = now
    await _apply_topics(db, consultation, topics)
    queue_event(db, ConsultationChanged(consultation_id=consultation.id))
    return consultation


async def publish_consultation(db: AsyncSession, consultation: Consultation, now: datetime) -> None:
    """Make a draft public; from now on the phases decide what residents may do."""
    _require_status(
        consultation, ConsultationStatus.DRAFT, _("Dieses Beteiligungsverfahren ist bereits veröffentlicht.")
    )
    if not consultation.phases:
        raise Refused(
            _(
                "Das Beteiligungsverfahren kann noch nicht veröffentlicht werden: "
                "Bitte legen Sie zuerst mindestens eine Phase an."
            )
        )
    consultation.published_at = consultation.published_at or now
    _set_status(db, consultation, ConsultationStatus.PUBLISHED, now)


async def close_consultation(db: AsyncSession, consultation: Consultation, now: datetime) -> None:
    """End a published consultation early or for good: it stays public, read-only."""
    message = _("Nur laufende Beteiligungsverfahren können abgeschlossen werden.")
    _require_status(consultation, ConsultationStatus.PUBLISHED, message)
    _set_status(db, consultation, ConsultationStatus.CLOSED, now)


async def reopen_consultation(db: AsyncSession, consultation: Consultation, now: datetime) -> None:
    """Undo a close: the consultation runs again, its phases decide what is open."""
    message = _("Nur abgeschlossene Beteiligungsverfahren können wieder geöffnet werden.")
    _require_status(consultation, ConsultationStatus.CLOSED, message)
    _set_status(db, consultation, ConsultationStatus.PUBLISHED, now)


def _require_status(consultation: Consultation, status: ConsultationStatus, refusal: str) -> None:
    if consultation.status != status:
        raise Refused(refusal)


def _set_status(
    db: AsyncSession, consultation: Consultation, status: ConsultationStatus, now: datetime
) -> None:
    consultation.status = status
    consultation.updated_at = now
    queue_event(db, ConsultationChanged(consultation_id=consultation.id))


# --------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------
def phase_name(phase: Phase) -> str:
    """The phase's own title, else the name of its kind (translated)."""
    return phase.title or _(PHASE_NAMES[phase.kind])


def phase_time_errors(
    phases: Iterable[Phase],
    starts_at: datetime | None,
    ends_at: datetime | None,
    *,
    exclude_id: int | None = None,
) -> dict[str, str]:
    """Field → message for a phase from ``starts_at`` to ``ends_at`` among ``phases``.

    Shared by the form (shown beside the fields) and the actions (the second lock)."""
    errors: dict[str, str] = {}
    if starts_at is None or ends_at is None:
        return errors
    if ends_at <= starts_at:
        errors["ends_at"] = _("Das Ende muss nach dem Beginn liegen.")
        return errors
    for other in phases:
        if exclude_id is not None and other.id == exclude_id:
            continue
        if starts_at < other.ends_at and other.starts_at < ends_at:
            errors["starts_at"] = _(
                "Dieser Zeitraum überschneidet sich mit der Phase „%(phase)s“ (%(start)s bis %(end)s). "
                "Phasen dürfen sich nicht überschneiden; eine Phase kann beginnen, wenn die vorige endet.",
                phase=phase_name(other),
                start=format_datetime(other.starts_at),
                end=format_datetime(other.ends_at),
            )
            break
    return errors


def _check_times(
    consultation: Consultation, starts_at: datetime, ends_at: datetime, exclude_id: int | None
) -> None:
    errors = phase_time_errors(consultation.phases, starts_at, ends_at, exclude_id=exclude_id)
    if errors:
        field, message = next(iter(errors.items()))
        raise Refused(message, field)


def _require_own_phase(consultation: Consultation, phase: Phase) -> None:
    if phase.consultation_id != consultation.id:
        raise Refused(_("Diese Phase gehört zu einem anderen Beteiligungsverfahren."))


async def add_phase(
    db: AsyncSession,
    consultation: Consultation,
    *,
    kind: PhaseKind,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
) -> Phase:
    _check_times(consultation, starts_at, ends_at, None)
    phase = Phase(
        consultation_id=consultation.id,
        kind=PhaseKind(kind),
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    consultation.phases.append(phase)
    queue_event(db, ConsultationChanged(consultation_id=consultation.id))
    return phase


async def update_phase(
    db: AsyncSession,
    consultation: Consultation,
    phase: Phase,
    *,
    kind: PhaseKind,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
) -> Phase:
    _require_own_phase(consultation, phase)
    _check_times(consultation, starts_at, ends_at, phase.id)
    phase.kind = PhaseKind(kind)
    phase.title = title
    phase.description = description
    phase.starts_at = starts_at
    phase.ends_at = ends_at
    queue_event(db, ConsultationChanged(consultation_id=consultation.id))
    return phase


async def delete_phase(db: AsyncSession, consultation: Consultation, phase: Phase) -> None:
    """Remove a phase; a published consultation keeps at least one."""
    _require_own_phase(consultation, phase)
    if consultation.status != ConsultationStatus.DRAFT and len(consultation.phases) <= 1:
        raise Refused(
            _(
                "Die letzte Phase eines veröffentlichten Beteiligungsverfahrens kann nicht gelöscht werden. "
                "Ändern Sie sie stattdessen."
            )
        )
    if phase in consultation.phases:
        consultation.phases.remove(phase)  # delete-orphan cascade deletes the row
    else:
        await db.delete(phase)
    queue_event(db, ConsultationChanged(consultation_id=consultation.id))
