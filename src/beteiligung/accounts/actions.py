"""Account use cases (writes). Routes parse and authorise, then call exactly one of these.

Actions never commit: the route commits once after the action (issue 12). The one exception is
:func:`_commit_then_mail`: a mail that carries a token link or reports a change leaves only
after the rows it speaks of are committed, so a rollback sends nothing. Messages that could
reveal whether an e-mail is registered are identical either way (SEC-03): the actions return
the same outcome and the routes show the same page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung import registry
from beteiligung.accounts.models import Consent, EmailToken, Membership, Role, TokenPurpose, User
from beteiligung.accounts.passwords import hash_password, needs_rehash, verify_password
from beteiligung.accounts.privacy import erase_feature_data
from beteiligung.accounts.tokens import consume_token, issue_token
from beteiligung.i18n import gettext as _
from beteiligung.mail.models import OutboxMail
from beteiligung.mail.service import Mailer
from beteiligung.web.errors import Refused

# The registry's ``extras`` key under which the organisations feature offers
# ``text_version(db, org_id, key) -> int``: the current version of one of an organisation's texts
# (0 while it has none), which a consent cites. Accounts sit below organisations, so they ask.
TEXT_VERSION = "accounts.text_version"
TextVersion = Callable[[AsyncSession, int, str], Awaitable[int]]


class OrgRef(Protocol):
    """What the account use cases need of an organisation (``organisations.models.Organisation``
    or the request's ``web.context.OrgView``)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


class AccountError(Refused):
    """A use case cannot proceed; ``message`` is shown to the user, ``field`` names the input."""


async def _commit_then_mail(
    db: AsyncSession, mailer: Mailer, *, to: str, subject: str, body: str, user_id: int | None = None
) -> None:
    """The documented exception to "actions never commit" (issue 12): commit, then send. With
    SMTP a mail leaves at once and cannot be called back; sent before the commit, a later
    rollback would leave a link to a token that does not exist, or report a change that did not
    happen. (In outbox mode ``Mailer.send`` commits its row itself.)"""
    await db.commit()
    await mailer.send(db, to=to, user_id=user_id, subject=subject, body=body)


async def _mail_link(
    db: AsyncSession,
    mailer: Mailer,
    purpose: TokenPurpose,
    now: datetime,
    *,
    user_id: int,
    to: str,
    subject: str,
    body: Callable[[str], str],
    new_email: str | None = None,
) -> None:
    """Issue a token of ``purpose`` and mail ``body(token)``, the link, once it is committed."""
    token = await issue_token(db, user_id, purpose, now, new_email=new_email)
    await _commit_then_mail(db, mailer, to=to, user_id=user_id, subject=subject, body=body(token))


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def get_user_by_email(db: AsyncSession, email: str) -> User | None:
    return (await db.scalars(select(User).where(User.email == normalise_email(email)))).first()


# --------------------------------------------------------------------------------------------
# Registration and verification
# --------------------------------------------------------------------------------------------
async def register_user(
    db: AsyncSession,
    mailer: Mailer,
    *,
    org: OrgRef,
    display_name: str,
    email: str,
    password: str,
    locale: str,
    base_url: str,
    now: datetime,
) -> None:
    """Create an unverified account and mail the link; for a taken address, mail a hint instead."""
    email = normalise_email(email)
    existing = await get_user_by_email(db, email)
    if existing is not None:
        await mailer.send(
            db,
            to=email,
            user_id=existing.id,
            subject=_("Registrierung bei %(org)s", org=org.name),
            body=_(
                "Hallo,\n\njemand hat versucht, mit dieser E-Mail-Adresse ein neues Konto bei %(org)s "
                "anzulegen. Sie haben dort bereits ein Konto.\n\nAnmelden: %(url)s/anmelden\n"
                "Passwort vergessen? %(url)s/passwort-vergessen\n\n"
                "Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren.",
                org=org.name,
                url=base_url,
            ),
        )
        return
    user = User(
        email=email,
        display_name=display_name,
        password_hash=await hash_password(password),
        locale=locale,
    )
    db.add(user)
    await db.flush()
    db.add(Membership(user_id=user.id, organisation_id=org.id, role=Role.RESIDENT))
    text_version: TextVersion = registry.current().extras(TEXT_VERSION)[0]
    db.add(
        Consent(
            user_id=user.id,
            organisation_id=org.id,
            purpose="nutzungsbedingungen",
            text_version=await text_version(db, org.id, "nutzungsbedingungen"),
            given_at=now,
        )
    )
    await _mail_link(
        db,
        mailer,
        TokenPurpose.VERIFY_EMAIL,
        now,
        user_id=user.id,
        to=email,
        subject=_("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
        body=lambda token: _(
            "Hallo %(name)s,\n\nvielen Dank für Ihre Registrierung bei %(org)s.\n"
            "Bitte bestätigen Sie Ihre E-Mail-Adresse über diesen Link (24 Stunden gültig):\n\n"
            "%(url)s/email-bestaetigen?token=%(token)s\n\n"
            "Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail; "
            "das Konto wird dann nach 7 Tagen gelöscht.",
            name=display_name,
            org=org.name,
            url=base_url,
            token=token,
        ),
    )


async def resend_verification(
    db: AsyncSession, mailer: Mailer, *, user: User, org: OrgRef, base_url: str, now: datetime
) -> None:
    if user.email_verified_at is not None:
        return
    await _mail_link(
        db,
        mailer,
        TokenPurpose.VERIFY_EMAIL,
        now,
        user_id=user.id,
        to=user.email,
        subject=_("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
        body=lambda token: _(
            "Hallo %(name)s,\n\nbitte bestätigen Sie Ihre E-Mail-Adresse bei %(org)s über diesen Link "
            "(24 Stunden gültig):\n\n%(url)s/email-bestaetigen?token=%(token)s",
            name=user.display_name,
            org=org.name,
            url=base_url,
            token=token,
        ),
    )


@dataclass(frozen=True)
class EmailConfirmation:
    user_id: int
    changed_email: bool


async def confirm_email(db: AsyncSession, mailer: Mailer, *, token: str, now: datetime) -> EmailConfirmation:
    """Use a verification or change-of-address token."""
    row = await consume_token(db, token, TokenPurpose.VERIFY_EMAIL, now)
    purpose = TokenPurpose.VERIFY_EMAIL
    if row is None:
        row = await consume_token(db, token, TokenPurpose.CHANGE_EMAIL, now)
        purpose = TokenPurpose.CHANGE_EMAIL
    if row is None:
        raise AccountError(
            _("Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie eine neue E-Mail an.")
        )
    user = await db.get(User, row.user_id)
    if user is None:
        raise AccountError(
            _("Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie eine neue E-Mail an.")
        )
    if purpose is TokenPurpose.CHANGE_EMAIL and row.new_email:
        if await get_user_by_email(db, row.new_email) is not None:
            # Nothing is kept: the route rolls back on a refusal, so the link stays unused.
            raise AccountError(_("Diese E-Mail-Adresse gehört inzwischen zu einem anderen Konto."))
        old = user.email
        user.email = row.new_email
        user.email_verified_at = now
        await _commit_then_mail(
            db,
            mailer,
            to=old,
            subject=_("Ihre E-Mail-Adresse wurde geändert"),
            body=_(
                "Hallo %(name)s,\n\ndie E-Mail-Adresse Ihres Kontos wurde soeben geändert. "
                "Wenn Sie das nicht waren, wenden Sie sich bitte sofort an die Stadt.",
                name=user.display_name,
            ),
        )
        return EmailConfirmation(user.id, True)
    user.email_verified_at = user.email_verified_at or now
    return EmailConfirmation(user.id, False)


# --------------------------------------------------------------------------------------------
# Login and passwords
# --------------------------------------------------------------------------------------------
async def authenticate(db: AsyncSession, *, email: str, password: str, now: datetime) -> User | None:
    """The user when e-mail and password match, else None (same cost either way)."""
    user = await get_user_by_email(db, email)
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if needs_rehash(user.password_hash):  # parameters were raised since this hash was made
        user.password_hash = await hash_password(password)
    user.last_login_at = now
    return user


async def request_password_reset(
    db: AsyncSession, mailer: Mailer, *, email: str, org: OrgRef, base_url: str, now: datetime
) -> None:
    user = await get_user_by_email(db, email)
    if user is None:
        return
    await _mail_link(
        db,
        mailer,
        TokenPurpose.RESET_PASSWORD,
        now,
        user_id=user.id,
        to=user.email,
        subject=_("Passwort zurücksetzen"),
        body=lambda token: _(
            "Hallo %(name)s,\n\nüber diesen Link können Sie ein neues Passwort für %(org)s festlegen "
            "(1 Stunde gültig, nur einmal verwendbar):\n\n%(url)s/passwort-neu?token=%(token)s\n\n"
            "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt gleich.",
            name=user.display_name,
            org=org.name,
            url=base_url,
            token=token,
        ),
    )


async def reset_password(
    db: AsyncSession, mailer: Mailer, *, token: str, password: str, now: datetime
) -> User:
    row = await consume_token(db, token, TokenPurpose.RESET_PASSWORD, now)
    user = await db.get(User, row.user_id) if row else None
    if user is None:  # the route rolls back on a refusal
        raise AccountError(
            _("Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie einen neuen an."), None
        )
    await _set_password(db, mailer, user, password, now)
    user.email_verified_at = user.email_verified_at or now  # the mailbox was just proven
    return user


async def change_password(
    db: AsyncSession, mailer: Mailer, *, user: User, current: str, new: str, now: datetime
) -> None:
    if not await verify_password(user.password_hash, current):
        raise AccountError(_("Das aktuelle Passwort ist nicht richtig."), "current_password")
    await _set_password(db, mailer, user, new, now)


async def _set_password(db: AsyncSession, mailer: Mailer, user: User, password: str, now: datetime) -> None:
    user.password_hash = await hash_password(password)
    user.auth_version += 1  # every other session of this account ends
    await db.flush()
    await db.execute(
        delete(EmailToken).where(
            EmailToken.user_id == user.id, EmailToken.purpose == TokenPurpose.RESET_PASSWORD
        )
    )
    await mailer.send(
        db,
        to=user.email,
        user_id=user.id,
        subject=_("Ihr Passwort wurde geändert"),
        body=_(
            "Hallo %(name)s,\n\ndas Passwort Ihres Kontos wurde soeben geändert; alle anderen Sitzungen "
            "wurden abgemeldet. Wenn Sie das nicht waren, setzen Sie Ihr Passwort bitte sofort über "
            "„Passwort vergessen“ zurück.",
            name=user.display_name,
        ),
    )


async def request_email_change(
    db: AsyncSession,
    mailer: Mailer,
    *,
    user: User,
    password: str,
    new_email: str,
    base_url: str,
    now: datetime,
) -> None:
    if not await verify_password(user.password_hash, password):
        raise AccountError(_("Das aktuelle Passwort ist nicht richtig."), "current_password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("Das ist bereits Ihre E-Mail-Adresse."), "new_email")
    if await get_user_by_email(db, new_email) is not None:
        # Same answer as success, so the form does not reveal other accounts.
        await mailer.send(
            db,
            to=new_email,
            subject=_("Änderung der E-Mail-Adresse"),
            body=_(
                "Hallo,\n\njemand wollte diese E-Mail-Adresse für ein Konto eintragen. Sie gehört "
                "bereits zu einem Konto; es wurde nichts geändert."
            ),
        )
        return
    await _mail_link(
        db,
        mailer,
        TokenPurpose.CHANGE_EMAIL,
        now,
        user_id=user.id,
        to=new_email,
        subject=_("Bitte bestätigen Sie Ihre neue E-Mail-Adresse"),
        body=lambda token: _(
            "Hallo %(name)s,\n\nbitte bestätigen Sie Ihre neue E-Mail-Adresse über diesen Link "
            "(1 Stunde gültig):\n\n%(url)s/email-bestaetigen?token=%(token)s",
            name=user.display_name,
            url=base_url,
            token=token,
        ),
        new_email=new_email,
    )


async def update_profile(db: AsyncSession, *, user: User, display_name: str, locale: str) -> None:
    user.display_name = display_name
    user.locale = locale


async def end_other_sessions(db: AsyncSession, *, user: User) -> int:
    """Bump the auth version; the caller re-stamps its own session with the new value."""
    user.auth_version += 1
    return user.auth_version


# --------------------------------------------------------------------------------------------
# Roles (admin) and users (CLI)
# --------------------------------------------------------------------------------------------
async def set_role(db: AsyncSession, *, user: User, org_id: int, role: Role) -> None:
    """A privilege change ends the user's sessions, so the next login gets a fresh session id."""
    membership = (
        await db.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == org_id)
        )
    ).first()
    if membership is None:
        db.add(Membership(user_id=user.id, organisation_id=org_id, role=role))
    elif membership.role != role:
        membership.role = role
    else:
        return
    user.auth_version += 1


async def create_user(
    db: AsyncSession,
    *,
    org: OrgRef,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    now: datetime,
    locale: str = "de",
) -> User:
    """Create a verified account directly (CLI, demo data); the caller commits."""
    email = normalise_email(email)
    if await get_user_by_email(db, email) is not None:
        raise AccountError(_("Diese E-Mail-Adresse ist bereits registriert."), "email")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=await hash_password(password),
        email_verified_at=now,
        locale=locale,
    )
    db.add(user)
    await db.flush()
    db.add(Membership(user_id=user.id, organisation_id=org.id, role=role))
    return user


async def delete_account(db: AsyncSession, *, user: User) -> None:
    """Erase the account (DS-09). Rows that only describe the person go by ``ON DELETE CASCADE``;
    public contributions keep their text with the author set to NULL ("Gelöschtes Konto")."""
    await db.execute(delete(OutboxMail).where(OutboxMail.to_address == user.email))
    # Each feature's part (accounts.privacy.PrivacyHooks): survey drafts go, sent responses stay
    # anonymised; meeting questions and votes stay, anonymised …
    await erase_feature_data(db, user)
    await db.delete(user)


async def count_users(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(User)) or 0)
