"""In-app notifications ("Mitteilungen" in the account). A notification stores a kind and its
parameters, not finished text, so it reads in the user's language at the time they open it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from beteiligung.accounts.models import UserId
from beteiligung.db import Base, TimestampOrNone


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user", "user_id", "created_at"),)

    user_id: Mapped[UserId]
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[TimestampOrNone]
