"""Accounts hold the minimum (DS-03): e-mail, password hash, display name, language.

Deleting a user deletes the rows below by cascade; public contributions of later features point
to ``user.id`` with ``ON DELETE SET NULL`` and render as "Gelöschtes Konto".
"""

from __future__ import annotations

import enum
from typing import Annotated

from sqlalchemy import Enum, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beteiligung.db import Base, Timestamp, TimestampOrNone

# A reference to an account, as a column type (``Mapped[UserId]``). ``UserId``: the row belongs to
# the person and goes with the account. ``UserIdOrNone``: the row is something the person did
# for others (a contribution, a decision); it stays, without the person, when the account goes.
UserId = Annotated[int, mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))]
UserIdOrNone = Annotated[
    int | None, mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
]


class Role(enum.StrEnum):
    RESIDENT = "resident"
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "user_account"

    # Stored lower-cased and stripped, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    email_verified_at: Mapped[TimestampOrNone]
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    # Bumped on password change, reset and "log out everywhere": sessions carrying an older value end.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[TimestampOrNone]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


def official_role(user: User | None, org_id: int) -> Role | None:
    """Whom a person speaks for in the organisation (the badge beside a contribution): STAFF for
    staff and admins (the town), MODERATOR for moderators, None for everyone else."""
    roles = {m.role for m in user.memberships if m.organisation_id == org_id} if user else set()
    if roles & {Role.STAFF, Role.ADMIN}:
        return Role.STAFF
    return Role.MODERATOR if Role.MODERATOR in roles else None


class Membership(Base):
    """A user's role in one organisation."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    user_id: Mapped[UserId] = mapped_column(index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )

    user: Mapped[User] = relationship(back_populates="memberships", lazy="noload")


class Consent(Base):
    """Proof that a user accepted (or agreed to) a text in a given version (DS-02)."""

    __tablename__ = "consent"

    user_id: Mapped[UserId] = mapped_column(index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. "nutzungsbedingungen", "datenschutz"
    text_version: Mapped[int] = mapped_column(Integer)
    given_at: Mapped[Timestamp]
    revoked_at: Mapped[TimestampOrNone]


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name
    CHANGE_EMAIL = "change_email"


class EmailToken(Base):
    """A one-time link sent by mail. Only the SHA-256 of the token is stored (SEC-04)."""

    __tablename__ = "email_token"

    user_id: Mapped[UserId] = mapped_column(index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(TokenPurpose, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[Timestamp]
    used_at: Mapped[TimestampOrNone]
    new_email: Mapped[str | None] = mapped_column(String(254), default=None)


class StoredSession(Base):
    """Server-side sessions, in the database: sign-ins survive a Redis outage and app restarts
    (the database is the truth; Redis carries live events and counters). The columns are those
    advanced-alchemy's ``SQLAlchemyStore`` expects; rows expire with the idle timeout and are
    swept by ``beteiligung.accounts.sessions.sweep_expired``."""

    __tablename__ = "web_session"
    __table_args__ = (UniqueConstraint("key", "namespace"),)

    key: Mapped[str] = mapped_column(String(255))
    namespace: Mapped[str] = mapped_column(String(255))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[TimestampOrNone] = mapped_column(index=True)
