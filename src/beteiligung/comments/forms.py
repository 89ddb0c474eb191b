"""Forms for comments: a new comment or reply, and an edit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from beteiligung.web.forms import Field, Form

BODY = Field(
    "body",
    "Ihr Kommentar",
    kind="textarea",
    max_length=5000,
    min_length=2,
    rows=4,
    hint="Bitte beachten Sie die Netiquette. Ihr Kommentar erscheint mit Ihrem Anzeigenamen.",
)


class CommentForm(Form):
    id: ClassVar[str] = "comment-new"
    fields: ClassVar[tuple[Field, ...]] = (
        BODY,
        Field("parent", "Antwort auf", kind="hidden", required=False, max_length=20),
        Field("submission_key", "Formularkennung", kind="hidden", required=False, max_length=64),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
        parent_id: int | None = None,
    ) -> None:
        initial = dict(initial or {})
        initial.setdefault("submission_key", uuid.uuid4().hex)
        if parent_id:
            initial.setdefault("parent", str(parent_id))
        super().__init__(data, initial=initial)
        self.parent_id = parent_id
        if parent_id:
            self.id = f"reply-{parent_id}"  # type: ignore[misc]


class EditCommentForm(Form):
    id: ClassVar[str] = "comment-edit"
    fields: ClassVar[tuple[Field, ...]] = (BODY,)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
        comment_id: int = 0,
    ) -> None:
        super().__init__(data, initial=initial)
        self.id = f"edit-{comment_id}"  # type: ignore[misc]
