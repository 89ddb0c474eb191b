"""Page benchmark: the proposal list and a proposal page against a plain Litestar route.

Fills a PostgreSQL database of its own with one published consultation that collects proposals
now: 10,000 proposals, 100,000 threaded comments, supports and comment votes from ~500 residents.
Then it starts the app as production runs it (uvicorn, one worker per core, PostgreSQL and
Redis, ``BETEILIGUNG_ENV=production``) and loads each URL in turn with the same client, the same
server and the same settings, for a fixed time after a warm-up. The figure is the ratio of the
list page's requests per second to the plain route's (``/healthz``: no database, no template).

    .venv/bin/python bench/pages.py                      # the defaults below, ~3 minutes
    .venv/bin/python bench/pages.py --proposals 900 --duration 10 --keep

Needs PostgreSQL (``--pg``, trust auth or a password in the URL) and Redis (``--redis``). The
database ``beteiligung_bench_<random>`` is dropped at the end unless ``--keep``. Results and
the machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import math
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from beteiligung.accounts.passwords import hash_password  # noqa: E402
from beteiligung.app import make_alchemy_config  # noqa: E402
from beteiligung.cli import migrate_database  # noqa: E402
from beteiligung.consultations.models import Consultation, ConsultationStatus, Phase, Topic  # noqa: E402
from beteiligung.consultations.phases import PhaseKind  # noqa: E402
from beteiligung.demo import participation as demo  # noqa: E402
from beteiligung.demo.seed import seed_organisation  # noqa: E402
from beteiligung.settings import Settings  # noqa: E402

DAY = timedelta(days=1)
SLUG = "isek-stadt-der-arbeit-und-ideen"
T = TypeVar("T")
MARK = "Beitrag Nr. "  # every bench comment carries "Beitrag Nr. <id>", so a page's comments can be counted


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
@dataclass
class Filled:
    slug: str
    proposals: int
    comments: int
    supports: int
    votes: int
    users: int
    seconds: float
    typical_proposal: tuple[int, int] = (0, 0)  # id, comments
    busiest_proposal: tuple[int, int] = (0, 0)
    timings: dict[str, float] = field(default_factory=dict)


def _texts() -> tuple[list[str], list[str], list[str]]:
    """Titles, proposal bodies and comment bodies from the Lüneburg demo, to vary the text."""
    titles = [p.title for p in demo.PROPOSALS]
    bodies = [p.body for p in demo.PROPOSALS]
    comments: list[str] = []

    def walk(specs: tuple[demo.C, ...]) -> None:
        for spec in specs:
            comments.append(spec.body)
            walk(spec.replies)

    for p in demo.PROPOSALS:
        walk(p.comments)
    walk(demo.DIGITAL_COMMENTS)
    walk(demo.LEERSTAND_COMMENTS)
    return titles, bodies, comments


def _weights(n: int, rng: random.Random, skew: float = 0.6) -> list[float]:
    """Popularity per proposal: half of the activity spread evenly, half on a power law over a
    shuffled ranking, so a few proposals draw hundreds of comments and most draw a handful."""
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    power = [r**-skew for r in ranks]
    total = sum(power)
    return [0.5 / n + 0.5 * p / total for p in power]


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """``total`` items over the weights, exactly (largest remainders)."""
    raw = [total * w for w in weights]
    counts = [math.floor(x) for x in raw]
    rest = total - sum(counts)
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[:rest]:
        counts[i] += 1
    return counts


async def _reserve_ids(conn: asyncpg.Connection, table: str, n: int) -> list[int]:
    """Take ``n`` ids from the table's sequence, so the app's own inserts continue after them."""
    rows = await conn.fetch(f"SELECT nextval('{table}_id_seq') AS id FROM generate_series(1, $1)", n)
    return [r["id"] for r in rows]


async def fill(url: str, args: argparse.Namespace) -> Filled:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    now = datetime.now(UTC)
    settings = Settings(database_url=url, secret_key=secrets.token_urlsafe(48))

    # The organisation, topics and the consultation through the models, like the app.
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            org = await seed_organisation(db)
            topics = [Topic(organisation_id=org.id, slug=s, name=n) for s, n in demo.TOPICS.items()]
            consultation = Consultation(
                organisation_id=org.id,
                slug=SLUG,
                title="ISEK 2030+: Stadt der Arbeit und Ideen – Ihre Vorschläge",
                summary=demo.ARBEIT_SUMMARY,
                body=demo.ARBEIT_BODY,
                subject=demo.ARBEIT_SUBJECT,
                scope_of_decision=demo.ARBEIT_SCOPE,
                contact_name=demo.CONTACT_NAME,
                contact_details=demo.CONTACT_DETAILS,
                status=ConsultationStatus.PUBLISHED,
                published_at=now - 21 * DAY,
                topics=topics,
                phases=[
                    Phase(kind=kind, description=text, starts_at=now + start, ends_at=now + end)
                    for kind, start, end, text in demo.ARBEIT_PHASES
                ],
            )
            db.add(consultation)
            await db.commit()
            org_id, consultation_id = org.id, consultation.id
            topic_ids = [t.id for t in topics]
            assert consultation.active_phase(now).kind == PhaseKind.COLLECTION  # type: ignore[union-attr]
    finally:
        await config.get_engine().dispose()

    titles, bodies, comment_texts = _texts()
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        # Residents: one password hash for all (Argon2 takes ~150 ms per hash).
        t = time.perf_counter()
        password_hash = await hash_password("bench-" + secrets.token_urlsafe(12))
        user_ids = await _reserve_ids(conn, "user_account", args.users)
        await conn.copy_records_to_table(
            "user_account",
            columns=[
                "id",
                "email",
                "email_verified_at",
                "password_hash",
                "display_name",
                "locale",
                "auth_version",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    uid,
                    f"bench{i}@bench.beteiligung.invalid",
                    now,
                    password_hash,
                    f"Lüneburger:in {i}",
                    "de",
                    1,
                    now,
                    now,
                )
                for i, uid in enumerate(user_ids)
            ],
        )
        member_ids = await _reserve_ids(conn, "membership", args.users)
        await conn.copy_records_to_table(
            "membership",
            columns=["id", "user_id", "organisation_id", "role", "created_at", "updated_at"],
            records=[
                (mid, uid, org_id, "resident", now, now)
                for mid, uid in zip(member_ids, user_ids, strict=True)
            ],
        )
        timings["users"] = time.perf_counter() - t

        # Proposals over the ten days of the collection phase so far.
        t = time.perf_counter()
        n = args.proposals
        proposal_ids = await _reserve_ids(conn, "proposal", n)
        authors = [rng.choice(user_ids) for _ in range(n)]
        created = sorted(now - timedelta(seconds=rng.uniform(600, 10 * 86400)) for _ in range(n))
        proposal_rows = [
            (
                pid,
                consultation_id,
                authors[i],
                f"{rng.choice(titles)[:130]} ({i + 1})",
                rng.choice(bodies),
                rng.choice(topic_ids),
                rng.choice(["Am Sande", "Stintmarkt", "Kaltenmoor", "Leuphana Campus", "Bahnhof", ""]),
                "ONLINE",  # enum names, as SQLAlchemy stores them
                "",
                0,  # the triggers count
                0,
                "NONE",
                "",
                created[i],
                created[i],
            )
            for i, pid in enumerate(proposal_ids)
        ]
        # Each insert bumps the consultation's proposal_count (trigger): several short transactions
        # keep that one row's version chain short.
        for chunk in _chunks(proposal_rows, 500):
            await conn.copy_records_to_table(
                "proposal",
                columns=[
                    "id",
                    "consultation_id",
                    "author_id",
                    "title",
                    "body",
                    "topic_id",
                    "place",
                    "source",
                    "source_note",
                    "support_count",
                    "comment_count",
                    "answer_state",
                    "answer_text",
                    "created_at",
                    "updated_at",
                ],
                records=chunk,
            )
        timings["proposals"] = time.perf_counter() - t

        weights = _weights(n, rng)
        cum = list(_cumulative(weights))

        # Comments: per proposal a share by popularity; ~40 % are replies (depth up to 3).
        t = time.perf_counter()
        per_proposal = _split(args.comments, weights, rng)
        comment_ids = await _reserve_ids(conn, "comment", args.comments)
        comment_rows: list[tuple[Any, ...]] = []
        comment_meta: list[tuple[int, int]] = []  # (comment id, author) for the votes
        next_id = iter(comment_ids)
        for i, count in enumerate(per_proposal):
            thread: list[tuple[int, int, datetime]] = []  # id, depth, created
            base = created[i]
            span = max(60.0, (now - base).total_seconds() - 60)
            times = sorted(base + timedelta(seconds=rng.uniform(30, span)) for _ in range(count))
            for at in times:
                cid = next(next_id)
                parent = None
                depth = 1
                if thread and rng.random() < 0.4:
                    candidates = [c for c in thread[-30:] if c[1] < 3]
                    if candidates:
                        parent = rng.choice(candidates)
                        depth = parent[1] + 1
                author = rng.choice(user_ids)
                body = f"{rng.choice(comment_texts)} ({MARK}{cid})"
                comment_rows.append(
                    (
                        cid,
                        consultation_id,
                        proposal_ids[i],
                        parent[0] if parent else None,
                        depth,
                        author,
                        body,
                        0,
                        0,
                        at,
                        at,
                    )
                )
                comment_meta.append((cid, author))
                thread.append((cid, depth, at))
        for chunk in _chunks(comment_rows, 5_000):
            await conn.copy_records_to_table(
                "comment",
                columns=[
                    "id",
                    "consultation_id",
                    "proposal_id",
                    "parent_id",
                    "depth",
                    "author_id",
                    "body",
                    "upvotes",
                    "downvotes",
                    "created_at",
                    "updated_at",
                ],
                records=chunk,
            )
        timings["comments"] = time.perf_counter() - t

        # Supports: unique per resident and proposal, never the author's own, skewed like comments.
        t = time.perf_counter()
        target = min(args.supports, n * (len(user_ids) - 1))
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < target:
            i = _pick(cum, rng)
            uid = rng.choice(user_ids)
            if uid != authors[i]:
                pairs.add((i, uid))
        support_ids = await _reserve_ids(conn, "support", len(pairs))
        support_rows = []
        for sid, (i, uid) in zip(support_ids, sorted(pairs), strict=True):
            at = created[i] + (now - created[i]) * rng.random()
            support_rows.append((sid, proposal_ids[i], uid, at, at))
        for chunk in _chunks(support_rows, 5_000):
            await conn.copy_records_to_table(
                "support", columns=["id", "proposal_id", "user_id", "created_at", "updated_at"], records=chunk
            )
        timings["supports"] = time.perf_counter() - t

        # Comment votes: unique per resident and comment, never on one's own, four in five up.
        t = time.perf_counter()
        target = min(args.votes, len(comment_meta) * (len(user_ids) - 1))
        votes: dict[tuple[int, int], int] = {}
        while len(votes) < target:
            cid, author = comment_meta[rng.randrange(len(comment_meta))]
            uid = rng.choice(user_ids)
            if uid != author:
                votes[(cid, uid)] = 1 if rng.random() < 0.8 else -1
        vote_ids = await _reserve_ids(conn, "comment_vote", len(votes))
        vote_rows = [
            (vid, cid, uid, value, now, now)
            for vid, ((cid, uid), value) in zip(vote_ids, votes.items(), strict=True)
        ]
        for chunk in _chunks(vote_rows, 5_000):
            await conn.copy_records_to_table(
                "comment_vote",
                columns=["id", "comment_id", "user_id", "value", "created_at", "updated_at"],
                records=chunk,
            )
        timings["votes"] = time.perf_counter() - t

        # Every support and comment above bumped a counter on its proposal (triggers), inside a few
        # big transactions: ~15 dead row versions per proposal that nothing could prune yet, so the
        # table is 10x its live size. A live site spreads those updates over weeks and autovacuum
        # reuses the space; compact once so the pages read a table of its steady-state size.
        t = time.perf_counter()
        await conn.execute("VACUUM (FULL, ANALYZE) proposal, comment, consultation")
        await conn.execute("VACUUM ANALYZE")
        timings["vacuum"] = time.perf_counter() - t

        # The triggers kept the counters: check them against the rows before measuring.
        wrong = await conn.fetchval(
            "SELECT count(*) FROM proposal p WHERE p.comment_count <> "
            "(SELECT count(*) FROM comment c WHERE c.proposal_id = p.id) OR p.support_count <> "
            "(SELECT count(*) FROM support s WHERE s.proposal_id = p.id)"
        )
        assert wrong == 0, f"{wrong} proposals with wrong counters"
        assert (
            await conn.fetchval("SELECT proposal_count FROM consultation WHERE id = $1", consultation_id) == n
        )
        typical = await conn.fetchrow(
            "SELECT id, comment_count FROM proposal WHERE consultation_id = $1 "
            "ORDER BY abs(comment_count - 10), id LIMIT 1",
            consultation_id,
        )
        busiest = await conn.fetchrow(
            "SELECT id, comment_count FROM proposal WHERE consultation_id = $1 ORDER BY comment_count DESC, id LIMIT 1",
            consultation_id,
        )
    finally:
        await conn.close()
    return Filled(
        slug=SLUG,
        proposals=n,
        comments=len(comment_rows),
        supports=len(support_rows),
        votes=len(vote_rows),
        users=len(user_ids),
        seconds=time.perf_counter() - started,
        typical_proposal=(typical["id"], typical["comment_count"]),
        busiest_proposal=(busiest["id"], busiest["comment_count"]),
        timings=timings,
    )


def _cumulative(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def _pick(cum: list[float], rng: random.Random) -> int:
    import bisect

    return min(bisect.bisect_left(cum, rng.random() * cum[-1]), len(cum) - 1)


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# ---------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(kind: str, port: int, workers: int) -> list[str]:
    """The same flags ``beteiligung run`` gives uvicorn (no access log, graceful timeout)."""
    bin_dir = Path(sys.executable).parent
    if kind == "granian":
        return [
            str(bin_dir / "granian"),
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--workers-kill-timeout",
            "5",
            "beteiligung.app:create_app",
        ]
    return [
        str(bin_dir / "uvicorn"),
        "--factory",
        "beteiligung.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--proxy-headers",
        "--timeout-graceful-shutdown",
        "5",
        "--log-level",
        "warning",
    ]


def pick_server(choice: str) -> str:
    bin_dir = Path(sys.executable).parent
    if choice != "auto":
        if not (bin_dir / choice).exists():
            raise SystemExit(f"{choice} is not installed in {bin_dir}")
        return choice
    for kind in ("uvicorn", "granian"):  # uvicorn first: it is what `beteiligung run` uses
        if (bin_dir / kind).exists():
            return kind
    raise SystemExit(f"neither uvicorn nor granian is installed in {bin_dir}")


def server_version(kind: str) -> str:
    from importlib.metadata import version

    try:
        return f"{kind} {version(kind)}"
    except Exception:
        return kind


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with code {proc.returncode}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
    raise SystemExit("the server did not become ready")


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    path: str
    latencies: list[float]
    errors: int
    seconds: float
    client_cpu: float  # seconds of this process's CPU during the measurement

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client: a fraction of httpx's CPU per request, so a client
    sharing the cores with the server takes less from it (``--client raw``)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        reused = self.writer is not None
        try:
            return await self._get(path)
        except (OSError, asyncio.IncompleteReadError) as exc:
            # The server closes a keep-alive connection that sat idle (uvicorn after 5 s, e.g.
            # while the warm-up's slowest requests finish); like httpx and browsers, send the
            # request again once on a new connection instead of counting an error.
            stale = isinstance(exc, ConnectionResetError | BrokenPipeError) or (
                isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
            )
            if not (reused and stale):
                raise
            return await self._get(path)

    async def _get(self, path: str) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.reader, self.writer
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            headers = head.lower()
            length = re.search(rb"\r\ncontent-length: *(\d+)", headers)
            if length:
                await reader.readexactly(int(length.group(1)))
            elif b"transfer-encoding: chunked" in headers:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            if b"\r\nconnection: close" in headers:
                await self.close()
            return status
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _hammer(
    get: Callable[[int], Awaitable[int]], seconds: float, concurrency: int
) -> tuple[list[float], int, float]:
    """``concurrency`` workers call ``get(worker)`` back to back until time is up."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                ok = await get(index) == 200
            except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


