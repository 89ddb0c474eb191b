"""The hard limit on posting: beyond it a new contribution is refused (429), not held.

The automatic checks (checks.py) hold a resident's eleventh post in ten minutes for review; that
keeps a burst out of public view but still writes every post and fills the moderation queue. This
limit stops a flood before anything is written: per account (or meeting guest) and per client
address, in ten minutes and in 24 hours (``BETEILIGUNG_POSTS_PER_ACCOUNT_10MIN`` … ``_ADDRESS_DAY``,
docs/configuration.md). Counters are the shared :class:`~beteiligung.infra.RateLimiter`'s (Redis
when configured, keys are keyed hashes with a TTL). Moderators, staff and admins are not limited;
they publish at once and speak for the town.

A refused post is not counted; the counters are read first (``peek``) so that someone already over
the limit cannot use up the allowance of the others behind the same address.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from beteiligung.i18n import ngettext
from beteiligung.infra import Limit, RateLimiter
from beteiligung.moderation.actions import TRUSTED_ROLES
from beteiligung.settings import Settings

Req = Request[Any, Any, Any]
TEN_MINUTES = 10 * 60
DAY = 24 * 60 * 60


def posting_limits(settings: Settings) -> tuple[tuple[Limit, ...], tuple[Limit, ...]]:
    """(per author, per address) limits from the settings."""
    per_author = (
        Limit("post-author-10m", settings.posts_per_account_10min, TEN_MINUTES),
        Limit("post-author-day", settings.posts_per_account_day, DAY),
    )
    per_address = (
        Limit("post-address-10m", settings.posts_per_address_10min, TEN_MINUTES),
        Limit("post-address-day", settings.posts_per_address_day, DAY),
    )
    return per_author, per_address


def client_address(request: Req) -> str:
    return request.client.host if request.client else "unknown"


async def posting_refused(request: Req, author_key: str) -> int | None:
    """Count one new contribution of ``author_key`` (``u:<user id>`` or a guest's voter key) from
    the request's address; the seconds to wait when it is over a limit (nothing counted then),
    None when it may go on."""
    if request.state.actor.roles & TRUSTED_ROLES:
        return None
    limiter: RateLimiter = request.app.state["limiter"]
    per_author, per_address = posting_limits(request.app.state["settings"])
    address = client_address(request)
    checks = [(limit, author_key) for limit in per_author] + [(limit, address) for limit in per_address]
    for limit, subject in checks:
        seen = await limiter.peek(limit, subject)
        if not seen.allowed:
            return seen.retry_after
    refused: int | None = None
    for limit, subject in checks:
        counted = await limiter.hit(limit, subject)
        if not counted.allowed:  # another request took the last place meanwhile
            refused = max(refused or 0, counted.retry_after)
    return refused


def too_many_posts(retry_after: int) -> str:
    """The message above the form, in the visitor's language; the text stays in the form."""
    minutes = max(1, (retry_after + 59) // 60)
    if minutes <= 90:
        return ngettext(
            "Sie haben in kurzer Zeit sehr viele Beiträge gesendet. Bitte warten Sie %(num)s Minute, "
            "bevor Sie den nächsten senden. Ihr Text bleibt hier im Formular erhalten.",
            "Sie haben in kurzer Zeit sehr viele Beiträge gesendet. Bitte warten Sie %(num)s Minuten, "
            "bevor Sie den nächsten senden. Ihr Text bleibt hier im Formular erhalten.",
            minutes,
        )
    hours = (minutes + 59) // 60
    return ngettext(
        "Sie haben heute sehr viele Beiträge gesendet. Bitte versuchen Sie es in %(num)s Stunde "
        "wieder. Ihr Text bleibt hier im Formular erhalten.",
        "Sie haben heute sehr viele Beiträge gesendet. Bitte versuchen Sie es in %(num)s Stunden "
        "wieder. Ihr Text bleibt hier im Formular erhalten.",
        hours,
    )


def retry_header(retry_after: int) -> dict[str, str]:
    return {"Retry-After": str(max(1, retry_after))}
