"""How each kind of notification reads, in the reader's language (rendered when shown)."""

from __future__ import annotations

from typing import Any

from beteiligung.i18n import gettext as _

# kind → German msgid with %(…)s parameters from Notification.params.
KINDS: dict[str, str] = {
    "moderation_approved": "Ihr Beitrag „%(excerpt)s“ wurde von der Moderation freigegeben.",
    "moderation_hidden": "Ihr Beitrag „%(excerpt)s“ wurde von der Moderation entfernt: %(reason)s",
    "moderation_edit": "Die Moderation bittet Sie, Ihren Beitrag „%(excerpt)s“ zu überarbeiten: %(reason)s",
    "moderation_held": "Ihr Beitrag „%(excerpt)s“ wartet auf Freigabe durch die Moderation.",
    "moderation_blocked": "Ihr Konto ist bis %(until)s für Beiträge gesperrt: %(reason)s",
}


def notification_text(kind: str, params: dict[str, Any]) -> str:
    from beteiligung.i18n import format_datetime
    from beteiligung.moderation.reasons import reason_text

    template = KINDS.get(kind)
    if template is None:
        return _("Neue Mitteilung")
    values = dict(params)
    if "rule" in values or "reason_text" in values:
        values["reason"] = reason_text(values.get("rule"), values.get("reason_text", ""))
    if "until" in values:
        from datetime import datetime

        values["until"] = format_datetime(datetime.fromisoformat(values["until"]))
    values.setdefault("reason", "")
    values.setdefault("excerpt", "")
    return _(template, **values)
