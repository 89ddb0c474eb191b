"""Live-update fan-out benchmark: N SSE clients on one server process, M events, latency per delivery.

Starts the app as production runs it (uvicorn, one process, PostgreSQL + Redis, access log off) on
a fresh database with one published consultation and one proposal. Then it opens N streams
``GET /live/vorschlaege/<id>`` from N different loopback addresses (127.1.x.y: the app allows 20
streams per client address, and that limit stays on), waits until every stream is subscribed, and
publishes M events the way the app does: ``XADD <prefix>:live:events ch=… ev=…`` with a
``ProposalSupportChanged``. The latency of a delivery is the time from just before the XADD to
the moment the client's socket callback sees the event's ``id:`` line. Client and publisher run in
one uvloop process on the same machine as the server, PostgreSQL and Redis.

A client is *held* when it was subscribed and received the first event. Besides the latency the
run reports the server's RSS before and after connecting (``/proc/<pid>/status``), its CPU per
admitted stream and per delivery (``/proc/<pid>/stat``), the kernel's listen-queue overflows
during the ramp, the client's own CPU and loop lag, and the CPU the rest of the machine used
(a shared machine makes the figures incomparable; the script says so instead of hiding it).

In the same run, the floors: a bare Redis ``PUBLISH`` to one redis-py subscriber, ``XADD`` to one
``XREAD BLOCK`` reader (the broker's own mechanism), the app's path to a single SSE client, and
(after the fan-out, with all N clients still connected) a real support POST through the app.

    .venv/bin/python bench/fanout.py                       # 1,000 clients, 20 events, ~1 minute
    .venv/bin/python bench/fanout.py --clients 1000,5000   # one fresh server per size
    .venv/bin/python bench/fanout.py --clients 5000 --ramp-batch 50 --ramp-interval 0.5

Needs PostgreSQL (``--pg``) and Redis (``--redis``). The database ``beteiligung_fanout_<random>``
is dropped at the end unless ``--keep-db``; the Redis keys of the run are always deleted.
Results and the machine go into docs/benchmarks.md ("Live-Updates: Fan-out").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import math
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

# bench/pages.py (the page benchmark) starts the server and describes the machine; reuse that.
from pages import (
    _free_port,
    admin,
    drop_redis_prefix,
    loadavg,
    machine,
    pick_server,
    run,
    server_command,
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
from beteiligung.consultations.models import Consultation, ConsultationStatus, Phase  # noqa: E402
from beteiligung.demo import participation as demo  # noqa: E402
from beteiligung.demo.seed import seed_organisation  # noqa: E402
from beteiligung.live.events import ProposalSupportChanged, encode  # noqa: E402
from beteiligung.proposals.models import Proposal  # noqa: E402
from beteiligung.settings import Settings  # noqa: E402

HISTORY = 10_000  # RedisBroker's default MAXLEN (~) of the event stream
FIRST_ADDRESS = ipaddress.IPv4Address("127.1.0.1")
SUPPORTER = "fanout-supporter@bench.beteiligung.invalid"
now = time.perf_counter  # one clock for publisher and clients: they share this process


# ---------------------------------------------------------------------------------------------
# Data: one organisation, one published consultation collecting proposals, one proposal
# ---------------------------------------------------------------------------------------------
@dataclass
class Seeded:
    consultation_id: int
    proposal_id: int
    password: str


async def seed(db_url: str) -> Seeded:
    settings = Settings(database_url=db_url, secret_key=secrets.token_urlsafe(48))
    config = make_alchemy_config(settings)
    password = "Fanout-" + secrets.token_urlsafe(12)
    at = datetime.now(UTC)
    day = timedelta(days=1)
    try:
        async with config.get_session() as db:
            org = await seed_organisation(db)
            author = await account_actions.create_user(
                db,
                org=org,
                email="fanout-author@bench.beteiligung.invalid",
                password="Fanout-" + secrets.token_urlsafe(12),
                display_name="Lüneburger:in",
                role=Role.RESIDENT,
                now=at,
            )
            await account_actions.create_user(
                db,
                org=org,
                email=SUPPORTER,
                password=password,
                display_name="Unterstützer:in",
                role=Role.RESIDENT,
                now=at,
            )
            consultation = Consultation(
                organisation_id=org.id,
                slug="isek-fanout",
                title="ISEK 2030+: Stadt der Arbeit und Ideen",
                summary=demo.ARBEIT_SUMMARY,
                body=demo.ARBEIT_BODY,
                status=ConsultationStatus.PUBLISHED,
                published_at=at - 21 * day,
                phases=[
                    Phase(kind=kind, description=text, starts_at=at + start, ends_at=at + end)
                    for kind, start, end, text in demo.ARBEIT_PHASES
                ],
            )
            db.add(consultation)
            await db.flush()
            proposal = Proposal(
                consultation_id=consultation.id,
                author_id=author.id,
                title=demo.PROPOSALS[0].title[:150],
                body=demo.PROPOSALS[0].body,
            )
            db.add(proposal)
            await db.commit()
            return Seeded(consultation.id, proposal.id, password)
    finally:
        await config.get_engine().dispose()


# ---------------------------------------------------------------------------------------------
# SSE client: a bare asyncio protocol, so 10,000 of them cost little CPU
# ---------------------------------------------------------------------------------------------
class SSEClient(asyncio.Protocol):
    """One ``GET /live/vorschlaege/<id>``. Stamps each ``id:`` line with the time the socket
    callback saw it. The body is chunked; chunk-size lines are hex numbers and never look like
    ``id:``, so the client reads lines and skips them."""

    __slots__ = (
        "closed_at",
        "connected_at",
        "error",
        "head",
        "received",
        "request",
        "resets",
        "sent_at",
        "status",
        "tail",
        "transport",
    )

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.status = 0
        self.tail = b""
        self.sent_at = 0.0
        self.connected_at = 0.0  # ": verbunden" seen: the server has subscribed this stream
        self.closed_at = 0.0
        self.received: list[tuple[bytes, float]] = []
        self.resets = 0
        self.error = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.sent_at = now()
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        at = now()
        if not self.status:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self.status = int(self.head[9:12])
            data, self.head = self.head[end + 4 :], b""
            if self.status != 200:
                self.error = f"HTTP {self.status}"
                assert self.transport is not None
                self.transport.close()
                return
        lines = (self.tail + data).split(b"\n")
        self.tail = lines.pop()
        for line in lines:
            if line.startswith(b"id: "):
                self.received.append((line[4:].rstrip(b"\r"), at))
            elif line.startswith(b": verbunden"):
                self.connected_at = at
            elif line.startswith(b"event: reset"):
                self.resets += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed_at = now()
        if not self.error:
            self.error = f"closed ({type(exc).__name__})" if exc else "closed by the server"


def address(index: int, per_address: int) -> str:
    """127.1.0.1, 127.1.0.2, … skipping .0 and .255 in the last octet."""
    n = index // per_address
    return str(FIRST_ADDRESS + (n // 254) * 256 + n % 254)


async def open_client(host: str, port: int, request: bytes, source: str) -> SSEClient:
    client = SSEClient(request)
    try:
        await asyncio.get_running_loop().create_connection(lambda: client, host, port, local_addr=(source, 0))
    except OSError as exc:
        client.error = f"connect: {type(exc).__name__} {exc.errno or ''}".strip()
        client.closed_at = now()
    return client


def sse_request(host: str, port: int, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nUser-Agent: bench-fanout\r\n\r\n"
    ).encode()


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in ms (``values`` in seconds)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000


def summary(values: list[float]) -> str:
    return (
        f"p50 {pct(values, 0.5):.1f} / p95 {pct(values, 0.95):.1f} / p99 {pct(values, 0.99):.1f} / "
        f"max {pct(values, 1.0):.1f} ms"
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores, all processes)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listen queue was full (all sockets)."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return -1
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split(), strict=False)).get("ListenOverflows", -1))
    return -1


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


class LoopLag:
    """How late this process's event loop wakes a 5 ms timer: the part of a measured latency that
    the client itself may have added while it was busy reading other sockets."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            t = now()
            await asyncio.sleep(0.005)
            self.lags.append(now() - t - 0.005)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


