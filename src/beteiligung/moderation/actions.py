"""Writes of the moderation: screening new contributions, flags, decisions, blocks.

Every kind of contribution that passes the moderation (comments, proposals, the questions asked
in a meeting …) is a ``Target``: its feature implements ``moderation.targets.ModerationTarget``
and registers it; the moderation imports none of them. Every change queues its live events on the session; the commit
publishes them. A contribution that is not public publishes nothing on a public channel: its only
event goes to the organisation's moderation channel (``ReviewQueueChanged``). When it becomes
public (approved, flags dismissed) the public event follows then, and the thread, list or
meeting room updates live. Actions never commit: the route commits once after them (the
decisions' mail and claims follow the commit, see ``moderation.decisions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import Actor
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import ModerationMode, Visibility
from beteiligung.db import insert_ignoring_duplicates
from beteiligung.live.events import ReviewQueueChanged
from beteiligung.live.publish import queue_event
from beteiligung.mail.service import Mailer
from beteiligung.moderation.checks import (
    HISTORY,
    AuthorHistory,
    Limits,
    check_submission,
    parse_blocklist,
    rate_window,
    text_fingerprint,
)
from beteiligung.moderation.models import (
    Block,
    Flag,
    FlagReason,
    LogAction,
    ModerationLog,
    ModerationSettings,
    PostFingerprint,
    Review,
    ReviewStatus,
    Trigger,
)
from beteiligung.moderation.targets import all_targets, target_of, target_of_review
from beteiligung.notifications.actions import notify
from beteiligung.notifications.mail import mail_decision
from beteiligung.web.urls import url

# A contribution of a registered kind (moderation.targets.ModerationTarget.model).
Target = Any
TRUSTED_ROLES = frozenset({Role.MODERATOR, Role.STAFF, Role.ADMIN})


class Decision:
    APPROVE = "approve"
    HIDE = "hide"
    REQUEST_EDIT = "request_edit"
    DISMISS = "dismiss"
    ALL = (APPROVE, HIDE, REQUEST_EDIT, DISMISS)


@dataclass(frozen=True)
class Fingerprint:
    """What :func:`remember_post` stores of a screened new contribution (see PostFingerprint)."""

    author_key: str
    user_id: int | None
    text_hash: str


@dataclass(frozen=True)
class Screening:
    """The verdict on a new contribution: published, or held with a trigger and reasons. A
    screened new contribution carries its fingerprint, which the action that stores it passes to
    :func:`remember_post` (none for trusted roles and edits)."""

    visibility: Visibility
    trigger: Trigger | None = None
    reasons: tuple[str, ...] = ()
    fingerprint: Fingerprint | None = None

    @property
    def held(self) -> bool:
        return self.visibility != Visibility.PUBLISHED


PUBLISH = Screening(Visibility.PUBLISHED)


# -- settings and history ----------------------------------------------------------------------


async def get_settings(db: AsyncSession, org_id: int) -> ModerationSettings:
    """The organisation's settings (unsaved defaults when the admin never saved the form)."""
    found = (
        await db.scalars(select(ModerationSettings).where(ModerationSettings.organisation_id == org_id))
    ).first()
    if found is not None:
        return found
    return ModerationSettings(
        organisation_id=org_id,
        flag_threshold=3,
        max_links=2,
        new_account_hours=24,
        new_account_posts_per_hour=3,
        posts_per_ten_minutes=10,
        blocklist="",
    )


def limits_of(settings: ModerationSettings) -> Limits:
    return Limits(
        max_links=settings.max_links,
        blocklist=parse_blocklist(settings.blocklist),
        new_account_hours=settings.new_account_hours,
        new_account_posts_per_hour=settings.new_account_posts_per_hour,
        posts_per_ten_minutes=settings.posts_per_ten_minutes,
    )


def account_key(user_id: int) -> str:
    """An account's key in the fingerprints, the same as its voter key in meetings."""
    return f"u:{user_id}"


