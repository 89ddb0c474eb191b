"""What a page with a comment thread needs: the thread, the viewer's rules and the forms.

The thread's markup lives once, in ``templates/comments/thread.html``: the consultation page and
the proposal page extend it, and htmx requests get its blocks (``comments``, ``comment_votes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.permissions import Actor
from beteiligung.comments.forms import CommentForm, EditCommentForm
from beteiligung.comments.permissions import CommentRules
from beteiligung.comments.queries import COMMENT_SORT_NAMES, CommentSort, Thread, load_thread
from beteiligung.consultations.models import Consultation
from beteiligung.db import utcnow
from beteiligung.moderation.explain import holds_new_posts
from beteiligung.web.urls import url

THREAD_TEMPLATE = "comments/thread.html"
THREAD_BLOCKS = frozenset({"comments", "comment_votes"})


@dataclass
class ThreadForms:
    """Forms to show bound (with the visitor's text and errors) instead of empty ones."""

    new: CommentForm | None = None
    replies: dict[int, CommentForm] = field(default_factory=dict)
    edits: dict[int, EditCommentForm] = field(default_factory=dict)


def target_url(consultation: Consultation, proposal_id: int | None, anchor: str | None = None) -> str:
    """The page that holds the thread: the proposal's, else the consultation's."""
    if proposal_id:
        return url("proposals.page", proposal_id=proposal_id, anchor=anchor)
    return url("consultations.page", slug=consultation.slug, anchor=anchor)


def parse_sort(value: str | None) -> CommentSort:
    try:
        return CommentSort(value or CommentSort.NEWEST)
    except ValueError:
        return CommentSort.NEWEST


async def thread_context(
    db: AsyncSession,
    *,
    org_id: int,
    actor: Actor,
    consultation: Consultation,
    proposal_id: int | None,
    sort: CommentSort,
    forms: ThreadForms | None = None,
    focus: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    thread: Thread = await load_thread(
        db,
        org_id=org_id,
        consultation_id=consultation.id,
        proposal_id=proposal_id,
        sort=sort,
        viewer_id=actor.user_id,
    )
    forms = forms or ThreadForms()
    thread_url = target_url(consultation, proposal_id)
    return {
        "thread": thread,
        "comment_rules": CommentRules(actor, consultation, now or utcnow()),
        "thread_url": thread_url,
        "comment_post_url": (
            url("comments.proposal.submit", proposal_id=proposal_id)
            if proposal_id
            else url("comments.consultation.submit", slug=consultation.slug)
        ),
        "comment_form": forms.new or CommentForm(),
        "reply_forms": forms.replies,
        "edit_forms": forms.edits,
        "new_reply_form": lambda parent_id: CommentForm(parent_id=parent_id),
        "new_edit_form": lambda c: EditCommentForm(initial={"body": c.body}, comment_id=c.id),
        "comment_sorts": COMMENT_SORT_NAMES,
        "held_first": holds_new_posts(actor, consultation),  # pre-moderation: the form says so
        "focus_comment": focus,
        "thread_live_key": (
            f"proposal-{proposal_id}-comments" if proposal_id else f"consultation-{consultation.id}-comments"
        ),
    }