@dataclass
class Floor:
    name: str
    latencies: list[float]
    expected: int

    def row(self) -> str:
        v = self.latencies
        return (
            f"| {self.name} | {len(v)}/{self.expected} | {pct(v, 0.5):.2f} | {pct(v, 0.95):.2f} | "
            f"{pct(v, 0.99):.2f} | {pct(v, 1.0):.2f} |"
        )


async def floor_pubsub(redis_url: str, prefix: str, messages: int, spacing: float) -> Floor:
    """A bare Redis PUBLISH to one redis-py subscriber."""
    from redis.asyncio import Redis

    pub, sub_conn = Redis.from_url(redis_url), Redis.from_url(redis_url)
    channel = f"{prefix}:floor:pubsub"
    sent: dict[bytes, float] = {}
    got: dict[bytes, float] = {}
    pubsub = sub_conn.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1)  # the subscribe confirmation

    async def listen() -> None:
        while len(got) < messages:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
            if msg is None:
                return
            got[msg["data"]] = now()

    try:
        reader = asyncio.create_task(listen())
        for i in range(messages):
            body = str(i).encode()
            sent[body] = now()
            await pub.publish(channel, body)
            await asyncio.sleep(spacing)
        await asyncio.wait_for(reader, timeout=10)
    finally:
        await pubsub.aclose()
        await pub.aclose()
        await sub_conn.aclose()
    return Floor(
        "Redis `PUBLISH` → 1 redis-py subscriber", [got[k] - sent[k] for k in got if k in sent], messages
    )


