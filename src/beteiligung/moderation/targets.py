"""What the moderation needs of a kind of contribution (docs/architecture.md, "Features").

The moderation sits below the features whose contributions it reviews (comments, proposals, the
questions asked in a meeting): it imports none of them. Each such feature implements
:class:`ModerationTarget` in its own module and lists it in its manifest's
``moderation_targets``; the moderation asks ``registry.current().moderation_targets()``.

A :class:`~beteiligung.moderation.models.Review` keeps one nullable foreign key per kind (and a
:class:`~beteiligung.moderation.models.Flag` one per flaggable kind): the target names its columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import registry
from beteiligung.accounts.permissions import Actor


class ModerationTarget(Protocol):
    """One kind of contribution the moderation reviews. Its objects have ``id``, ``body``,
    ``author_id``, ``consultation_id`` and ``visibility``."""

    # The kind's name in the audit log (ModerationLog.target_kind) and the registry's key.
    kind: str
    # The queue's name of the kind (QueueItem.kind, used by the queue template).
    queue_kind: str
    # The ORM class of the contributions.
    model: type[Any]
    # The foreign key column on Review (and on Flag; None: the kind is never flagged).
    review_column: str
    flag_column: str | None
    # Whether the moderation may send it back to its author for revision.
    editable: bool

    def excerpt(self, obj: Any) -> str:
        """The text its author recognises it by (before shortening)."""
        ...

    async def link(self, db: AsyncSession, obj: Any) -> str:
        """Where the contribution lives (the author's notification, the queue)."""
        ...

    async def links(self, db: AsyncSession, ids: set[int]) -> dict[int, str]:
        """Links for many (the audit log's page), in a fixed number of queries; gone ones missing."""
        ...

    def visibility_changed(self, db: AsyncSession, obj: Any, was_public: bool) -> None:
        """``obj.visibility`` has just changed: queue the live events the public pages need."""
        ...

    def queue_filter(self) -> ColumnElement[bool] | None:
        """A condition on Review that drops items needing no decision any more (None: none)."""
        ...

    async def queue_context(self, db: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """For the queue: per contribution id, the QueueItem fields (``target`` and ``author``,
        and what the queue template shows of this kind, e.g. ``comment``, ``parent``). Missing:
        the contribution is gone."""
        ...

    async def flag_access(self, db: AsyncSession, actor: Actor, org_id: int, obj_id: int) -> tuple[Any, str]:
        """For the flag form: the contribution the actor may see (404/403 otherwise) and the URL
        back to it. Only flaggable kinds are asked."""
        ...


def all_targets() -> dict[str, ModerationTarget]:
    """The installed kinds by ``kind``."""
    return registry.current().moderation_targets()


def target_of(obj: Any) -> ModerationTarget:
    """The kind of a contribution object."""
    for target in all_targets().values():
        if type(obj) is target.model:
            return target
    raise LookupError(f"no moderation target for {type(obj).__name__}")


def target_of_review(review: Any) -> ModerationTarget:
    """The kind a review is about (the one of its foreign keys that is set)."""
    for target in all_targets().values():
        if getattr(review, target.review_column) is not None:
            return target
    raise LookupError(f"review {review.id} is about no installed kind")


def target_id(review: Any) -> int:
    return int(getattr(review, target_of_review(review).review_column))
