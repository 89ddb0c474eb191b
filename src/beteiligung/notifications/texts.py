"""How each kind of notification reads, in the reader's language (rendered when shown).

The feature that creates a kind of notification also says how it reads: its manifest's
``extras["notification_texts"]`` maps each of its kinds to a function ``(params) -> str`` (e.g.
moderation/notices.py). The notifications know no kind themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beteiligung import registry
from beteiligung.i18n import gettext as _

# The key of Feature.extras under which a feature registers its kinds' renderers.
EXTRAS_KEY = "notification_texts"


def renderers() -> dict[str, Callable[[dict[str, Any]], str]]:
    found: dict[str, Callable[[dict[str, Any]], str]] = {}
    for texts in registry.current().extras(EXTRAS_KEY):
        found.update(texts)
    return found


def notification_text(kind: str, params: dict[str, Any]) -> str:
    render = renderers().get(kind)
    if render is None:
        return _("Neue Mitteilung")
    return render(params)