async def floor_stream(redis_url: str, prefix: str, messages: int, spacing: float) -> Floor:
    """XADD to one XREAD BLOCK reader: the broker's listener, without the app."""
    from redis.asyncio import Redis

    writer, reader_conn = Redis.from_url(redis_url), Redis.from_url(redis_url)
    key = f"{prefix}:floor:stream"
    sent: dict[bytes, float] = {}
    got: dict[bytes, float] = {}

    async def read() -> None:
        last = "$"
        while len(got) < messages:
            result = await reader_conn.xread({key: last}, block=5000, count=500)
            if not result:
                return
            t = now()
            for _stream, entries in result:
                for raw_id, _fields in entries:
                    got[raw_id] = t
                    last = raw_id

    event = encode(ProposalSupportChanged(consultation_id=1, proposal_id=1))
    try:
        task = asyncio.create_task(read())
        await asyncio.sleep(0.2)  # the reader is blocked in XREAD
        for _ in range(messages):
            t = now()
            raw_id = await writer.xadd(key, {"ch": "proposal:1,consultation:1", "ev": event}, maxlen=HISTORY)
            sent[raw_id] = t
            await asyncio.sleep(spacing)
        await asyncio.wait_for(task, timeout=10)
    finally:
        await writer.delete(key)
        await writer.aclose()
        await reader_conn.aclose()
    return Floor(
        "Redis `XADD` → 1 `XREAD BLOCK` reader", [got[k] - sent[k] for k in got if k in sent], messages
    )