async def load(
    base: str, path: str, duration: float, warmup: float, concurrency: int, client_kind: str
) -> tuple[list[float], int, float]:
    """``concurrency`` keep-alive connections request ``path`` back to back; warm-up first."""
    if client_kind == "raw":
        host, port = base.split("//", 1)[1].rsplit(":", 1)
        connections = [RawConnection(host, int(port)) for _ in range(concurrency)]

        async def raw_get(index: int) -> int:
            return await connections[index].get(path)

        try:
            await _hammer(raw_get, warmup, concurrency)
            return await _hammer(raw_get, duration, concurrency)
        finally:
            for connection in connections:
                await connection.close()

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def httpx_get(index: int) -> int:
            return (await client.get(path)).status_code

        await _hammer(httpx_get, warmup, concurrency)
        return await _hammer(httpx_get, duration, concurrency)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """The load runs on uvloop when it is installed (it comes with uvicorn[standard])."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


async def check_pages(base: str, filled: Filled, db_url: str) -> dict[str, str]:
    """Follow each page once and check it shows what it should, before measuring it."""
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        top = await conn.fetch("SELECT title FROM proposal ORDER BY support_count DESC, id DESC LIMIT 20")
        typical_title = await conn.fetchval(
            "SELECT title FROM proposal WHERE id = $1", filled.typical_proposal[0]
        )
        busiest_title = await conn.fetchval(
            "SELECT title FROM proposal WHERE id = $1", filled.busiest_proposal[0]
        )
    finally:
        await conn.close()
    routes = {
        "plain route": "/healthz",
        "proposal list (default: random order)": f"/vorhaben/{filled.slug}/vorschlaege",
        "proposal list (most supported)": f"/vorhaben/{filled.slug}/vorschlaege?sortierung=unterstuetzt",
        f"proposal page ({filled.typical_proposal[1]} comments)": f"/vorschlaege/{filled.typical_proposal[0]}",
        f"proposal page, most comments ({filled.busiest_proposal[1]})": f"/vorschlaege/{filled.busiest_proposal[0]}",
    }
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for path in routes.values():
            r = await client.get(path)
            assert r.status_code == 200, f"{path}: HTTP {r.status_code}"
            text = html.unescape(r.text)
            if path == "/healthz":
                assert r.json() == {"status": "ok"}
            elif "sortierung=unterstuetzt" in path:
                shown = [t["title"] for t in top if t["title"] in text]
                assert len(shown) == 20, f"{path}: {len(shown)} of the 20 most supported proposals shown"
            elif "/vorhaben/" in path:
                assert len(re.findall(r"/vorschlaege/\d+\"", r.text)) >= 20, (
                    f"{path}: fewer than 20 proposals"
                )
                assert f"{filled.proposals:,}".replace(",", ".") in text or str(filled.proposals) in text, (
                    f"{path}: total {filled.proposals} not shown"
                )
            else:
                title = typical_title if path.endswith(f"/{filled.typical_proposal[0]}") else busiest_title
                count = filled.typical_proposal[1] if title == typical_title else filled.busiest_proposal[1]
                assert title in text, f"{path}: title missing"
                found = len(set(re.findall(re.escape(MARK) + r"(\d+)", text)))
                assert found == count, f"{path}: {found} of {count} comments shown"
            print(f"  ok  {path}  ({len(r.content):,} bytes)", flush=True)
    return routes


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def loadavg() -> str:
    """The 1-minute load average: other work on the machine takes cores from the server."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError):
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": f"{os_name} (kernel {platform.release()})",
        "Python": platform.python_version(),
    }


