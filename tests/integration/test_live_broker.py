"""The live broker on both backends (memory; Redis with its own key prefix) and publishing after
commit: order, replay after an id, gaps, rollback, strict events."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from beteiligung.live.broker import RESET, Delivery, MemoryBroker, RedisBroker, parse_id
from beteiligung.live.events import (
    EVENT_TYPES,
    CommentPosted,
    ProposalSupportChanged,
    decode,
    encode,
    wire_message,
)
from beteiligung.live.publish import drain, queue_event


@pytest.fixture(params=["memory", "redis"])
async def broker(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        b: Any = MemoryBroker(history=50)
    else:
        from redis.asyncio import BlockingConnectionPool, Redis

        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix") + ":" + uuid.uuid4().hex[:6]
        redis = Redis(connection_pool=BlockingConnectionPool.from_url(url, max_connections=8, timeout=5))
        b = RedisBroker(redis, prefix, history=50, block_ms=200)
    await b.start()
    yield b
    await b.stop()
    if request.param == "redis":
        await b.redis.delete(b.key)
        await b.redis.aclose()


def ev(i: int, proposal: int = 1) -> ProposalSupportChanged:
    return ProposalSupportChanged(consultation_id=7, proposal_id=proposal + 0 * i)


async def _next(sub: Any, timeout: float = 2.0) -> Any:
    return await asyncio.wait_for(sub.queue.get(), timeout)


async def test_published_events_reach_subscribers_in_order_with_growing_ids(broker):
    sub = broker.subscribe({"proposal:1"})
    other = broker.subscribe({"proposal:2"})
    await broker.publish([ev(i) for i in range(5)])
    got = [await _next(sub) for _ in range(5)]
    assert all(isinstance(d, Delivery) for d in got)
    ids = [parse_id(d.id) for d in got]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert other.queue.empty()  # another proposal's stream hears nothing
    broker.unsubscribe(sub)
    broker.unsubscribe(other)
    assert broker.hub.connections == 0


async def test_replay_after_an_id_gives_exactly_the_missed_events(broker):
    await broker.publish([ev(0)])
    seen = await broker.watermark()
    await broker.publish([ev(i) for i in range(5)])
    await broker.publish([ProposalSupportChanged(consultation_id=7, proposal_id=99)])  # other channel
    missed = await broker.replay(frozenset({"proposal:1"}), seen)
    assert missed is not None and len(missed) == 5
    assert [parse_id(d.id) for d in missed] == sorted(parse_id(d.id) for d in missed)
    assert all(parse_id(d.id) > parse_id(seen) for d in missed)
    assert await broker.replay(frozenset({"proposal:1"}), missed[-1].id) == []


async def test_a_gap_older_than_the_history_asks_for_a_reset(broker):
    await broker.publish([ev(0)])
    early = await broker.watermark()
    for _ in range(4):
        await broker.publish([ev(i) for i in range(30)])  # 120 events, history is 50
    if isinstance(broker, RedisBroker):
        await broker.redis.xtrim(broker.key, maxlen=50, approximate=False)
    assert await broker.replay(frozenset({"proposal:1"}), early) is None
    assert await broker.replay(frozenset({"proposal:1"}), "99999999999999-0") is None  # never issued


async def test_a_stalled_reader_is_told_to_reset_instead_of_growing_without_bound(broker):
    sub = broker.subscribe({"proposal:1"})
    for _ in range(6):
        await broker.publish([ev(i) for i in range(100)])
    await asyncio.sleep(0.5)
    items = []
    while not sub.queue.empty():
        items.append(sub.queue.get_nowait())
    assert RESET in items and len(items) <= 500
    broker.unsubscribe(sub)


def test_events_are_strict_and_carry_no_content():
    for cls in EVENT_TYPES:
        assert "html" not in cls.__struct_fields__ and "body" not in cls.__struct_fields__
    e = CommentPosted(consultation_id=1, proposal_id=2, comment_id=3)
    assert decode(encode(e)) == e
    assert wire_message(e) == {"type": "comment_posted", "kind": "comment", "keys": ["proposal-2-comments"]}
    with pytest.raises(msgspec.ValidationError):
        decode(b'{"type":"comment_posted","consultation_id":1,"proposal_id":2,"comment_id":3,"html":"<b>"}')
    with pytest.raises(msgspec.ValidationError):
        decode(b'{"type":"something_else"}')


async def test_commit_publishes_and_rollback_publishes_nothing(app, settings):
    """Through a real database session configured like the app's (sqlite and postgres)."""
    from beteiligung.app import make_alchemy_config
    from beteiligung.organisations.models import Organisation

    broker = MemoryBroker()
    sub = broker.subscribe({"proposal:5"})
    config = make_alchemy_config(settings, broker)
    try:
        async with config.get_session() as db:
            org = (await db.scalars(select(Organisation))).first()
            org.intro = "geändert"
            queue_event(db, ProposalSupportChanged(consultation_id=1, proposal_id=5))
            await db.rollback()
            await db.commit()  # nothing queued any more
            await drain()
            assert sub.queue.empty()
            org = (await db.scalars(select(Organisation))).first()
            assert org.intro != "geändert"
            queue_event(db, ProposalSupportChanged(consultation_id=1, proposal_id=5))
            assert sub.queue.empty()  # not before the commit
            org.intro = org.intro + " "
            await db.commit()
            await drain()
            delivery = sub.queue.get_nowait()
            assert delivery.event == ProposalSupportChanged(consultation_id=1, proposal_id=5)
    finally:
        await config.get_engine().dispose()