class Publisher:
    """Publishes like ``RedisBroker._xadd``: one entry of ``<prefix>:live:events``."""

    def __init__(self, redis: Any, prefix: str, seeded: Seeded) -> None:
        self.redis = redis
        self.key = f"{prefix}:live:events"
        event = ProposalSupportChanged(consultation_id=seeded.consultation_id, proposal_id=seeded.proposal_id)
        self.fields = {"ch": ",".join(event.channels()), "ev": encode(event)}
        self.sent: dict[bytes, float] = {}
        self.xadd_rtt: list[float] = []

    async def publish(self) -> bytes:
        t = now()
        raw = await self.redis.xadd(self.key, self.fields, maxlen=HISTORY, approximate=True)
        self.xadd_rtt.append(now() - t)
        event_id = raw if isinstance(raw, bytes) else str(raw).encode()
        self.sent[event_id] = t
        return event_id

    async def run(self, events: int, interval: float) -> list[bytes]:
        ids = []
        start = now()
        for i in range(events):
            await asyncio.sleep(max(0.0, start + i * interval - now()))
            ids.append(await self.publish())
        return ids


async def wait_for(condition: Any, timeout: float, step: float = 0.05) -> bool:
    deadline = now() + timeout
    while now() < deadline:
        if condition():
            return True
        await asyncio.sleep(step)
    return condition()


@dataclass
class Run:
    clients: int
    held: int = 0
    connected: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    per_event: list[tuple[int, list[float]]] = field(default_factory=list)  # (received, latencies)
    expected: int = 0
    missing: int = 0
    resets: int = 0
    ramp_seconds: float = 0.0
    subscribed_seconds: float = 0.0
    ramp_cpu: float = 0.0
    overflows: int = 0
    connect_latencies: list[float] = field(default_factory=list)
    rss_idle: int = 0
    rss_connected: int = 0
    rss_after: int = 0
    fds_connected: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_cpu: float = 0.0
    event_seconds: float = 0.0
    loop_lag: list[float] = field(default_factory=list)
    xadd_rtt: list[float] = field(default_factory=list)
    floors: list[Floor] = field(default_factory=list)
    e2e: Floor | None = None
    e2e_post: list[float] = field(default_factory=list)
    load_before: str = ""
    load_after: str = ""


async def single_client(
    host: str, port: int, path: str, publisher: Publisher, messages: int, spacing: float
) -> Floor:
    """The app's own path with one subscriber: XADD → listener → hub → SSE → client."""
    client = await open_client(host, port, sse_request(host, port, path), "127.0.0.1")
    try:
        if not await wait_for(lambda: client.connected_at > 0 or client.closed_at > 0, 30):
            raise SystemExit("the single SSE client was not subscribed within 30 s")
        if not client.connected_at:
            raise SystemExit(f"the single SSE client failed: {client.error}")
        ids = [await _publish_spaced(publisher, spacing) for _ in range(messages)]
        await wait_for(lambda: len(client.received) >= messages, 5)
    finally:
        if client.transport is not None:
            client.transport.close()
    got = dict(client.received)
    return Floor(
        "Redis `XADD` → app → 1 SSE client", [got[i] - publisher.sent[i] for i in ids if i in got], messages
    )


async def _publish_spaced(publisher: Publisher, spacing: float) -> bytes:
    event_id = await publisher.publish()
    await asyncio.sleep(spacing)
    return event_id


async def e2e_supports(
    base: str,
    proposal_id: int,
    password: str,
    clients: list[SSEClient],
    known: set[bytes],
    actions: int,
    interval: float,
) -> tuple[Floor, list[float]]:
    """A resident supports and withdraws through real POSTs; the app publishes after the commit.
    Latency: the POST leaving this process → the event at each client."""
    async with httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False) as http:
        await http.get("/anmelden")
        token = http.cookies.get("csrftoken")
        r = await http.post(
            "/anmelden", data={"email": SUPPORTER, "password": password, "_csrf_token": token}
        )
        if r.status_code != 303:
            raise SystemExit(f"login for the end-to-end path failed: HTTP {r.status_code}")
        token = http.cookies.get("csrftoken")
        started: list[float] = []
        post_times: list[float] = []
        for i in range(actions):
            verb = "unterstuetzen" if i % 2 == 0 else "zurueckziehen"
            t = now()
            r = await http.post(f"/vorschlaege/{proposal_id}/{verb}", data={"_csrf_token": token})
            post_times.append(now() - t)
            if r.status_code != 303:
                raise SystemExit(f"POST {verb}: HTTP {r.status_code}")
            started.append(t)
            await asyncio.sleep(interval)  # also lets the last event reach every client
    # The events' ids are new to the publisher; ids grow with time, so the k-th new id is action k.
    return _match_new_ids(started, clients, known, actions), post_times


