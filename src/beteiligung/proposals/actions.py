"""Writes for proposals: submit, record from paper, support and withdraw a support, answer, and
the author's own changes (edit with the earlier text kept, withdraw the proposal).

Callers have authorised the actor through the ``access_*`` lookups and the rules in
:mod:`beteiligung.consultations.permissions`; these functions keep the data consistent
(one support per person, one proposal per submitted form) even under concurrent requests.
They never commit: the route commits once after the action (issue 12), and the live events
they queue go out after that commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import i18n
from beteiligung.accounts.models import User
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import Visibility
from beteiligung.db import insert_ignoring_duplicates, utcnow
from beteiligung.i18n import gettext as _
from beteiligung.live.events import (
    ProposalAnswered,
    ProposalChanged,
    ProposalRemoved,
    ProposalSubmitted,
    ProposalSupportChanged,
    ReviewQueueChanged,
)
from beteiligung.live.publish import queue_event
from beteiligung.mail.service import Mailer
from beteiligung.moderation.actions import (
    PUBLISH,
    Screening,
    open_review,
    review_of,
    revised_by_author,
)
from beteiligung.moderation.models import ReviewStatus, Trigger
from beteiligung.proposals.contributions import hold_or_announce, insert_once
from beteiligung.proposals.models import ANSWER_NAMES, AnswerState, Proposal, ProposalVersion, Source, Support


async def submit_proposal(
    db: AsyncSession,
    *,
    consultation: Consultation,
    author_id: int,
    title: str,
    body: str,
    topic_id: int | None,
    place: str,
    submission_key: str | None,
    org_id: int | None = None,
    screening: Screening = PUBLISH,
    now: datetime | None = None,
) -> Proposal:
    """A resident's proposal. The same form sent twice (double click, resend after a timeout)
    gives the proposal of the first send, also when both arrive at once
    (:func:`~beteiligung.proposals.contributions.insert_once`). A held proposal (``screening``)
    waits in the moderation queue and publishes nothing public until approved."""
    now = now or utcnow()
    consultation_id = consultation.id
    proposal, created = await insert_once(
        db,
        Proposal,
        author_id=author_id,
        submission_key=submission_key,
        consultation_id=consultation_id,
        title=title,
        body=body,
        topic_id=topic_id,
        place=place,
        visibility=screening.visibility,
    )
    if not created:
        return proposal
    await hold_or_announce(
        db,
        target=proposal,
        screening=screening,
        org_id=org_id,
        now=now,
        event=ProposalSubmitted(consultation_id=consultation_id, proposal_id=proposal.id),
    )
    return proposal


async def record_offline_proposal(
    db: AsyncSession,
    *,
    consultation: Consultation,
    recorded_by_id: int,
    source: Source,
    source_note: str,
    title: str,
    body: str,
    topic_id: int | None,
    place: str,
    submission_key: str | None,
) -> Proposal:
    """A contribution received on paper or at an event, entered by staff and marked as such.
    It has no author account: nobody can be told about it or erase it through the platform."""
    if submission_key:
        stmt = select(Proposal).where(
            Proposal.recorded_by_id == recorded_by_id, Proposal.submission_key == submission_key
        )
        existing = (await db.scalars(stmt)).first()
        if existing:
            return existing
    proposal = Proposal(
        consultation_id=consultation.id,
        author_id=None,
        recorded_by_id=recorded_by_id,
        source=source,
        source_note=source_note,
        title=title,
        body=body,
        topic_id=topic_id,
        place=place,
        submission_key=submission_key or None,
    )
    db.add(proposal)
    await db.flush()
    queue_event(db, ProposalSubmitted(consultation_id=consultation.id, proposal_id=proposal.id))
    return proposal


async def support_proposal(db: AsyncSession, *, proposal_id: int, consultation_id: int, user_id: int) -> bool:
    """Add the person's support; False when it was there already. The unique constraint makes
    a second, concurrent request a no-op; the trigger keeps ``support_count`` exact."""
    created = await insert_ignoring_duplicates(
        db, Support.__table__, {"proposal_id": proposal_id, "user_id": user_id}
    )
    if created:
        queue_event(db, ProposalSupportChanged(consultation_id=consultation_id, proposal_id=proposal_id))
    return created


async def withdraw_support(db: AsyncSession, *, proposal_id: int, consultation_id: int, user_id: int) -> bool:
    result = await db.execute(
        delete(Support).where(Support.proposal_id == proposal_id, Support.user_id == user_id)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        queue_event(db, ProposalSupportChanged(consultation_id=consultation_id, proposal_id=proposal_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def edit_proposal(
    db: AsyncSession,
    *,
    proposal: Proposal,
    title: str,
    body: str,
    topic_id: int | None,
    place: str,
    org_id: int,
    screening: Screening = PUBLISH,
    pre_moderated: bool = False,
    now: datetime,
) -> bool:
    """The author's change (the caller checked ``why_not_edit_proposal``). The replaced text is
    kept as a :class:`ProposalVersion`; supports stay. Returns whether anything changed.

    A public proposal whose new text fails a content check (``screening``: links, blocklist) or
    that belongs to a pre-moderated consultation (``pre_moderated``: nothing goes public unchecked)
    waits for the moderation again and leaves the public pages until approved. A proposal that
    was waiting already stays in the queue with its new text; one the moderation asked to revise
    goes back to the queue."""
    text_changed = (title, body, place) != (proposal.title, proposal.body, proposal.place)
    if not text_changed and topic_id == proposal.topic_id:
        return False
    was_public = proposal.is_public
    if text_changed:
        db.add(
            ProposalVersion(
                proposal_id=proposal.id,
                author_id=proposal.author_id,
                title=proposal.title,
                body=proposal.body,
                place=proposal.place,
                written_at=proposal.edited_at or proposal.created_at,
                public=was_public,
            )
        )
        proposal.title, proposal.body, proposal.place = title, body, place
        proposal.edited_at = now
    proposal.topic_id = topic_id
    review = await review_of(db, proposal)
    trigger, reasons = screening.trigger, screening.reasons
    if not screening.held and pre_moderated and text_changed:
        trigger, reasons = Trigger.PRE, ()
    if was_public and trigger is not None and text_changed:
        proposal.visibility = Visibility.HELD
        await open_review(db, org_id=org_id, target=proposal, trigger=trigger, reasons=reasons, now=now)
        queue_event(db, ProposalRemoved(consultation_id=proposal.consultation_id, proposal_id=proposal.id))
    elif was_public:
        queue_event(db, ProposalChanged(consultation_id=proposal.consultation_id, proposal_id=proposal.id))
        if review is not None and review.is_open:  # flagged: the moderators see the new text
            queue_event(db, ReviewQueueChanged(organisation_id=org_id, review_id=review.id))
    elif review is not None and review.status == ReviewStatus.EDIT_REQUESTED:
        if screening.held and screening.trigger is not None:
            await open_review(
                db, org_id=org_id, target=proposal, trigger=screening.trigger, reasons=reasons, now=now
            )
        else:
            await revised_by_author(db, org_id=org_id, target=proposal, now=now)
    elif review is not None and review.is_open:
        if screening.held:  # a check the new text fails is named for the moderators too
            codes = dict.fromkeys((*review.auto_codes, *screening.reasons))
            review.auto_reasons = ",".join(codes)
        queue_event(db, ReviewQueueChanged(organisation_id=org_id, review_id=review.id))
    return True


async def withdraw_proposal(db: AsyncSession, *, proposal: Proposal, org_id: int, now: datetime) -> None:
    """The author withdraws the proposal (the caller checked ``why_not_withdraw_proposal``). It
    is not deleted: a public one stays public, marked as withdrawn, with its supports frozen and
    its discussion kept. One that is not public (waiting for the moderation) stays so for good:
    nothing is left for the moderation to decide, so its open review leaves the queue (earlier
    decisions stay in the audit log)."""
    proposal.withdrawn_at = now
    if proposal.is_public:
        queue_event(db, ProposalChanged(consultation_id=proposal.consultation_id, proposal_id=proposal.id))
    else:
        review = await review_of(db, proposal)
        if review is not None and review.is_open:
            queue_event(db, ReviewQueueChanged(organisation_id=org_id, review_id=review.id))
            await db.delete(review)


async def answer_proposal(
    db: AsyncSession,
    *,
    proposal: Proposal,
    state: AnswerState,
    text: str,
    staff_id: int,
    now: datetime,
) -> bool:
    """The town's official answer (status and Stellungnahme), public on the proposal. Returns
    whether the status or the statement changed: then the route, after its commit, tells the
    author (:func:`tell_author_of_answer`)."""
    changed = proposal.answer_state != state or proposal.answer_text != text
    proposal.answer_state = state
    proposal.answer_text = text
    proposal.answered_at = now
    proposal.answered_by_id = staff_id
    queue_event(db, ProposalAnswered(consultation_id=proposal.consultation_id, proposal_id=proposal.id))
    return changed


async def tell_author_of_answer(
    db: AsyncSession, mailer: Mailer, *, proposal: Proposal, proposal_url: str, org_name: str
) -> None:
    """The author learns of the official answer by e-mail, in their language (called after the
    answer is committed, so that a mail never announces an answer that was not saved)."""
    if proposal.author_id is None:
        return
    state, text = proposal.answer_state, proposal.answer_text
    author = await db.get(User, proposal.author_id)
    if author is None or author.email_verified_at is None:
        return
    token = i18n.current_locale.set(i18n.normalise_locale(author.locale) or i18n.DEFAULT_LOCALE)
    try:
        await mailer.send(
            db,
            to=author.email,
            user_id=author.id,
            subject=_("Antwort auf Ihren Vorschlag „%(title)s“", title=proposal.title[:80]),
            body=_(
                "Hallo %(name)s,\n\ndie %(org)s hat auf Ihren Vorschlag „%(title)s“ geantwortet.\n\n"
                "Status: %(state)s\n\n%(text)s\n\nDen Vorschlag und die Antwort finden Sie hier:\n%(url)s\n\n"
                "Diese E-Mail erhalten Sie, weil Sie den Vorschlag eingereicht haben.",
                name=author.display_name,
                org=org_name,
                title=proposal.title,
                state=_(ANSWER_NAMES[state]),
                text=text,
                url=proposal_url,
            ),
        )
    finally:
        i18n.current_locale.reset(token)