async def author_history(
    db: AsyncSession,
    author_key: str,
    account_created_at: datetime,
    text_hash: str,
    limits: Limits,
    now: datetime,
) -> AuthorHistory:
    """Two index lookups, whatever the author wrote before: whether the same text's fingerprint
    is there from the last 24 hours, and the times of the author's latest posts within the rate
    window (at most as many as the largest threshold: more cannot change a verdict)."""
    history = AuthorHistory(account_created_at=account_created_at)
    window, needed = rate_window(history, limits, now)
    times = (
        await db.scalars(
            select(PostFingerprint.created_at)
            .where(PostFingerprint.author_key == author_key, PostFingerprint.created_at > now - window)
            .order_by(PostFingerprint.created_at.desc())
            .limit(max(needed, 1))
        )
    ).all()
    same = False
    if text_hash:
        found = await db.scalar(
            select(PostFingerprint.id)
            .where(
                PostFingerprint.author_key == author_key,
                PostFingerprint.text_hash == text_hash,
                PostFingerprint.created_at > now - HISTORY,
            )
            .limit(1)
        )
        same = found is not None
    return AuthorHistory(
        account_created_at=account_created_at, recent_times=tuple(times), same_text_before=same
    )


# Expired fingerprints deleted per new post: more than one, so the table shrinks after a wave.
PRUNE_BATCH = 100