def _match_new_ids(started: list[float], clients: list[SSEClient], known: set[bytes], actions: int) -> Floor:
    first_seen: dict[bytes, float] = {}
    for c in clients:
        for event_id, at in c.received:
            if at >= started[0] and event_id not in known:
                first_seen[event_id] = min(at, first_seen.get(event_id, at))
    new_ids = sorted(first_seen, key=lambda i: tuple(int(x) for x in i.split(b"-")))
    by_id = dict(zip(new_ids, started, strict=False))
    latencies = [at - by_id[i] for c in clients for i, at in c.received if i in by_id]
    return Floor("support `POST` → app → all clients (end to end)", latencies, actions * len(clients))


async def fan_out(
    host: str,
    port: int,
    pid: int,
    seeded: Seeded,
    args: argparse.Namespace,
    n: int,
    prefix: str,
    base: str,
) -> Run:
    from redis.asyncio import Redis

    result = Run(clients=n)
    redis = Redis.from_url(args.redis)
    publisher = Publisher(redis, prefix, seeded)
    path = f"/live/vorschlaege/{seeded.proposal_id}"
    try:
        # Floors first, on a quiet machine; the single-client run also warms the app's live path.
        print("  floors …", flush=True)
        result.floors.append(await floor_pubsub(args.redis, prefix, args.floor_messages, args.floor_spacing))
        result.floors.append(await floor_stream(args.redis, prefix, args.floor_messages, args.floor_spacing))
        result.floors.append(
            await single_client(host, port, path, publisher, args.floor_messages, args.floor_spacing)
        )
        for f in result.floors:
            print(f"    {f.name}: {summary(f.latencies)}", flush=True)
        publisher.sent.clear()
        publisher.xadd_rtt.clear()
        await asyncio.sleep(1.0)
        result.rss_idle = rss_kib(pid)

        # Ramp: batches of connections from distinct loopback addresses.
        request = sse_request(host, port, path)
        clients: list[SSEClient] = []
        tasks: list[asyncio.Task[SSEClient]] = []
        loop = asyncio.get_running_loop()
        t0, ramp_cpu0, overflows0 = now(), cpu_seconds(pid), listen_overflows()
        for start in range(0, n, args.ramp_batch):
            for i in range(start, min(n, start + args.ramp_batch)):
                tasks.append(loop.create_task(open_client(host, port, request, address(i, args.per_address))))
            await asyncio.sleep(args.ramp_interval)
        clients = list(await asyncio.gather(*tasks))
        result.ramp_seconds = now() - t0
        await wait_for(
            lambda: all(c.connected_at or c.closed_at for c in clients), args.connect_timeout, step=0.2
        )
        result.subscribed_seconds = now() - t0
        result.ramp_cpu = cpu_seconds(pid) - ramp_cpu0
        result.overflows = listen_overflows() - overflows0
        result.connected = sum(1 for c in clients if c.connected_at and not c.closed_at)
        result.connect_latencies = [c.connected_at - c.sent_at for c in clients if c.connected_at]
        print(
            f"  {result.connected:,} of {n:,} subscribed after {result.subscribed_seconds:.1f} s "
            f"(ramp {result.ramp_seconds:.1f} s); connect {summary(result.connect_latencies)}",
            flush=True,
        )
        await asyncio.sleep(2.0)
        result.rss_connected = rss_kib(pid)
        result.fds_connected = open_fds(pid)

        # Events.
        result.load_before = loadavg()
        cpu0, ccpu0, busy0, t_events = cpu_seconds(pid), time.process_time(), machine_busy(), now()
        with LoopLag() as lag:
            ids = await publisher.run(args.events, args.interval)
            await wait_for(
                lambda: all(len(c.received) >= len(ids) or c.closed_at for c in clients if c.connected_at),
                args.grace,
            )
        result.event_seconds = now() - t_events
        result.server_cpu = cpu_seconds(pid) - cpu0
        result.client_cpu = time.process_time() - ccpu0
        result.machine_cpu = machine_busy() - busy0
        result.loop_lag = lag.lags
        result.load_after = loadavg()
        result.rss_after = rss_kib(pid)
        result.xadd_rtt = list(publisher.xadd_rtt)

        first = ids[0] if ids else b""
        wanted = set(ids)
        per_event: dict[bytes, list[float]] = {i: [] for i in ids}
        for c in clients:
            got = {i: at for i, at in c.received if i in wanted}
            result.resets += c.resets
            if c.connected_at and first in got:
                result.held += 1
            elif c.connected_at:
                result.failures["subscribed, first event never arrived"] += 1
            else:
                result.failures[c.error or "not subscribed within the timeout"] += 1
            if c.connected_at:
                for i in ids:
                    if i in got:
                        per_event[i].append(got[i] - publisher.sent[i])
                    else:
                        result.missing += 1
        result.expected = sum(len(ids) for c in clients if c.connected_at)
        result.per_event = [(len(per_event[i]), per_event[i]) for i in ids]
        result.latencies = [v for i in ids for v in per_event[i]]
        for k, (count, values) in enumerate(result.per_event, 1):
            print(
                f"    event {k:2}: {count:,} clients, first {pct(values, 0):.1f} ms, {summary(values)}",
                flush=True,
            )
        print(f"  fan-out: {summary(result.latencies)}", flush=True)

        if args.e2e_events:
            live = [c for c in clients if c.connected_at and not c.closed_at]
            result.e2e, result.e2e_post = await e2e_supports(
                base,
                seeded.proposal_id,
                seeded.password,
                live,
                set(publisher.sent),
                args.e2e_events,
                args.interval,
            )
            print(f"  {result.e2e.name}: {summary(result.e2e.latencies)}", flush=True)

        for c in clients:
            if c.transport is not None:
                c.transport.abort()
    finally:
        await redis.aclose()
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def report(r: Run, args: argparse.Namespace) -> str:
    failed = r.clients - r.held
    per_conn = (r.rss_connected - r.rss_idle) / r.connected if r.connected else float("nan")
    deliveries = len(r.latencies)
    out = [
        "| clients requested | held | failed | deliveries | p50 ms | p95 ms | p99 ms | max ms | "
        "server RSS idle → connected | RSS per connection |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r.clients:,} | {r.held:,} | {failed:,} | {deliveries:,}/{r.expected:,} | "
        f"{pct(r.latencies, 0.5):.0f} | {pct(r.latencies, 0.95):.0f} | {pct(r.latencies, 0.99):.0f} | "
        f"{pct(r.latencies, 1.0):.0f} | {r.rss_idle / 1024:.0f} → {r.rss_connected / 1024:.0f} MiB | "
        f"{per_conn:.1f} KiB |",
        "",
    ]
    p50s = [pct(v, 0.5) for _, v in r.per_event if v]
    lasts = [pct(v, 1.0) for _, v in r.per_event if v]
    if p50s:
        out.append(
            f"- per event ({len(r.per_event)} events, one every {args.interval:g} s): p50 {min(p50s):.0f}–"
            f"{max(p50s):.0f} ms, slowest client {min(lasts):.0f}–{max(lasts):.0f} ms"
        )
    out.append(
        f"- ramp: {r.clients:,} connects in batches of {args.ramp_batch} every {args.ramp_interval * 1000:g} ms "
        f"took {r.ramp_seconds:.1f} s; all answered after {r.subscribed_seconds:.1f} s; time to subscribed "
        f"{summary(r.connect_latencies)}; server CPU {r.ramp_cpu:.1f} s "
        f"(≈ {r.ramp_cpu / max(1, r.connected) * 1000:.1f} ms per stream); listen-queue overflows "
        f"(kernel, TcpExt ListenOverflows): {r.overflows:,}"
    )
    if r.failures:
        out.append("- failed: " + ", ".join(f"{k}: {v}" for k, v in r.failures.most_common()))
    if r.missing or r.resets:
        out.append(f"- deliveries missing: {r.missing}, `reset` events: {r.resets}")
    deliveries_cpu = r.server_cpu / deliveries * 1e6 if deliveries else float("nan")
    out.append(
        f"- server CPU during the events: {r.server_cpu:.1f} s in {r.event_seconds:.1f} s "
        f"(≈ {deliveries_cpu:.0f} µs per delivery); RSS after the events {r.rss_after / 1024:.0f} MiB; "
        f"open fds {r.fds_connected:,}"
    )
    out.append(
        f"- client (same machine): {r.client_cpu:.1f} s CPU in the same time; its loop woke a 5 ms timer "
        f"late by p99 {pct(r.loop_lag, 0.99):.1f} / max {pct(r.loop_lag, 1.0):.1f} ms; XADD round trip "
        f"p50 {pct(r.xadd_rtt, 0.5):.2f} ms"
    )
    other = max(0.0, r.machine_cpu - r.server_cpu - r.client_cpu)  # tick rounding can make it < 0
    out.append(
        f"- whole machine during the events: {r.machine_cpu:.1f} CPU-s of {r.event_seconds * (os.cpu_count() or 1):.1f}; "
        f"everything but server and client (Redis, PostgreSQL, other work): {other:.1f} CPU-s; "
        f"load average {r.load_before} → {r.load_after}"
    )
    out += [
        "",
        "| floor (same run) | received | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        *(f.row() for f in r.floors),
    ]
    if r.e2e is not None:
        out.append(r.e2e.row())
        out.append("")
        out.append(
            f"- end to end: {args.e2e_events} support/withdraw POSTs (non-htmx, 303) while all clients were "
            f"connected; the POST itself took {summary(r.e2e_post)}"
        )
    return "\n".join(out)


def raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(needed, soft)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < needed:
        print(f"warning: open-file limit {soft} < {needed}: some connections will fail", flush=True)
    return soft


def serve(
    kind: str, port: int, nofile: int, n: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    command = server_command(kind, port, 1)
    if kind == "granian":  # its default caps a worker at 1,024 concurrent requests (STACK gotcha 14)
        command[-1:-1] = ["--backlog", "16384", "--backpressure", str(n + 1000)]
    prlimit = shutil.which("prlimit")
    if prlimit:  # prlimit sets the limit and execs the server: the pid stays the server's
        command = [prlimit, f"--nofile={nofile}:{nofile}", "--", *command]
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients",
        default="1000",
        help="SSE clients; a comma-separated list runs each size on a fresh server",
    )
    parser.add_argument("--events", type=int, default=20, help="events published to all clients")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--ramp-batch", type=int, default=250, help="connections opened per batch")
    parser.add_argument("--ramp-interval", type=float, default=0.05, help="seconds between batches")
    parser.add_argument(
        "--per-address", type=int, default=1, help="clients per source address (app limit: 20)"
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=120, help="seconds to wait for subscriptions"
    )
    parser.add_argument("--grace", type=float, default=10, help="seconds to wait for the last deliveries")
    parser.add_argument("--floor-messages", type=int, default=200, help="messages per floor measurement")
    parser.add_argument("--floor-spacing", type=float, default=0.02, help="seconds between floor messages")
    parser.add_argument("--e2e-events", type=int, default=6, help="support POSTs through the app (0: skip)")
    parser.add_argument("--server", choices=["auto", "uvicorn", "granian"], default="uvicorn")
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL, no database"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep-db", action="store_true", help="keep the database (its name is printed)")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.clients.split(",") if s]
    if not 1 <= args.per_address <= 20:
        parser.error("--per-address must be 1..20 (the app allows 20 streams per client address)")

    nofile = raise_fd_limit(max(sizes) + 500)
    kind = pick_server(args.server)
    db_name = f"beteiligung_fanout_{secrets.token_hex(4)}"
    db_url = args.pg.replace("postgresql://", "postgresql+asyncpg://") + f"/{db_name}"
    info = machine()
    info.update(asyncio.run(service_versions(args.pg, args.redis)))
    info["server"] = f"{server_version(kind)}, one process, open-file limit {nofile:,}"
    info["client"] = (
        "asyncio protocols on uvloop, one process on the same machine, one source address per client"
    )
    log_path = Path(f"/tmp/{db_name}.server.log")

    print(f"Database {db_name}; server log {log_path}", flush=True)
    asyncio.run(admin(args.pg, f'CREATE DATABASE "{db_name}"'))
    prefixes: list[str] = []
    results: list[Run] = []
    try:
        migrate_database(Settings(database_url=db_url, secret_key=secrets.token_urlsafe(48)))
        seeded = asyncio.run(seed(db_url))
        print(f"Consultation {seeded.consultation_id}, proposal {seeded.proposal_id}", flush=True)
        for n in sizes:
            prefix = f"beteiligung_fanout_{secrets.token_hex(4)}"
            prefixes.append(prefix)
            port = _free_port()
            host = "127.0.0.1"
            base = f"http://{host}:{port}"
            env = {
                **os.environ,
                "BETEILIGUNG_ENV": "production",
                "BETEILIGUNG_DATABASE_URL": db_url,
                "BETEILIGUNG_REDIS_URL": args.redis,
                "BETEILIGUNG_REDIS_PREFIX": prefix,
                "BETEILIGUNG_SECRET_KEY": secrets.token_urlsafe(48),
                "BETEILIGUNG_BASE_URL": base,
                # Plain http on loopback: without this the cookies are `Secure` and httpx would not
                # send them back (only the end-to-end POSTs log in).
                "BETEILIGUNG_SECURE_COOKIES": "false",
                "BETEILIGUNG_DEMO": "false",
                "PYTHONPATH": str(ROOT / "src"),
            }
            print(f"\n{n:,} clients: starting {kind} on {base}", flush=True)
            proc = serve(kind, port, nofile, n, env, log_path)
            try:
                asyncio.run(wait_ready(base, proc))
                results.append(run(fan_out(host, port, proc.pid, seeded, args, n, prefix, base)))
            finally:
                stop(proc)
    finally:
        for prefix in prefixes:
            asyncio.run(drop_redis_prefix(args.redis, prefix))
        if args.keep_db:
            print(f"Kept database {db_name} ({db_url})")
        else:
            asyncio.run(admin(args.pg, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))

    print()
    print(f"Date: {datetime.now(UTC):%Y-%m-%d}")
    print(" ".join(["Command: .venv/bin/python bench/fanout.py", *sys.argv[1:]]))
    for key, value in info.items():
        print(f"- {key}: {value}")
    print(
        f"- events: {args.events}, one every {args.interval:g} s, XADD of a ProposalSupportChanged to "
        "`<prefix>:live:events` as the app publishes; latency = XADD sent → `id:` line read by the client"
    )
    for r in results:
        print(f"\n#### {r.clients:,} clients\n")
        print(report(r, args))


if __name__ == "__main__":
    main()
