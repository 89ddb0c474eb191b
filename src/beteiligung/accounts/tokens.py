"""One-time e-mail tokens (SEC-04): 32 random bytes, stored as SHA-256, single use, short-lived."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import EmailToken, TokenPurpose

TOKEN_TTL = {
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=24),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.CHANGE_EMAIL: timedelta(hours=1),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    db: AsyncSession, user_id: int, purpose: TokenPurpose, now: datetime, new_email: str | None = None
) -> str:
    """Create a token; earlier unused tokens of the same purpose stop working."""
    await db.execute(
        update(EmailToken)
        .where(EmailToken.user_id == user_id, EmailToken.purpose == purpose, EmailToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.add(
        EmailToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=_digest(token),
            expires_at=now + TOKEN_TTL[purpose],
            new_email=new_email,
        )
    )
    return token


async def find_token(db: AsyncSession, token: str, purpose: TokenPurpose, now: datetime) -> EmailToken | None:
    """The valid (unused, unexpired) token, or None. Does not use it up."""
    if not token or len(token) > 100:
        return None
    row = (
        await db.scalars(
            select(EmailToken).where(EmailToken.token_hash == _digest(token), EmailToken.purpose == purpose)
        )
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


async def consume_token(
    db: AsyncSession, token: str, purpose: TokenPurpose, now: datetime
) -> EmailToken | None:
    """Use a token up, atomically: of two concurrent uses exactly one succeeds."""
    row = await find_token(db, token, purpose, now)
    if row is None:
        return None
    result = await db.execute(
        update(EmailToken).where(EmailToken.id == row.id, EmailToken.used_at.is_(None)).values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return row
