"""The hard posting limit and the cost of the automatic checks, through HTTP on both databases.

* Beyond ``BETEILIGUNG_POSTS_PER_ACCOUNT_10MIN`` (per account or meeting guest) and
  ``BETEILIGUNG_POSTS_PER_ADDRESS_10MIN`` (all accounts behind one address) a new comment, proposal
  or meeting question is refused: 429 with a German message and ``Retry-After``, the form with the
  typed text, nothing written and nothing queued. Below it the moderation's "posts in ten
  minutes" still holds posts for review.
* One post costs the same number of statements, reading the same number of rows, whether its
  author wrote nothing or 500 posts in the last 24 hours (the checks look up fingerprints instead
  of re-reading the author's history).
"""

from __future__ import annotations

import dataclasses
import html
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from beteiligung.app import make_alchemy_config
from beteiligung.comments.models import Comment
from beteiligung.consultations.models import Consultation
from beteiligung.db import utcnow
from beteiligung.meetings.models import MeetingQuestion
from beteiligung.moderation.checks import text_fingerprint
from beteiligung.moderation.models import ModerationSettings, PostFingerprint, Review
from beteiligung.organisations.models import Organisation
from beteiligung.proposals.models import Proposal
from beteiligung.settings import Settings
from tests.conftest import login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import make_consultation, run_sql

HX = {"HX-Request": "true"}
SLUG = "isek-2030"
COMMENTS = f"/vorhaben/{SLUG}/kommentare"
REFUSED = "Sie haben in kurzer Zeit sehr viele Beiträge gesendet."
PER_ACCOUNT = 3
PER_ADDRESS = 5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small hard limits, so a test reaches them in a few posts."""
    return dataclasses.replace(
        settings, posts_per_account_10min=PER_ACCOUNT, posts_per_address_10min=PER_ADDRESS
    )


async def _count(settings: Settings, stmt: Any) -> int:
    async def q(db: Any) -> int:
        return int(await db.scalar(stmt) or 0)

    return int(await run_sql(settings, q))


async def _hold_after(settings: Settings, posts: int) -> None:
    """The organisation's moderation holds every post beyond ``posts`` in ten minutes."""

    async def set_(db: Any) -> None:
        org = (await db.scalars(select(Organisation))).first()
        db.add(ModerationSettings(organisation_id=org.id, posts_per_ten_minutes=posts))

    await run_sql(settings, set_)


def _refused_with_text(response: Any, text: str) -> None:
    assert response.status_code == 429, response.text[:500]
    assert int(response.headers["retry-after"]) >= 1
    page = html.unescape(response.text)
    assert REFUSED in page and "Ihr Text bleibt hier im Formular erhalten." in page
    assert text in page  # the typed text is back in the form


