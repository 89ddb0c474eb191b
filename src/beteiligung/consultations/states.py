"""The moderation vocabulary shared by every contribution model (comments, proposals, meeting
questions …) and the moderation package: how a consultation is moderated and where a
contribution stands. It lives with consultations, the lowest content package, so that every
feature above may use it (docs/architecture.md, "Layers").
"""

from __future__ import annotations

import enum


class ModerationMode(enum.StrEnum):
    """Per consultation (docs/moderation.md)."""

    POST = "post"  # visible at once, reviewable afterwards (flags, automatic checks)
    PRE = "pre"  # held until a moderator approves it


MODE_NAMES: dict[ModerationMode, str] = {
    ModerationMode.POST: "Nachträgliche Moderation: Beiträge erscheinen sofort",
    ModerationMode.PRE: "Vorab-Moderation: Beiträge erscheinen nach Freigabe",
}


class Visibility(enum.StrEnum):
    """Where a contribution stands. Only ``PUBLISHED`` contributions reach any public surface:
    pages, fragments, live streams, search, counts and exports."""

    PUBLISHED = "published"
    HELD = "held"  # waiting: pre-moderation, an automatic check, flags, or an edit requested
    HIDDEN = "hidden"  # removed by a moderation decision; the public sees a placeholder with the reason