async def service_versions(pg: str, redis_url: str) -> dict[str, str]:
    out: dict[str, str] = {}
    conn = await asyncpg.connect(pg + "/postgres")
    try:
        out["PostgreSQL"] = str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
    try:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        out["Redis"] = str((await client.info("server"))["redis_version"])
        await client.aclose()
    except Exception as exc:
        out["Redis"] = f"unknown ({type(exc).__name__})"
    return out


def table(results: list[Result]) -> str:
    lines = [
        "| route | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} (`{r.path}`) | {r.requests:,} | {r.rps:,.0f} | {r.pct(0.5):.1f} | "
            f"{r.pct(0.95):.1f} | {r.pct(0.99):.1f} | {r.errors} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
async def admin(pg: str, sql: str) -> None:
    conn = await asyncpg.connect(pg + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def drop_redis_prefix(redis_url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--supports", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=50_000, help="comment votes")
    parser.add_argument("--users", type=int, default=500, help="residents who write, support and vote")
    parser.add_argument("--duration", type=float, default=15, help="seconds measured per route")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per route, not counted")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="server processes (default: cores)"
    )
    parser.add_argument("--server", choices=["auto", "uvicorn", "granian"], default="auto")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="load client: a minimal HTTP/1.1 keep-alive client (a tenth of httpx's CPU per request), or httpx",
    )
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server, no database"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--seed", type=int, default=2030, help="random seed of the data")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--fill-only", action="store_true", help="fill and check the data, measure nothing")
    parser.add_argument(
        "--only", default="", help="comma-separated substrings: measure only routes whose path contains one"
    )
    args = parser.parse_args()

    db_name = f"beteiligung_bench_{secrets.token_hex(4)}"
    db_url = args.pg.replace("postgresql://", "postgresql+asyncpg://") + f"/{db_name}"
    prefix = f"beteiligung_bench_{secrets.token_hex(4)}"
    kind = pick_server(args.server)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    info = machine()
    info.update(asyncio.run(service_versions(args.pg, args.redis)))
    info["server"] = f"{server_version(kind)}, {args.workers} worker(s)"
    client_name = (
        f"httpx {httpx.__version__}" if args.client == "httpx" else "minimal asyncio HTTP/1.1 client"
    )
    info["client"] = (
        f"{client_name} on uvloop, {args.concurrency} keep-alive connections, one process on the same machine"
    )

    print(f"Database {db_name}", flush=True)
    asyncio.run(admin(args.pg, f'CREATE DATABASE "{db_name}"'))
    proc: subprocess.Popen[bytes] | None = None
    log_path = Path(f"/tmp/{db_name}.server.log")
    try:
        t = time.perf_counter()
        migrate_database(Settings(database_url=db_url, secret_key=secrets.token_urlsafe(48)))
        print(f"Migrated in {time.perf_counter() - t:.1f} s", flush=True)
        filled = asyncio.run(fill(db_url, args))
        print(
            f"Filled in {filled.seconds:.1f} s: {filled.proposals:,} proposals, {filled.comments:,} comments, "
            f"{filled.supports:,} supports, {filled.votes:,} comment votes, {filled.users} residents "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in filled.timings.items())})",
            flush=True,
        )
        print(
            f"Proposal with ~10 comments: {filled.typical_proposal[0]} ({filled.typical_proposal[1]}); "
            f"most comments: {filled.busiest_proposal[0]} ({filled.busiest_proposal[1]})",
            flush=True,
        )

        env = {
            **os.environ,
            "BETEILIGUNG_ENV": "production",
            "BETEILIGUNG_DATABASE_URL": db_url,
            "BETEILIGUNG_REDIS_URL": args.redis,
            "BETEILIGUNG_REDIS_PREFIX": prefix,
            "BETEILIGUNG_SECRET_KEY": secrets.token_urlsafe(48),
            "BETEILIGUNG_BASE_URL": base,
            "BETEILIGUNG_DEMO": "false",
            "PYTHONPATH": str(ROOT / "src"),
        }
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                server_command(kind, port, args.workers),
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        asyncio.run(wait_ready(base, proc))
        print(f"{info['server']} on {base} (log: {log_path})", flush=True)
        routes = asyncio.run(check_pages(base, filled, db_url))
        if args.fill_only:
            return
        if args.only:
            wanted = [s for s in args.only.split(",") if s]
            routes = {k: v for k, v in routes.items() if any(s in v for s in wanted)}

        results: list[Result] = []
        load_before = loadavg()
        print(f"Load average before measuring: {load_before}", flush=True)
        for name, path in routes.items():
            cpu0 = time.process_time()
            latencies, errors, seconds = run(
                load(base, path, args.duration, args.warmup, args.concurrency, args.client)
            )
            result = Result(name, path, latencies, errors, seconds, time.process_time() - cpu0)
            results.append(result)
            print(
                f"  {name}: {result.rps:,.0f} req/s, p50 {result.pct(0.5):.1f} ms, p95 {result.pct(0.95):.1f} ms, "
                f"errors {errors}, client CPU {result.client_cpu / (seconds + args.warmup):.0%} of a core, "
                f"load average {loadavg()}",
                flush=True,
            )

        print()
        print(f"Date: {datetime.now(UTC):%Y-%m-%d}")
        print(" ".join(["Command: .venv/bin/python bench/pages.py", *sys.argv[1:]]))
        for key, value in info.items():
            print(f"- {key}: {value}")
        print(
            f"- data: {filled.proposals:,} proposals, {filled.comments:,} comments, {filled.supports:,} supports, "
            f"{filled.votes:,} comment votes, {filled.users} residents; filled in {filled.seconds:.0f} s"
        )
        print(f"- per route: {args.warmup:g} s warm-up, then {args.duration:g} s measured")
        print(f"- 1-minute load average before / after: {load_before} / {loadavg()}")
        print()
        print(table(results))
        plain = next((r for r in results if r.path == "/healthz"), None)
        if plain and plain.rps:
            print()
            for r in results:
                if r is not plain:
                    print(
                        f"- {r.name} / plain: {r.rps / plain.rps:.3f} (plain is {plain.rps / r.rps:.1f}× faster)"
                    )
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        asyncio.run(drop_redis_prefix(args.redis, prefix))
        if args.keep:
            print(f"Kept database {db_name} ({db_url})")
        else:
            asyncio.run(admin(args.pg, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
