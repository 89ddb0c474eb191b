"""Password rules (SEC-01) and Argon2id hashing (SEC-02).

argon2-cffi's defaults (argon2id, t=3, m=64 MiB, p=4; RFC 9106 low-memory profile) exceed the
OWASP minimum (m=19 MiB, t=2, p=1). Hashing blocks for ~150 ms, so callers run it in a thread
(``sync_to_thread``), never inline on the event loop.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from litestar.concurrency import sync_to_thread

MIN_LENGTH = 12
MAX_LENGTH = 128

hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both paths cost the same time (no enumeration).
_DUMMY_HASH = hasher.hash("dummy password for timing equality")


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(
        line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def password_problem(password: str, *, email: str = "", display_name: str = "") -> str | None:
    """Return a German msgid describing why ``password`` is refused, or None when it is fine.

    Length only, no composition rules (ASVS V2.1.9); plus a local list of common passwords
    (V2.1.7) and the user's own e-mail or name.
    """
    length = len(unicodedata.normalize("NFC", password))
    if length < MIN_LENGTH:
        return "Das Passwort muss mindestens 12 Zeichen lang sein."
    if length > MAX_LENGTH:
        return "Das Passwort darf höchstens 128 Zeichen lang sein."
    low = password.lower()
    if low in _common_passwords() or len(set(low)) <= 2:
        return "Dieses Passwort ist zu verbreitet und leicht zu erraten. Bitte wählen Sie ein anderes."
    if (email and low == email.lower()) or (display_name and low == display_name.lower()):
        return "Das Passwort darf nicht Ihre E-Mail-Adresse oder Ihr Anzeigename sein."
    return None


async def hash_password(password: str) -> str:
    return await sync_to_thread(hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check; with ``password_hash=None`` it verifies against a dummy and says no."""

    def _verify() -> bool:
        try:
            return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await sync_to_thread(_verify)


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
