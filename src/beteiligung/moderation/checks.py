"""Automatic checks on submit, entirely local (no third-party spam service, DS-13).

A check never drops a contribution: it holds it for review and names its reason, which the
moderators see in the queue and the author sees as "wartet auf Freigabe". Pure functions over
what the caller loaded (the organisation's settings and a bounded summary of the author's recent
posts: the times of the last few and whether the same text came before), with the clock as a
parameter, so they are tested as a table (tests/unit/test_moderation_checks.py).

The cost of a check is constant per post: the caller never re-reads the author's history, it
looks up fingerprints (:func:`text_fingerprint`, table ``post_fingerprint``) by index and reads at
most as many timestamps as the largest rate threshold (moderation/actions.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\]\([^)]+\)")

CHECK_NAMES: dict[str, str] = {
    "links": "Viele Links",
    "blocklist": "Begriff aus der Sperrliste",
    "repeat": "Gleicher Text wiederholt",
    "rate": "Viele Beiträge in kurzer Zeit",
    "new_account": "Neues Konto mit vielen Beiträgen",
}


@dataclass(frozen=True)
class Limits:
    """The organisation's settings (moderation.models.ModerationSettings), as plain values."""

    max_links: int = 2
    blocklist: tuple[str, ...] = ()
    new_account_hours: int = 24
    new_account_posts_per_hour: int = 3
    posts_per_ten_minutes: int = 10


# How long a post's fingerprint counts for the "repeat" check (and is kept at all).
HISTORY = timedelta(hours=24)


@dataclass(frozen=True)
class AuthorHistory:
    """What the checks need to know about the author, loaded by the caller in a fixed number of
    index lookups (never the author's posts themselves)."""

    account_created_at: datetime
    # When the author's latest posts were made, at most as many as the largest rate threshold
    # (a longer list cannot change a verdict) and none older than the longest rate window.
    recent_times: tuple[datetime, ...] = ()
    # The author posted the same normalised text (equal fingerprint) within HISTORY.
    same_text_before: bool = False


def is_new_account(author: AuthorHistory, limits: Limits, now: datetime) -> bool:
    return now - author.account_created_at < timedelta(hours=limits.new_account_hours)


def rate_window(author: AuthorHistory, limits: Limits, now: datetime) -> tuple[timedelta, int]:
    """How far back the rate checks look for this author and how many timestamps they need at
    most: ten minutes, or an hour for a new account; the largest threshold that applies."""
    if is_new_account(author, limits, now):
        return timedelta(hours=1), max(limits.posts_per_ten_minutes, limits.new_account_posts_per_hour)
    return timedelta(minutes=10), limits.posts_per_ten_minutes


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing removed: "Hallo,  WELT!" == "hallo welt"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def text_fingerprint(text: str) -> str:
    """SHA-256 of the normalised text ("" when nothing is left): equal for texts the "repeat"
    check treats as the same, and all that is stored of the text for that check."""
    same = normalise(text)
    return hashlib.sha256(same.encode()).hexdigest() if same else ""


def parse_blocklist(text: str) -> tuple[str, ...]:
    """One term per line; blank lines and lines starting with # are ignored."""
    terms = (normalise(line) for line in text.splitlines() if not line.strip().startswith("#"))
    return tuple(sorted({t for t in terms if t}))


def count_links(text: str) -> int:
    return len(LINK.findall(text))


def blocked_terms(text: str, blocklist: tuple[str, ...]) -> list[str]:
    """The blocklist terms in ``text``, matched as whole words (``arsch`` does not match
    ``Marschweg``), case and accents ignored."""
    padded = f" {normalise(text)} "
    return [term for term in blocklist if f" {term} " in padded]


def check_submission(
    text: str, author: AuthorHistory, limits: Limits, now: datetime, *, edit: bool = False
) -> list[str]:
    """The codes of every check the text fails (see CHECK_NAMES); empty when it may go out.
    An ``edit`` of an existing post is checked for its content only (links, blocklist)."""
    reasons: list[str] = []
    if count_links(text) > limits.max_links:
        reasons.append("links")
    if blocked_terms(text, limits.blocklist):
        reasons.append("blocklist")
    if edit:
        return reasons
    if author.same_text_before and normalise(text):
        reasons.append("repeat")
    last_ten_minutes = sum(1 for when in author.recent_times if when > now - timedelta(minutes=10))
    if last_ten_minutes >= limits.posts_per_ten_minutes:
        reasons.append("rate")
    if is_new_account(author, limits, now):
        last_hour = sum(1 for when in author.recent_times if when > now - timedelta(hours=1))
        if last_hour >= limits.new_account_posts_per_hour:
            reasons.append("new_account")
    return reasons
