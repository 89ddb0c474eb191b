"""The outbox keeps every mail when no SMTP server is configured (embedded mode)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from beteiligung.db import Base


class OutboxMail(Base):
    __tablename__ = "outbox_mail"

    # Set when the mail concerns an account, so erasure removes it with the account.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True, default=None
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
