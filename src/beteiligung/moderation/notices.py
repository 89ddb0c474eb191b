"""How the moderation's notifications read, in the reader's language (rendered when shown).

The decisions (moderation.actions) write them with ``notifications.actions.notify``; this module
registers their texts with the notifications (moderation/feature.py, ``extras["notification_texts"]``,
read by ``notifications.texts.notification_text``)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from beteiligung.i18n import format_datetime
from beteiligung.i18n import gettext as _
from beteiligung.moderation.reasons import reason_text

# kind → German msgid with %(…)s parameters from Notification.params.
KINDS: dict[str, str] = {
    "moderation_approved": "Ihr Beitrag „%(excerpt)s“ wurde von der Moderation freigegeben.",
    "moderation_hidden": "Ihr Beitrag „%(excerpt)s“ wurde von der Moderation entfernt: %(reason)s",
    "moderation_edit": "Die Moderation bittet Sie, Ihren Beitrag „%(excerpt)s“ zu überarbeiten: %(reason)s",
    "moderation_held": "Ihr Beitrag „%(excerpt)s“ wartet auf Freigabe durch die Moderation.",
    "moderation_blocked": "Ihr Konto ist bis %(until)s für Beiträge gesperrt: %(reason)s",
}


def notice_text(kind: str, params: dict[str, Any]) -> str:
    values = dict(params)
    if "rule" in values or "reason_text" in values:
        values["reason"] = reason_text(values.get("rule"), values.get("reason_text", ""))
    if "until" in values:
        values["until"] = format_datetime(datetime.fromisoformat(values["until"]))
    values.setdefault("reason", "")
    values.setdefault("excerpt", "")
    return _(KINDS[kind], **values)


# kind -> its renderer (params -> text), for notifications.texts.
NOTIFICATION_TEXTS = {kind: partial(notice_text, kind) for kind in KINDS}