async def test_beyond_the_hard_limit_a_comment_is_refused_and_the_text_kept(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await _hold_after(settings, 2)
    await login(client, "a@example.org")
    for n in range(PER_ACCOUNT):
        r = await post_form(client, COMMENTS, {"body": f"Beitrag Nummer {n} zum Stintmarkt"})
        assert r.status_code == 303, r.text

    # Below the hard limit the moderation's own rate check still holds the third post.
    async def state(db: Any) -> list[tuple[str, str | None]]:
        comments = (await db.scalars(select(Comment).order_by(Comment.id))).all()
        reviews = {r.comment_id: r.auto_reasons for r in (await db.scalars(select(Review))).all()}
        return [(str(c.visibility), reviews.get(c.id)) for c in comments]

    assert await run_sql(settings, state) == [("published", None), ("published", None), ("held", "rate")]

    text = "Noch ein Beitrag: Bänke für den Stintmarkt"
    r = await post_form(client, COMMENTS, {"body": text})
    _refused_with_text(r, text)
    assert "<html" in r.text  # without JavaScript: the whole page with the form
    r = await post_form(client, COMMENTS, {"body": text}, htmx=True)
    _refused_with_text(r, text)
    assert "<html" not in r.text and 'id="comment-new' in r.text  # htmx: the thread's block
    # Refused means not written and not queued.
    assert await _count(settings, select(func.count()).select_from(Comment)) == PER_ACCOUNT
    assert await _count(settings, select(func.count()).select_from(Review)) == 1


async def test_one_address_shares_a_limit_across_accounts_and_proposals(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await login(client, "a@example.org")
    for n in range(PER_ACCOUNT):
        r = await post_form(client, COMMENTS, {"body": f"Beitrag Nummer {n} zum Stintmarkt"})
        assert r.status_code == 303, r.text
    await post_form(client, "/abmelden", {})
    await login(client, "b@example.org")  # a new account, behind the same address
    url = f"/vorhaben/{SLUG}/vorschlaege/neu"
    for n in range(PER_ADDRESS - PER_ACCOUNT):
        data = {"title": f"Vorschlag {n}: Trinkbrunnen", "body": "Am Sande fehlt ein Trinkbrunnen."}
        r = await post_form(client, url, data)
        assert r.status_code == 303, r.text
    title = "Ein Wochenmarkt am Abend"
    r = await post_form(client, url, {"title": title, "body": "Donnerstags bis 21 Uhr."}, htmx=True)
    _refused_with_text(r, title)
    assert "Donnerstags bis 21 Uhr." in html.unescape(r.text)
    assert await _count(settings, select(func.count()).select_from(Proposal)) == PER_ADDRESS - PER_ACCOUNT


async def test_a_meeting_guest_is_limited_like_an_account(client, settings):
    meeting_id = await make_meeting(settings, state="live", question_moderation="post", allow_guests=True)
    await post_form(client, f"/veranstaltungen/{meeting_id}/gast", {"name": "Gast vom Sande"})
    url = f"/veranstaltungen/{meeting_id}/fragen"
    for n in range(PER_ACCOUNT):
        r = await post_form(client, url, {"body": f"Frage {n}: Wann kommt der Radweg?"})
        assert r.status_code == 303, r.text
    text = "Und wer bezahlt die Brücke über die Ilmenau?"
    r = await post_form(client, url, {"body": text}, htmx=True)
    _refused_with_text(r, text)
    r = await post_form(client, url, {"body": text})
    _refused_with_text(r, text)
    assert await _count(settings, select(func.count()).select_from(MeetingQuestion)) == PER_ACCOUNT


async def test_staff_speak_for_the_town_and_are_not_limited(client, settings):
    await make_consultation(settings)
    await make_user(settings, email="staff@example.org", display_name="Verwaltung", role="staff")
    await login(client, "staff@example.org")
    for n in range(PER_ADDRESS + 1):
        r = await post_form(client, COMMENTS, {"body": f"Hinweis der Verwaltung Nummer {n}"})
        assert r.status_code == 303, r.text


# ---------------------------------------------------------------------------------------------
# The cost of one post does not grow with the author's history
# ---------------------------------------------------------------------------------------------
async def _history(settings: Settings, email: str, posts: int) -> None:
    """``posts`` comments by the account within the last 24 hours (2 to 23 hours ago), each
    stored as the app stores a screened post: the row and its fingerprint."""
    from beteiligung.accounts.models import User

    async def add(db: Any) -> None:
        user = (await db.scalars(select(User).where(User.email == email))).one()
        consultation_id = await db.scalar(select(Consultation.id).where(Consultation.slug == SLUG))
        now = utcnow()
        rows, prints = [], []
        for n in range(posts):
            at = now - timedelta(hours=2) - timedelta(hours=21) * n / posts
            body = f"Früherer Beitrag Nummer {n} über den Sande"
            rows.append(
                {
                    "consultation_id": consultation_id,
                    "author_id": user.id,
                    "body": body,
                    "depth": 1,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            prints.append(
                {
                    "author_key": f"u:{user.id}",
                    "user_id": user.id,
                    "text_hash": text_fingerprint(body),
                    "created_at": at,
                    "updated_at": at,
                }
            )
        await db.execute(insert(Comment), rows)
        await db.execute(insert(PostFingerprint), prints)

    await run_sql(settings, add)


class Statements:
    """Every statement the app's database engine runs while it listens."""

    def __init__(self, app: Any) -> None:
        self.engine = app.state["alchemy_config"].get_engine()
        self.seen: list[tuple[str, Any]] = []

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        self.seen.append((statement, parameters))

    def __enter__(self) -> Statements:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._record)

    async def rows_read(self, settings: Settings) -> int:
        """The rows the recorded SELECTs read, run again as they were sent (on an engine of this
        event loop: the app's runs in the test client's)."""
        engine = make_alchemy_config(settings).get_engine()
        total = 0
        try:
            async with engine.connect() as conn:
                for statement, parameters in self.seen:
                    if statement.lstrip().upper().startswith("SELECT"):
                        total += len((await conn.exec_driver_sql(statement, parameters)).all())
        finally:
            await engine.dispose()
        return total


async def test_one_posts_cost_does_not_grow_with_the_authors_history(app, client, settings):
    await make_consultation(settings)
    await make_user(settings, email="a@example.org", display_name="Jonas")
    await make_user(settings, email="b@example.org", display_name="Mareike")
    await _history(settings, "b@example.org", 500)

    costs = []
    for email in ("a@example.org", "b@example.org"):  # a: nothing before, b: 500 posts
        await login(client, email)
        with Statements(app) as statements:
            r = await post_form(client, COMMENTS, {"body": "Radwege am Lüner Damm, bitte!"})
        assert r.status_code == 303, r.text
        costs.append((len(statements.seen), await statements.rows_read(settings)))
        await post_form(client, "/abmelden", {})
    assert costs[0] == costs[1], costs
