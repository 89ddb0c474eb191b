"""The automatic checks as a table: pure functions over the settings and a bounded summary of the
author's recent posts (moderation/checks.py), the clock as a parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beteiligung.moderation.checks import (
    AuthorHistory,
    Limits,
    check_submission,
    rate_window,
    text_fingerprint,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=30)
NEW = NOW - timedelta(hours=2)
LIMITS = Limits(max_links=1, blocklist=("idioten",), posts_per_ten_minutes=3, new_account_posts_per_hour=2)


def _times(*minutes_ago: int) -> tuple[datetime, ...]:
    return tuple(NOW - timedelta(minutes=m) for m in minutes_ago)


@pytest.mark.parametrize(
    ("text", "history", "edit", "expected"),
    [
        ("Mehr Bänke am Sande", AuthorHistory(OLD), False, []),
        ("Siehe https://a.example und www.b.example", AuthorHistory(OLD), False, ["links"]),
        ("Das planen doch IDIOTEN!", AuthorHistory(OLD), False, ["blocklist"]),
        ("Mehr Bänke am Sande", AuthorHistory(OLD, same_text_before=True), False, ["repeat"]),
        ("?!", AuthorHistory(OLD, same_text_before=True), False, []),  # nothing left to repeat
        ("Mehr Bänke", AuthorHistory(OLD, recent_times=_times(1, 5, 9)), False, ["rate"]),
        ("Mehr Bänke", AuthorHistory(OLD, recent_times=_times(1, 5, 11)), False, []),
        ("Mehr Bänke", AuthorHistory(NEW, recent_times=_times(20, 50)), False, ["new_account"]),
        ("Mehr Bänke", AuthorHistory(NEW, recent_times=_times(20, 70)), False, []),
        # An edit is checked for its content only.
        ("Mehr Bänke", AuthorHistory(OLD, _times(1, 2, 3), same_text_before=True), True, []),
        ("Siehe https://a.example und https://b.example", AuthorHistory(OLD), True, ["links"]),
    ],
)
def test_checks(text: str, history: AuthorHistory, edit: bool, expected: list[str]) -> None:
    assert check_submission(text, history, LIMITS, NOW, edit=edit) == expected


def test_fingerprint_is_equal_for_what_the_repeat_check_treats_as_equal() -> None:
    assert text_fingerprint("Hallo,  WELT!") == text_fingerprint("hallo welt") != ""
    assert text_fingerprint("Café am Sande") == text_fingerprint("cafe am sande")
    assert text_fingerprint("Hallo Welt") != text_fingerprint("Hallo Welten")
    assert text_fingerprint(" ?! ") == ""


def test_the_rate_window_reads_no_more_than_the_largest_threshold() -> None:
    assert rate_window(AuthorHistory(OLD), LIMITS, NOW) == (timedelta(minutes=10), 3)
    assert rate_window(AuthorHistory(NEW), LIMITS, NOW) == (timedelta(hours=1), 3)
