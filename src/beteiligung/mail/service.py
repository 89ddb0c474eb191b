"""Sending mail: SMTP when ``BETEILIGUNG_SMTP_URL`` is set, else the outbox table and the log.

The log line names the subject and a keyed hash of the recipient, never the address (DS-07).
A failed delivery is logged and reported as False; the user-facing flow never breaks on it.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.mail.models import OutboxMail
from beteiligung.settings import Settings

log = structlog.get_logger("beteiligung.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def uses_outbox(self) -> bool:
        return not self.settings.smtp_url

    async def send(
        self, db: AsyncSession, *, to: str, subject: str, body: str, user_id: int | None = None
    ) -> bool:
        recipient = hashlib.sha256((self.settings.secret_key + to).encode()).hexdigest()[:12]
        if self.uses_outbox:
            db.add(OutboxMail(user_id=user_id, to_address=to, subject=subject, body=body))
            await db.commit()
            log.info("mail.outbox", subject=subject, recipient=recipient)
            return True
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject.replace("\r", " ").replace("\n", " ")
        message.set_content(body)
        url = urlsplit(self.settings.smtp_url)
        try:
            await aiosmtplib.send(
                message,
                hostname=url.hostname or "localhost",
                port=url.port or (465 if url.scheme == "smtps" else 25),
                username=unquote(url.username) if url.username else None,
                password=unquote(url.password) if url.password else None,
                use_tls=url.scheme == "smtps",
                start_tls=None,  # STARTTLS when the server offers it
                timeout=10,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("mail.failed", subject=subject, recipient=recipient, error=type(exc).__name__)
            return False
        log.info("mail.sent", subject=subject, recipient=recipient)
        return True
