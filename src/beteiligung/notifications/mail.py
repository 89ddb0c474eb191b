"""E-mail for moderation decisions that the author must learn about (hide, edit request, block),
as the Netiquette promises: "erhält die Entscheidung mit Begründung per E-Mail".

The text is the notification's own text (notifications.texts), in the author's language; only a
verified address gets mail. The in-app notification is written by the decision itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import i18n
from beteiligung.accounts.models import User
from beteiligung.i18n import gettext as _
from beteiligung.i18n import lazy
from beteiligung.mail.service import Mailer
from beteiligung.notifications.texts import notification_text
from beteiligung.web import urls

# kind → subject (German msgid)
SUBJECTS: dict[str, str] = {
    "moderation_hidden": lazy("Ihr Beitrag wurde von der Moderation entfernt"),
    "moderation_edit": lazy("Bitte überarbeiten Sie Ihren Beitrag"),
    "moderation_blocked": lazy("Ihr Konto ist vorübergehend für Beiträge gesperrt"),
}


def absolute_url(base_url: str, link: str) -> str:
    """``link`` on the site at ``base_url`` (``Settings.resolved_base_url``): a mail is read
    outside the site, so a relative link would lead nowhere."""
    if not link or link.startswith(("http://", "https://")):
        return link
    if not base_url.startswith(("http://", "https://")):
        raise ValueError("absolute_url needs an absolute base URL (Settings.resolved_base_url)")
    return base_url.rstrip("/") + "/" + link.lstrip("/")


async def mail_decision(
    db: AsyncSession,
    mailer: Mailer,
    *,
    user_id: int,
    kind: str,
    params: dict[str, Any],
    link: str,
    base_url: str,
) -> bool:
    """Send the decision to the author; False when nothing was sent (unknown kind, no such user,
    unverified address, or the mail server refused)."""
    if kind not in SUBJECTS:
        return False
    user = await db.get(User, user_id)
    if user is None or user.email_verified_at is None:
        return False
    token = i18n.current_locale.set(i18n.normalise_locale(user.locale) or i18n.DEFAULT_LOCALE)
    try:
        url = absolute_url(base_url, link)
        body = _(
            "Hallo %(name)s,\n\n%(text)s\n\n",
            name=user.display_name,
            text=notification_text(kind, params),
        )
        if url:
            body += _("Zum Beitrag:\n%(url)s\n\n", url=url)
        body += _(
            "Die Regeln für Beiträge finden Sie in unserer Netiquette:\n%(netiquette)s\n\n"
            "Wenn Sie die Entscheidung für falsch halten, wenden Sie sich bitte an die Stelle, "
            "die im Impressum genannt ist:\n%(contact)s\n\n"
            "Diese Mitteilung finden Sie auch in Ihrem Konto unter „Mitteilungen“:\n%(inbox)s",
            netiquette=absolute_url(base_url, urls.url("text.netiquette")),
            contact=absolute_url(base_url, urls.url("text.impressum")),
            inbox=absolute_url(base_url, urls.url("notifications")),
        )
        return await mailer.send(db, to=user.email, user_id=user.id, subject=_(SUBJECTS[kind]), body=body)
    finally:
        i18n.current_locale.reset(token)
