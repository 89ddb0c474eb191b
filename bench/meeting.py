"""Meeting benchmark: N participants in one live meeting on two app processes, a poll everyone votes in.

Starts two app processes as production runs them (uvicorn, one worker each, PostgreSQL + Redis,
access log off, ``BETEILIGUNG_ENV=production``) on a fresh database with one live meeting that
admits guests and a prepared poll (three options). N participants (default 2,000) each load the
room page, choose a guest name (``POST /veranstaltungen/<id>/gast``: no Argon2 login per person)
and keep the room's live stream open (``GET /live/veranstaltungen/<id>?seit=<the page's
watermark>`` with their session cookie), alternately on either process, each from its own
loopback address 127.1.x.y (the app's limit of 20 streams per address stays on). Then staff open
the poll, all N vote (``--concurrency`` requests in flight), staff close it.

Measured: the delivery latency of every event to every client (the time the client's socket
callback reads the event's ``id:`` line), for the open and the close from the staff request
leaving the client, for each ballot's ``MeetingVotesChanged`` from its ``XADD`` (the time in the
Redis stream id; same machine, same clock, 1 ms resolution: which ballot caused which event
cannot be told under concurrency); the vote throughput (ballots per second from the first vote
sent to the last answer) with errors and the POST's own latency; deliveries missing and ``reset``
events (a stream more than 500 events behind is told to refresh instead); the servers' CPU and
RSS; the counters against the rows. Client and servers share the machine with PostgreSQL and
Redis.

    .venv/bin/python bench/meeting.py                          # 2,000 participants
    .venv/bin/python bench/meeting.py --participants 500 --concurrency 20

Needs PostgreSQL (``--pg``) and Redis (``--redis``). The database ``beteiligung_meeting_<random>``
is dropped at the end unless ``--keep-db``; the run's Redis keys are always deleted. Results and
the machine go into docs/benchmarks.md ("Veranstaltungen: 2.000 Teilnehmende").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

# bench/fanout.py (the live fan-out benchmark) has the SSE client and the process helpers, and
# bench/pages.py the server command and the machine description; reuse them.
from fanout import (
    LoopLag,
    SSEClient,
    address,
    cpu_seconds,
    machine_busy,
    open_client,
    pct,
    raise_fd_limit,
    rss_kib,
    serve,
    stop,
    summary,
    wait_for,
)
from pages import (
    _free_port,
    admin,
    drop_redis_prefix,
    loadavg,
    machine,
    pick_server,
    run,
    server_version,
    service_versions,
    wait_ready,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from beteiligung.accounts import actions as account_actions  # noqa: E402
from beteiligung.accounts.models import Role  # noqa: E402
from beteiligung.app import make_alchemy_config  # noqa: E402
from beteiligung.cli import migrate_database  # noqa: E402
from beteiligung.demo.seed import seed_organisation  # noqa: E402
from beteiligung.settings import Settings  # noqa: E402

STAFF = "meeting-staff@bench.beteiligung.invalid"
OPTIONS = ("Ja", "Nein", "Enthaltung")
LIVE_URL = re.compile(rb'hx-sse:connect="(/live/veranstaltungen/\d+\?seit=[^"]*)"')
now = time.perf_counter


# ---------------------------------------------------------------------------------------------
# Data: one organisation, a staff account, a live meeting with guests and a prepared poll
# ---------------------------------------------------------------------------------------------
@dataclass
class Seeded:
    meeting_id: int
    poll_id: int
    option_ids: list[int]
    password: str


async def seed(db_url: str) -> Seeded:
    from beteiligung.meetings.models import (
        AgendaItem,
        Meeting,
        MeetingPoll,
        MeetingPollOption,
        MeetingState,
        PollState,
    )
    from beteiligung.consultations.states import ModerationMode

    settings = Settings(database_url=db_url, secret_key=secrets.token_urlsafe(48))
    config = make_alchemy_config(settings)
    password = "Meeting-" + secrets.token_urlsafe(12)
    at = datetime.now(UTC)
    try:
        async with config.get_session() as db:
            org = await seed_organisation(db)
            await account_actions.create_user(
                db, org=org, email=STAFF, password=password, display_name="Stadtentwicklung",
                role=Role.STAFF, now=at,
            )  # fmt: skip
            meeting = Meeting(
                organisation_id=org.id,
                title="Virtuelle Bürgerversammlung ISEK 2030+",
                description="Online über das Stadtentwicklungskonzept sprechen.",
                starts_at=at - timedelta(minutes=10),
                ends_at=at + timedelta(hours=2),
                allow_guests=True,
                question_moderation=ModerationMode.POST,
                state=MeetingState.LIVE,
                started_at=at,
            )
            meeting.agenda = [
                AgendaItem(position=n, title=t)
                for n, t in enumerate(("Begrüßung", "Stadt der Arbeit und Ideen", "Abstimmung"), 1)
            ]
            db.add(meeting)
            await db.flush()
            meeting.current_item_id = meeting.agenda[0].id
            poll = MeetingPoll(
                meeting_id=meeting.id, question="Soll der Marktplatz autofrei werden?", state=PollState.DRAFT
            )
            poll.options = [MeetingPollOption(position=n, label=label) for n, label in enumerate(OPTIONS, 1)]
            db.add(poll)
            await db.flush()
            seeded = Seeded(meeting.id, poll.id, [o.id for o in poll.options], password)
            await db.commit()
            return seeded
    finally:
        await config.get_engine().dispose()


async def counts(db_url: str, poll_id: int) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        poll = await conn.fetchrow("SELECT ballot_count, state FROM meeting_poll WHERE id = $1", poll_id)
        ballots = await conn.fetchval("SELECT count(*) FROM meeting_poll_ballot WHERE poll_id = $1", poll_id)
        options = await conn.fetch(
            "SELECT o.label, o.vote_count, (SELECT count(*) FROM meeting_poll_choice c WHERE c.option_id = o.id)"
            " AS rows FROM meeting_poll_option o WHERE o.poll_id = $1 ORDER BY o.position",
            poll_id,
        )
    finally:
        await conn.close()
    return {
        "ballot_count": poll["ballot_count"],
        "ballot_rows": ballots,
        "state": poll["state"],
        "options": [(r["label"], r["vote_count"], r["rows"]) for r in options],
    }


# ---------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 client with a cookie jar per participant (httpx would cost the shared CPU
# twice over at thousands of sessions)
# ---------------------------------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    location: str
    cookies: dict[str, str | None]
    body: bytes


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, cookies: dict[str, str], form: dict[str, str] | None = None
    ) -> Answer:
        reused = self.writer is not None
        try:
            return await self._request(method, path, cookies, form)
        except (OSError, asyncio.IncompleteReadError) as exc:
            # uvicorn closes an idle keep-alive connection after 5 s: send again once, on a new one.
            stale = isinstance(exc, ConnectionResetError | BrokenPipeError) or (
                isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
            )
            if not (reused and stale):
                raise
            return await self._request(method, path, cookies, form)

    async def _request(
        self, method: str, path: str, cookies: dict[str, str], form: dict[str, str] | None
    ) -> Answer:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.reader, self.writer
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        body = b""
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            raw = await reader.readuntil(b"\r\n\r\n")
            status = int(raw[9:12])
            location, jar, length, chunked, close = "", {}, None, False, False
            for line in raw.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "location":
                    location = value
                elif name == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    expired = "max-age=0" in value.lower() or not val
                    jar[key.strip()] = None if expired else val.strip().strip('"')
                elif name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                elif name == "connection" and value.lower() == "close":
                    close = True
            data = b""
            if length is not None:
                data = await reader.readexactly(length)
            elif chunked:
                parts = []
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    parts.append(await reader.readexactly(size + 2))
                    if size == 0:
                        break
                data = b"".join(p[:-2] for p in parts)
            if close:
                await self.close()
            return Answer(status, location, jar, data)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Person:
    index: int
    server: int  # 0 or 1
    cookies: dict[str, str] = field(default_factory=dict)
    live_path: str = ""
    since: str = ""
    stream: SSEClient | None = None

    def keep(self, answer: Answer) -> None:
        for key, value in answer.cookies.items():
            if value is None:
                self.cookies.pop(key, None)
            else:
                self.cookies[key] = value


class Pool:
    """``size`` workers per run, each with one keep-alive connection to each server."""

    def __init__(self, host: str, ports: list[int], size: int) -> None:
        self.free: asyncio.Queue[list[Connection]] = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait([Connection(host, p) for p in ports])

    async def request(
        self, person: Person, method: str, path: str, form: dict[str, str] | None = None
    ) -> Answer:
        conns = await self.free.get()
        try:
            answer = await conns[person.server].request(method, path, person.cookies, form)
            person.keep(answer)
            return answer
        finally:
            self.free.put_nowait(conns)

    async def close(self) -> None:
        while not self.free.empty():
            for c in self.free.get_nowait():
                await c.close()


async def gather_limited(limit: int, coros: list[Any]) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with semaphore:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


def stream_request(host: str, port: int, person: Person) -> bytes:
    cookie = "; ".join(f"{k}={v}" for k, v in person.cookies.items())
    return (
        f"GET {person.live_path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Cache-Control: no-cache\r\nCookie: {cookie}\r\nUser-Agent: bench-meeting\r\n\r\n"
    ).encode()


async def published(redis: Any, prefix: str, meeting_id: int, after: str) -> list[tuple[bytes, str]]:
    """(id, type) of the meeting channel's events after ``after``, from the broker's stream."""
    channel = f"meeting:{meeting_id}"
    out = []
    for raw_id, fields in await redis.xrange(f"{prefix}:live:events", f"({after}", "+"):
        if channel in fields[b"ch"].decode().split(","):
            out.append((raw_id, json.loads(fields[b"ev"])["type"]))
    return out


def id_key(event_id: bytes | str) -> tuple[int, int]:
    text = event_id.decode() if isinstance(event_id, bytes) else event_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
@dataclass
class Result:
    participants: int
    joined: int = 0
    connected: int = 0
    join_seconds: float = 0.0
    join_failures: Counter[str] = field(default_factory=Counter)
    open_latency: list[float] = field(default_factory=list)
    close_latency: list[float] = field(default_factory=list)
    vote_latency: list[float] = field(default_factory=list)  # XADD -> client, every delivery
    vote_post: list[float] = field(default_factory=list)
    vote_status: Counter[int] = field(default_factory=Counter)
    vote_errors: Counter[str] = field(default_factory=Counter)
    vote_seconds: float = 0.0
    events: Counter[str] = field(default_factory=Counter)
    expected: int = 0
    delivered: int = 0
    missing: int = 0
    resets: int = 0
    clients_complete: int = 0
    drain_seconds: float = 0.0  # close request -> the last client has every event
    server_cpu: list[float] = field(default_factory=list)
    rss: list[tuple[int, int]] = field(default_factory=list)
    phase_seconds: float = 0.0
    client_cpu: float = 0.0
    machine_cpu: float = 0.0
    loop_lag: list[float] = field(default_factory=list)
    load: tuple[str, str] = ("", "")
    db: dict[str, Any] = field(default_factory=dict)


async def meeting_run(
    host: str, ports: list[int], pids: list[int], seeded: Seeded, args: argparse.Namespace, prefix: str
) -> Result:
    from redis.asyncio import Redis

    n = args.participants
    mid = seeded.meeting_id
    room = f"/veranstaltungen/{mid}"
    result = Result(participants=n)
    redis = Redis.from_url(args.redis)
    pool = Pool(host, ports, args.join_concurrency)
    people = [Person(i, i % 2) for i in range(n)]
    wall = time.time() - now()  # perf_counter -> wall clock (the Redis ids' clock)
    try:
        # 1. Everyone loads the room, chooses a guest name and opens the live stream.
        print(f"  {n:,} participants join …", flush=True)

        async def join(person: Person) -> None:
            try:
                page = await pool.request(person, "GET", room)
                if page.status != 200:
                    raise RuntimeError(f"room HTTP {page.status}")
                found = LIVE_URL.search(page.body)
                if not found:
                    raise RuntimeError("no live URL on the room page")
                person.live_path = found.group(1).decode().replace("&amp;", "&")
                person.since = person.live_path.rsplit("seit=", 1)[1]
                answer = await pool.request(
                    person,
                    "POST",
                    f"{room}/gast",
                    {"name": f"Gast {person.index:04}", "_csrf_token": person.cookies.get("csrftoken", "")},
                )
                if answer.status != 303:
                    raise RuntimeError(f"guest HTTP {answer.status}")
            except Exception as exc:
                result.join_failures[f"{type(exc).__name__}: {exc}"[:80]] += 1
                return
            result.joined += 1
            port = ports[person.server]
            person.stream = await open_client(
                host, port, stream_request(host, port, person), address(person.index, 1)
            )

        t0 = now()
        await gather_limited(args.join_concurrency, [join(p) for p in people])
        streams = [p.stream for p in people if p.stream is not None]
        await wait_for(lambda: all(c.connected_at or c.closed_at for c in streams), args.connect_timeout, 0.2)
        result.join_seconds = now() - t0
        result.connected = sum(1 for c in streams if c.connected_at and not c.closed_at)
        failed = Counter(c.error for c in streams if not c.connected_at or c.closed_at)
        result.join_failures.update(failed)
        print(
            f"  joined {result.joined:,}, streams open {result.connected:,} after {result.join_seconds:.1f} s"
            + (f"; failures {dict(result.join_failures)}" if result.join_failures else ""),
            flush=True,
        )
        await asyncio.sleep(3.0)  # the last presence window (2 s) publishes its event

        # 2. Staff log in (on process A); the poll is opened, everyone votes, it is closed.
        async with httpx.AsyncClient(
            base_url=f"http://{host}:{ports[0]}", timeout=60, limits=httpx.Limits(keepalive_expiry=2.0)
        ) as staff:
            await staff.get("/anmelden")
            r = await staff.post(
                "/anmelden",
                data={"email": STAFF, "password": seeded.password, "_csrf_token": staff.cookies["csrftoken"]},
            )
            if r.status_code != 303:
                raise SystemExit(f"staff login failed: HTTP {r.status_code}")
            csrf = staff.cookies["csrftoken"]
            poll_path = f"/verwaltung{room}/abstimmungen/{seeded.poll_id}"
            start_id = (await redis.xrevrange(f"{prefix}:live:events", "+", "-", count=1) or [(b"0-0", {})])[
                0
            ][0]
            start_id = start_id.decode() if isinstance(start_id, bytes) else str(start_id)

            result.load = (loadavg(), "")
            cpu0 = [cpu_seconds(p) for p in pids]
            ccpu0, busy0, t_phase = time.process_time(), machine_busy(), now()
            with LoopLag() as lag:
                t_open = now()
                r = await staff.post(poll_path, data={"aktion": "oeffnen", "_csrf_token": csrf})
                if r.status_code != 303:
                    raise SystemExit(f"opening the poll failed: HTTP {r.status_code}")
                print("  poll open; votes …", flush=True)

                vote_pool = Pool(host, ports, args.concurrency)
                sent: list[float] = []
                done: list[float] = []

                async def vote(person: Person) -> None:
                    option = seeded.option_ids[person.index % len(seeded.option_ids)]
                    form = {"option": str(option), "_csrf_token": person.cookies.get("csrftoken", "")}
                    t = now()
                    sent.append(t)
                    try:
                        answer = await vote_pool.request(
                            person, "POST", f"{room}/abstimmungen/{seeded.poll_id}/stimme", form
                        )
                    except Exception as exc:
                        result.vote_errors[type(exc).__name__] += 1
                        return
                    done.append(now())
                    result.vote_post.append(done[-1] - t)
                    result.vote_status[answer.status] += 1

                voters = [p for p in people if p.stream is not None]
                await gather_limited(args.concurrency, [vote(p) for p in voters])
                await vote_pool.close()
                result.vote_seconds = (max(done) - min(sent)) if done else 0.0
                print(
                    f"  {len(result.vote_post):,} votes answered in {result.vote_seconds:.1f} s: "
                    f"{dict(result.vote_status)}",
                    flush=True,
                )

                t_close = now()
                r = await staff.post(poll_path, data={"aktion": "schliessen", "_csrf_token": csrf})
                if r.status_code != 303:
                    raise SystemExit(f"closing the poll failed: HTTP {r.status_code}")

                # 3. Wait until every stream has every event after the start (or the grace ends).
                events = await published(redis, prefix, mid, start_id)
                wanted = {i for i, _t in events}
                live = [c for c in streams if c.connected_at]

                def complete() -> bool:
                    return all(wanted <= {i for i, _a in c.received} or c.closed_at for c in live)

                print(
                    f"  poll closed; waiting for {len(wanted):,} events at {len(live):,} clients …",
                    flush=True,
                )
                await wait_for(complete, args.grace, step=0.5)
                result.drain_seconds = now() - t_close
            result.phase_seconds = now() - t_phase
            result.server_cpu = [cpu_seconds(p) - c for p, c in zip(pids, cpu0, strict=True)]
            result.client_cpu = time.process_time() - ccpu0
            result.machine_cpu = machine_busy() - busy0
            result.loop_lag = lag.lags
            result.load = (result.load[0], loadavg())
            result.rss = [(rss_kib(p), 0) for p in pids]

        # 4. Latencies.
        events = await published(redis, prefix, mid, start_id)
        result.events = Counter(t for _i, t in events)
        polls = [i for i, t in events if t == "meeting_poll_changed"]
        opened, closed = (polls[0], polls[-1]) if len(polls) >= 2 else (b"", b"")
        votes = {i for i, t in events if t == "meeting_votes_changed"}
        for c in live:
            got = dict(c.received)
            result.resets += c.resets
            have = 0
            for event_id, _type in events:
                at = got.get(event_id)
                if at is None:
                    result.missing += 1
                    continue
                have += 1
                if event_id == opened:
                    result.open_latency.append(at - t_open)
                elif event_id == closed:
                    result.close_latency.append(at - t_close)
                elif event_id in votes:
                    ms = id_key(event_id)[0] / 1000
                    result.vote_latency.append(max(0.0, at + wall - ms))
            result.delivered += have
            result.clients_complete += have == len(events)
        result.expected = len(events) * len(live)
        for c in streams:
            if c.transport is not None:
                c.transport.abort()
        await pool.close()
        result.db = await counts(args.db_url, seeded.poll_id)
    finally:
        await redis.aclose()
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def report(r: Result, args: argparse.Namespace) -> str:
    ok = r.vote_status.get(303, 0)
    errors = sum(v for k, v in r.vote_status.items() if k != 303) + sum(r.vote_errors.values())
    rate = ok / r.vote_seconds if r.vote_seconds else float("nan")
    db = r.db
    options = ", ".join(f"{label} {count} ({rows} rows)" for label, count, rows in db.get("options", []))
    lines = [
        "| participants | streams open | votes ok / errors | votes/s | deliveries | missing | resets | "
        "open → clients p50/p95/p99 ms | close → clients p50/p95/p99 ms | ballot XADD → clients p50/p95/p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
        f"| {r.participants:,} | {r.connected:,} | {ok:,} / {errors:,} | {rate:.0f} | "
        f"{r.delivered:,} / {r.expected:,} | {r.missing:,} | {r.resets:,} | "
        f"{pct(r.open_latency, 0.5):.0f} / {pct(r.open_latency, 0.95):.0f} / {pct(r.open_latency, 0.99):.0f} | "
        f"{pct(r.close_latency, 0.5):.0f} / {pct(r.close_latency, 0.95):.0f} / {pct(r.close_latency, 0.99):.0f} | "
        f"{pct(r.vote_latency, 0.5):.0f} / {pct(r.vote_latency, 0.95):.0f} / {pct(r.vote_latency, 0.99):.0f} |",
        "",
        f"- join: {r.joined:,} guests joined (room page + guest name, {args.join_concurrency} at a time) and "
        f"{r.connected:,} streams answered after {r.join_seconds:.1f} s"
        + (f"; failures: {dict(r.join_failures)}" if r.join_failures else ""),
        f"- votes: {ok:,} answered 303 in {r.vote_seconds:.1f} s with {args.concurrency} in flight "
        f"({rate:.0f} votes/s); POST {summary(r.vote_post)}; statuses {dict(r.vote_status)}"
        + (f", transport errors {dict(r.vote_errors)}" if r.vote_errors else ""),
        f"- open → clients: {summary(r.open_latency)}; close → clients: {summary(r.close_latency)}",
        f"- ballot event `XADD` → clients: {summary(r.vote_latency)} ({len(r.vote_latency):,} deliveries)",
        f"- events on the meeting channel from the open to the close: {dict(r.events)}; clients with every "
        f"one: {r.clients_complete:,} of {r.connected:,}; close request → last client complete (or the "
        f"grace of {args.grace:g} s ran out): {r.drain_seconds:.1f} s",
        f"- counters: ballot_count {db.get('ballot_count')} = {db.get('ballot_rows')} ballot rows; options "
        f"{options}; poll {db.get('state')}",
        f"- servers' CPU from the open to the last delivery: {', '.join(f'{c:.1f} s' for c in r.server_cpu)} in "
        f"{r.phase_seconds:.1f} s; RSS after {', '.join(f'{k / 1024:.0f} MiB' for k, _ in r.rss)}",
        f"- client (same machine): {r.client_cpu:.1f} s CPU; its loop woke a 5 ms timer late by p99 "
        f"{pct(r.loop_lag, 0.99):.1f} / max {pct(r.loop_lag, 1.0):.1f} ms; whole machine "
        f"{r.machine_cpu:.1f} CPU-s; load average {r.load[0]} → {r.load[1]}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=2000, help="guests with an open live stream")
    parser.add_argument("--concurrency", type=int, default=50, help="vote requests in flight at once")
    parser.add_argument("--join-concurrency", type=int, default=50, help="joins in flight at once")
    parser.add_argument("--connect-timeout", type=float, default=120, help="seconds to wait for the streams")
    parser.add_argument("--grace", type=float, default=600, help="seconds to wait for the last deliveries")
    parser.add_argument("--server", choices=["auto", "uvicorn", "granian"], default="uvicorn")
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL, no database"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep-db", action="store_true", help="keep the database (its name is printed)")
    args = parser.parse_args()

    n = args.participants
    nofile = raise_fd_limit(n + 1000)
    kind = pick_server(args.server)
    db_name = f"beteiligung_meeting_{secrets.token_hex(4)}"
    args.db_url = args.pg.replace("postgresql://", "postgresql+asyncpg://") + f"/{db_name}"
    prefix = f"beteiligung_meeting_{secrets.token_hex(4)}"
    info = machine()
    info.update(asyncio.run(service_versions(args.pg, args.redis)))
    info["servers"] = f"{server_version(kind)}, two processes (one worker each), open-file limit {nofile:,}"
    info["client"] = "raw HTTP/1.1 and asyncio SSE protocols on uvloop, one process on the same machine"
    log_path = Path(f"/tmp/{db_name}.server.log")
    print(f"Database {db_name}; Redis prefix {prefix}; server log {log_path}", flush=True)
    asyncio.run(admin(args.pg, f'CREATE DATABASE "{db_name}"'))
    procs = []
    try:
        migrate_database(Settings(database_url=args.db_url, secret_key=secrets.token_urlsafe(48)))
        seeded = asyncio.run(seed(args.db_url))
        host = "127.0.0.1"
        ports = [_free_port(), _free_port()]
        secret = secrets.token_urlsafe(48)
        for port in ports:
            env = {
                **os.environ,
                "BETEILIGUNG_ENV": "production",
                "BETEILIGUNG_DATABASE_URL": args.db_url,
                "BETEILIGUNG_REDIS_URL": args.redis,
                "BETEILIGUNG_REDIS_PREFIX": prefix,
                "BETEILIGUNG_SECRET_KEY": secret,
                "BETEILIGUNG_BASE_URL": f"http://{host}:{port}",
                "BETEILIGUNG_SECURE_COOKIES": "false",  # plain http on loopback
                "BETEILIGUNG_DEMO": "false",
                "PYTHONPATH": str(ROOT / "src"),
            }
            procs.append(serve(kind, port, nofile, n, env, log_path))
        for port, proc in zip(ports, procs, strict=True):
            asyncio.run(wait_ready(f"http://{host}:{port}", proc))
        print(f"Meeting {seeded.meeting_id}, poll {seeded.poll_id}; servers on {ports}", flush=True)
        result = run(meeting_run(host, ports, [p.pid for p in procs], seeded, args, prefix))
    finally:
        for proc in procs:
            stop(proc)
        asyncio.run(drop_redis_prefix(args.redis, prefix))
        if args.keep_db:
            print(f"Kept database {db_name} ({args.db_url})")
        else:
            asyncio.run(admin(args.pg, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))

    print()
    print(f"Date: {datetime.now(UTC):%Y-%m-%d}")
    print(" ".join(["Command: .venv/bin/python bench/meeting.py", *sys.argv[1:]]))
    for key, value in info.items():
        print(f"- {key}: {value}")
    print()
    print(report(result, args))


if __name__ == "__main__":
    main()