async def remember_post(db: AsyncSession, screening: Screening, now: datetime) -> None:
    """Store the fingerprint of a contribution just written (the caller commits), and delete a
    batch of fingerprints older than 24 hours. A constant number of statements per post."""
    fingerprint = screening.fingerprint
    if fingerprint is None:
        return
    expired = (
        select(PostFingerprint.id)
        .where(PostFingerprint.created_at < now - HISTORY)
        .order_by(PostFingerprint.created_at)
        .limit(PRUNE_BATCH)
    )
    if db.get_bind().dialect.name == "postgresql":
        expired = expired.with_for_update(skip_locked=True)  # concurrent posts never wait on each other
    await db.execute(
        delete(PostFingerprint)
        .where(PostFingerprint.id.in_(expired.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.add(
        PostFingerprint(
            author_key=fingerprint.author_key,
            user_id=fingerprint.user_id,
            text_hash=fingerprint.text_hash,
            created_at=now,
            updated_at=now,
        )
    )


# A guest has no account whose age could count: the new-account check never applies to them.
GUEST_ACCOUNT_CREATED = datetime(2000, 1, 1, tzinfo=UTC)


async def _checked(
    db: AsyncSession,
    *,
    settings: ModerationSettings,
    author_key: str,
    user_id: int | None,
    account_created_at: datetime,
    text: str,
    now: datetime,
    edit: bool = False,
) -> tuple[tuple[str, ...], Fingerprint | None]:
    """The automatic checks' reasons and, for a new post, its fingerprint."""
    limits = limits_of(settings)
    if edit:  # content checks only: no history needed
        return tuple(check_submission(text, AuthorHistory(account_created_at), limits, now, edit=True)), None
    text_hash = text_fingerprint(text)
    history = await author_history(db, author_key, account_created_at, text_hash, limits, now)
    reasons = tuple(check_submission(text, history, limits, now))
    return reasons, Fingerprint(author_key=author_key, user_id=user_id, text_hash=text_hash)


async def screen(
    db: AsyncSession,
    *,
    actor: Actor,
    account_created_at: datetime,
    org_id: int,
    consultation: Consultation,
    text: str,
    now: datetime,
    edit: bool = False,
) -> Screening:
    """Decide whether a new contribution goes out at once or waits for a moderator.

    Moderators and staff speak for the town and publish at once. Everyone else passes the
    automatic checks (their reasons are recorded), then the consultation's moderation mode.
    """
    if actor.roles & TRUSTED_ROLES or actor.user_id is None:
        return PUBLISH
    settings = await get_settings(db, org_id)
    reasons, fingerprint = await _checked(
        db,
        settings=settings,
        author_key=account_key(actor.user_id),
        user_id=actor.user_id,
        account_created_at=account_created_at,
        text=text,
        now=now,
        edit=edit,
    )
    if reasons:
        return Screening(Visibility.HELD, Trigger.AUTO, reasons, fingerprint)
    if edit:
        return PUBLISH  # the mode applies to new posts; an edit request is handled by the caller
    if consultation.moderation_mode == ModerationMode.PRE:
        return Screening(Visibility.HELD, Trigger.PRE, fingerprint=fingerprint)
    return Screening(Visibility.PUBLISHED, fingerprint=fingerprint)


async def screen_question(
    db: AsyncSession,
    *,
    actor: Actor,
    account_created_at: datetime | None,
    org_id: int,
    meeting_id: int,
    mode: ModerationMode,
    voter_key: str,
    text: str,
    now: datetime,
) -> Screening:
    """Decide whether a question asked in a meeting reaches the room at once.

    Moderators and staff publish at once. Residents pass the same automatic checks as in a
    consultation; guests (no account) the content checks and, by their voter key, the repeat and
    rate checks over their recent questions. Then the meeting's mode: pre-moderation holds every
    question (with the checks' reasons, if any, for the moderators), post-moderation holds only
    what a check caught.
    """
    if actor.roles & TRUSTED_ROLES:
        return PUBLISH
    settings = await get_settings(db, org_id)
    user_id: int | None = None
    author_key, created = voter_key, GUEST_ACCOUNT_CREATED
    if actor.user_id is not None and account_created_at is not None:
        user_id, author_key, created = actor.user_id, account_key(actor.user_id), account_created_at
    reasons, fingerprint = await _checked(
        db,
        settings=settings,
        author_key=author_key,
        user_id=user_id,
        account_created_at=created,
        text=text,
        now=now,
    )
    if mode == ModerationMode.PRE:
        return Screening(Visibility.HELD, Trigger.PRE, reasons, fingerprint)
    if reasons:
        return Screening(Visibility.HELD, Trigger.AUTO, reasons, fingerprint)
    return Screening(Visibility.PUBLISHED, fingerprint=fingerprint)


async def active_block_until(db: AsyncSession, org_id: int, user_id: int, now: datetime) -> datetime | None:
    """When the user's longest running block in the organisation ends (None: not blocked)."""
    until = await db.scalar(
        select(func.max(Block.until)).where(
            Block.organisation_id == org_id, Block.user_id == user_id, Block.until > now
        )
    )
    return until  # type: ignore[no-any-return]


# -- the queue ----------------------------------------------------------------------------------


def _target_ids(target: Target) -> dict[str, int | None]:
    """The review's foreign keys: the target's own column set, the other kinds' None."""
    kind = target_of(target)
    return {t.review_column: (target.id if t is kind else None) for t in all_targets().values()}


def target_kind(target: Target) -> str:
    """The name of the target's kind in the audit log."""
    return target_of(target).kind


async def review_of(db: AsyncSession, target: Target) -> Review | None:
    column = getattr(Review, target_of(target).review_column)
    return (await db.scalars(select(Review).where(column == target.id))).first()


async def open_review(
    db: AsyncSession,
    *,
    org_id: int,
    target: Target,
    trigger: Trigger,
    reasons: tuple[str, ...] = (),
    now: datetime,
) -> Review:
    """Put ``target`` in the queue (or back in it). One review per contribution: a concurrent
    second opening finds the first one's row. The caller commits."""
    await insert_ignoring_duplicates(
        db,
        Review.__table__,
        {
            "organisation_id": org_id,
            "consultation_id": target.consultation_id,
            "author_id": target.author_id,
            "status": ReviewStatus.OPEN.value,
            "trigger": trigger.value,
            "auto_reasons": ",".join(reasons),
            "opened_at": now,
            "rule": None,
            "reason_text": "",
            "note": "",
            **_target_ids(target),
        },
    )
    review = await review_of(db, target)
    assert review is not None
    await db.refresh(review)
    if review.status != ReviewStatus.OPEN:
        # Reopen: a decided item flagged again, or revised after an edit request.
        review.status = ReviewStatus.OPEN
        review.trigger = trigger
        review.auto_reasons = ",".join(reasons)
        review.opened_at = now
    await db.flush()
    queue_event(db, ReviewQueueChanged(organisation_id=org_id, review_id=review.id))
    return review


async def flag_target(
    db: AsyncSession,
    *,
    org_id: int,
    target: Target,
    user_id: int,
    reason: FlagReason,
    text: str,
    now: datetime,
) -> bool:
    """A resident's report; once per person and contribution (False: already flagged). At the
    organisation's threshold of open flags a public contribution is held pending review. The
    caller commits. Meeting questions are not flagged (the room's moderation sees them before or as they go out)."""
    kind = target_of(target)
    if kind.flag_column is None:
        return False
    inserted = await insert_ignoring_duplicates(
        db,
        Flag.__table__,
        {
            "user_id": user_id,
            "reason": reason.value,
            "text": text,
            "resolved_at": None,
            **{
                t.flag_column: (target.id if t is kind else None)
                for t in all_targets().values()
                if t.flag_column is not None
            },
        },
    )
    if not inserted:
        return False  # nothing written
    review = await review_of(db, target)
    if review is None or not review.is_open:
        await open_review(db, org_id=org_id, target=target, trigger=Trigger.FLAGS, now=now)
    else:
        queue_event(db, ReviewQueueChanged(organisation_id=org_id, review_id=review.id))
    settings = await get_settings(db, org_id)
    if (
        target.visibility == Visibility.PUBLISHED
        and await open_flag_count(db, target) >= settings.flag_threshold
    ):
        _set_visibility(db, target, Visibility.HELD)
    return True


async def open_flag_count(db: AsyncSession, target: Target) -> int:
    flag_column = target_of(target).flag_column
    if flag_column is None:
        return 0
    column = getattr(Flag, flag_column)
    return int(
        await db.scalar(select(func.count()).where(column == target.id, Flag.resolved_at.is_(None))) or 0
    )


def _set_visibility(db: AsyncSession, target: Target, visibility: Visibility) -> None:
    """Change visibility and tell the public pages when it crosses the public line."""
    was_public = target.visibility == Visibility.PUBLISHED
    target.visibility = visibility
    target_of(target).visibility_changed(db, target, was_public)


# -- decisions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    review_id: int
    decided: bool  # False: someone else decided it first


async def load_target(db: AsyncSession, review: Review) -> Target:
    kind = target_of_review(review)
    target = await db.get(kind.model, getattr(review, kind.review_column))
    assert target is not None
    return target


def excerpt(target: Target, length: int = 60) -> str:
    text = target_of(target).excerpt(target)
    return text if len(text) <= length else text[: length - 1] + "…"


async def target_link(db: AsyncSession, target: Target) -> str:
    """Where the contribution lives (for the author's notification and the queue)."""
    return await target_of(target).link(db, target)


async def decide(
    db: AsyncSession,
    *,
    review: Review,
    decision: str,
    moderator: Actor,
    rule: int | None,
    reason_text: str,
    now: datetime,
) -> Outcome:
    """Apply one decision and write its audit entry; the caller commits (bulk decisions commit
    once). Deciding is conditional on the review still being open, so of two moderators racing
    (a claim expired under one of them) exactly one decision counts. A meeting question cannot be
    sent back for revision (its asker cannot edit it): callers offer approve or hide for it."""
    if decision == Decision.REQUEST_EDIT and not target_of_review(review).editable:
        raise ValueError("a meeting question cannot be sent back for revision")
    status = {
        Decision.APPROVE: ReviewStatus.APPROVED,
        Decision.HIDE: ReviewStatus.HIDDEN,
        Decision.REQUEST_EDIT: ReviewStatus.EDIT_REQUESTED,
        Decision.DISMISS: ReviewStatus.DISMISSED,
    }[decision]
    result = await db.execute(
        update(Review)
        .where(Review.id == review.id, Review.status == ReviewStatus.OPEN)
        .values(
            status=status,
            decided_at=now,
            decided_by_id=moderator.user_id,
            rule=rule,
            reason_text=reason_text,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return Outcome(review.id, decided=False)
    target = await load_target(db, review)
    was_held_before_publication = review.trigger in (Trigger.PRE, Trigger.AUTO, Trigger.EDITED)
    if decision in (Decision.APPROVE, Decision.DISMISS):
        _set_visibility(db, target, Visibility.PUBLISHED)
    elif decision == Decision.HIDE:
        _set_visibility(db, target, Visibility.HIDDEN)
    else:
        _set_visibility(db, target, Visibility.HELD)
    flag_column = target_of(target).flag_column
    if flag_column is not None:
        await db.execute(
            update(Flag)
            .where(getattr(Flag, flag_column) == target.id, Flag.resolved_at.is_(None))
            .values(resolved_at=now)
            .execution_options(synchronize_session=False)
        )
    db.add(
        ModerationLog(
            organisation_id=review.organisation_id,
            consultation_id=review.consultation_id,
            review_id=review.id,
            moderator_id=moderator.user_id,
            moderator_name=moderator.display_name or "",
            action=LogAction(decision),
            target_kind=target_kind(target),
            target_id=target.id,
            rule=rule,
            reason_text=reason_text,
        )
    )
    if target.author_id is not None:
        kind = {
            Decision.APPROVE: "moderation_approved" if was_held_before_publication else "",
            Decision.HIDE: "moderation_hidden",
            Decision.REQUEST_EDIT: "moderation_edit",
            Decision.DISMISS: "",
        }[decision]
        if kind:
            params: dict[str, Any] = {"excerpt": excerpt(target), "rule": rule, "reason_text": reason_text}
            notify(db, user_id=target.author_id, kind=kind, params=params, link=await target_link(db, target))
    queue_event(db, ReviewQueueChanged(organisation_id=review.organisation_id, review_id=review.id))
    return Outcome(review.id, decided=True)


async def block_author(
    db: AsyncSession,
    *,
    org_id: int,
    user_id: int,
    days: int,
    rule: int | None,
    reason_text: str,
    moderator: Actor,
    review_id: int | None,
    now: datetime,
) -> datetime:
    """Bar the author from contributing in the organisation for ``days``; the caller commits."""
    until = now + timedelta(days=days)
    db.add(
        Block(
            organisation_id=org_id, user_id=user_id, until=until, rule=rule, created_by_id=moderator.user_id
        )
    )
    db.add(
        ModerationLog(
            organisation_id=org_id,
            review_id=review_id,
            moderator_id=moderator.user_id,
            moderator_name=moderator.display_name or "",
            action=LogAction.BLOCK,
            target_kind="user",
            target_id=user_id,
            rule=rule,
            reason_text=reason_text or f"{days} Tage",
        )
    )
    notify(
        db,
        user_id=user_id,
        kind="moderation_blocked",
        params={"until": until.isoformat(), "rule": rule, "reason_text": reason_text},
        link=url("text.netiquette"),
    )
    return until


@dataclass(frozen=True)
class MailSettings:
    """How decisions reach their authors by e-mail: the app's mailer and the site's absolute
    base URL (``Settings.resolved_base_url``)."""

    mailer: Mailer
    base_url: str


async def mail_author(
    db: AsyncSession,
    mail: MailSettings,
    *,
    review: Review,
    decision: str,
    rule: int | None,
    reason_text: str,
) -> None:
    """Hide and edit requests reach the author by e-mail too, as the Netiquette promises."""
    if decision not in (Decision.HIDE, Decision.REQUEST_EDIT) or review.author_id is None:
        return
    target = await load_target(db, review)
    await mail_decision(
        db,
        mail.mailer,
        user_id=review.author_id,
        kind="moderation_hidden" if decision == Decision.HIDE else "moderation_edit",
        params={"excerpt": excerpt(target), "rule": rule, "reason_text": reason_text},
        link=await target_link(db, target),
        base_url=mail.base_url,
    )


async def save_note(db: AsyncSession, *, review: Review, note: str) -> None:
    """The moderators' note on an item; the caller commits (which tells the other queues)."""
    review.note = note
    queue_event(db, ReviewQueueChanged(organisation_id=review.organisation_id, review_id=review.id))


async def revised_by_author(db: AsyncSession, *, org_id: int, target: Target, now: datetime) -> None:
    """The author revised a contribution the moderation asked them to edit: back in the queue.
    The caller commits."""
    review = await review_of(db, target)
    if review is not None and review.status == ReviewStatus.EDIT_REQUESTED:
        await open_review(db, org_id=org_id, target=target, trigger=Trigger.EDITED, now=now)
