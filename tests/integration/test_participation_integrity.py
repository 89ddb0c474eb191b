"""Integrity and cost of the participation core: exact counts under concurrency (PostgreSQL),
counters kept by the database, and a fixed number of SQL statements per page (no N+1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from beteiligung.accounts.models import Membership, Role, User
from beteiligung.accounts.passwords import hash_password
from beteiligung.comments.models import Comment, CommentVote
from beteiligung.db import utcnow
from beteiligung.organisations.models import Organisation
from beteiligung.proposals.models import Proposal, Support
from tests.conftest import DEMO_PASSWORD
from tests.participation_factories import make_consultation, run_sql


async def _users(settings: Any, n: int, prefix: str = "r") -> list[int]:
    """``n`` verified residents sharing one password hash (hashing 100 times would only be slow)."""
    password_hash = await hash_password(DEMO_PASSWORD)

    async def create(db: Any) -> list[int]:
        org = (await db.scalars(select(Organisation))).first()
        users = [
            User(
                email=f"{prefix}{i}@example.org",
                display_name=f"Bürgerin {prefix}{i}",
                password_hash=password_hash,
                email_verified_at=utcnow(),
            )
            for i in range(n)
        ]
        db.add_all(users)
        await db.flush()
        db.add_all(Membership(user_id=u.id, organisation_id=org.id, role=Role.RESIDENT) for u in users)
        return [u.id for u in users]

    return await run_sql(settings, create)  # type: ignore[no-any-return]


async def _proposals(settings: Any, consultation_id: int, authors: list[int], n: int) -> list[int]:
    async def create(db: Any) -> list[int]:
        now = utcnow()
        items = [
            Proposal(
                consultation_id=consultation_id,
                author_id=authors[i % len(authors)],
                title=f"Vorschlag {i}",
                body="Mehr Bänke am Stintmarkt.",
                created_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ]
        db.add_all(items)
        await db.flush()
        return [p.id for p in items]

    return await run_sql(settings, create)  # type: ignore[no-any-return]


async def _comments(
    settings: Any, consultation_id: int, proposal_id: int, authors: list[int], n: int
) -> None:
    """``n`` comments in threads of three levels, each with a vote."""

    async def create(db: Any) -> None:
        parent: Comment | None = None
        for i in range(n):
            depth = 1 if parent is None or parent.depth == 3 else parent.depth + 1
            c = Comment(
                consultation_id=consultation_id,
                proposal_id=proposal_id,
                parent_id=parent.id if depth > 1 and parent else None,
                depth=depth,
                author_id=authors[i % len(authors)],
                body=f"Kommentar {i}",
            )
            db.add(c)
            await db.flush()
            db.add(CommentVote(comment_id=c.id, user_id=authors[(i + 1) % len(authors)], value=1))
            parent = c
        await db.flush()

    await run_sql(settings, create)


class StatementCounter:
    def __init__(self, app: Any) -> None:
        self.engine = app.state["alchemy_config"].get_engine().sync_engine
        self.count = 0

    def _on(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)


async def _count(app: Any, client: Any, url: str) -> int:
    await client.get(url)  # warm caches (organisation lookup, compiled statements)
    with StatementCounter(app) as counter:
        r = await client.get(url)
    assert r.status_code == 200, r.text
    return counter.count


async def test_proposal_list_costs_the_same_for_5_or_40_items(app, client, settings):
    cid = await make_consultation(settings)
    authors = await _users(settings, 5)
    await _proposals(settings, cid, authors, 5)
    small = await _count(app, client, "/vorhaben/isek-2030/vorschlaege?sortierung=neueste")
    await _proposals(settings, cid, authors, 35)
    for sort in ("neueste", "unterstuetzt", "diskutiert", "zufall"):
        large = await _count(app, client, f"/vorhaben/isek-2030/vorschlaege?sortierung={sort}")
        assert large == small, (sort, small, large)


async def test_proposal_page_costs_the_same_for_20_or_200_comments(app, client, settings):
    cid = await make_consultation(settings)
    authors = await _users(settings, 6)
    few, many = await _proposals(settings, cid, authors, 2)
    await _comments(settings, cid, few, authors, 20)
    await _comments(settings, cid, many, authors, 200)
    # as a signed-in resident, so the viewer's votes and supports are read too
    r = await client.get("/")
    token = client.cookies.get("csrftoken")
    await client.post(
        "/anmelden", data={"email": "r0@example.org", "password": DEMO_PASSWORD, "_csrf_token": token}
    )
    small = await _count(app, client, f"/vorschlaege/{few}")
    large = await _count(app, client, f"/vorschlaege/{many}")
    assert small == large, (small, large)
    r = await client.get(f"/vorschlaege/{many}")
    assert r.text.count('class="comment comment--depth-') == 200


async def test_counters_follow_cascades_and_deletions(client, settings):
    cid = await make_consultation(settings)
    authors = await _users(settings, 3)
    (pid,) = await _proposals(settings, cid, authors[:1], 1)

    async def arrange(db: Any) -> None:
        db.add_all(
            [Support(proposal_id=pid, user_id=authors[1]), Support(proposal_id=pid, user_id=authors[2])]
        )
        db.add(Comment(consultation_id=cid, proposal_id=pid, author_id=authors[2], body="Ja!"))

    await run_sql(settings, arrange)

    async def counts(db: Any) -> tuple[int, int]:
        p = (
            await db.execute(select(Proposal.support_count, Proposal.comment_count).where(Proposal.id == pid))
        ).one()
        return int(p[0]), int(p[1])

    assert await run_sql(settings, counts) == (2, 1)

    async def erase(db: Any) -> None:  # the account goes: its support goes by cascade
        await db.delete(await db.get(User, authors[2]))

    await run_sql(settings, erase)
    assert await run_sql(settings, counts) == (1, 1)  # the comment stays, anonymised
    author = await run_sql(settings, lambda db: db.scalar(select(Comment.author_id)))
    assert author is None
