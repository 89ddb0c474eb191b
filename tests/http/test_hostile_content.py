"""Hostile content everywhere, every page rendered: no payload may become markup (SEC, issue 21).

The Lüneburg demo is loaded, then every text column that people can fill in (residents, staff,
admins, guests: titles, bodies, labels, names, notes, options, topics, the organisation's name …)
is overwritten with a payload that carries a tag naming its table and column. Then every role
crawls the site: every link (``href``) and every htmx fragment (``hx-get``, requested as htmx
does) reachable from the start pages, and every GET route of the app must have been rendered at
least once (a new route that no crawl reaches fails :func:`test_every_page_rendered` until it is
linked or listed in ``NOT_CRAWLED`` with a reason).

A page fails if any element carries the payload's ``data-pwn`` or ``onerror`` attribute, if any
element has an htmx attribute that our templates never write (the payload's ``hx-post`` to the
role page, or any hx value naming the payload), if ``{{7*7}}`` was evaluated, or if it answers 5xx
(the payload also holds ``%s %(x)s 40 %``, which crashed pages that %-formatted staff text).
Columns are found from the schema, so a new text column is covered without editing this test;
``NOT_TEXT`` lists the columns that are not free text (ids, hashes, e-mail addresses, URLs).
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from beteiligung.app import create_app, make_alchemy_config
from beteiligung.db import load_models, metadata
from beteiligung.demo.seed import DEMO_LOGINS, seed_demo
from tests.conftest import login, reset_database

# Columns that hold no free text: identifiers, secrets, addresses and URLs validated on input
# (they cannot hold markup), and codes the app maps to its own labels.
NOT_TEXT = re.compile(
    r"^(slug|email|new_email|contact_email|to_address|key|namespace|token_hash|password_hash|"
    r"submission_key|voter_key|anon_key|locale|domain|embed_origins|video_url|link|kind|"
    r"target_kind|purpose|auto_reasons)$"
)

LONG = (
    '</select></textarea><div hx-post="/verwaltung/rollen" hx-trigger="load" data-pwn="{t}">x</div>'
    '<img src=x onerror=alert(1) data-pwn="{t}">{{{{7*7}}}} %s %(x)s 40 % {t}#'
)
SHORT = '<i data-pwn="{t}">%s</i> 40 % {t}#'

# GET routes no crawl reaches, and why.
NOT_CRAWLED = {
    "/email-bestaetigen": "needs a token from a mail",
    "/passwort-neu": "needs a token from a mail",
    "/healthz": "no page",
    "/readyz": "no page",
    "/live/moderation": "an event stream: events carry ids and keys, never text (live/events.py)",
    "/live/veranstaltungen/{meeting_id}": "an event stream (see above)",
    "/live/vorhaben/{slug}": "an event stream (see above)",
    "/live/vorschlaege/{proposal_id}": "an event stream (see above)",
}
START = {
    "anonymous": [
        "/",
        "/vorhaben",
        "/veranstaltungen",
        "/anmelden",
        "/registrieren",
        "/passwort-vergessen",
        "/registrieren/gesendet",
        "/passwort-vergessen/gesendet",
        "/suche?q=alert",  # search hits: every kind with its snippets, from the payloads' own words
    ],
    "resident": ["/", "/konto", "/konto/mitteilungen", "/vorhaben", "/veranstaltungen"],
    "moderator": ["/", "/moderation", "/vorhaben", "/veranstaltungen"],
    "staff": [
        "/",
        "/verwaltung",
        "/verwaltung/vorhaben",
        "/verwaltung/umfragen",
        "/verwaltung/veranstaltungen",
    ],
    "admin": ["/", "/verwaltung", "/verwaltung/rollen", "/verwaltung/texte", "/verwaltung/postausgang"],
}
LOGIN_FOR = {
    "resident": DEMO_LOGINS[0],
    "moderator": DEMO_LOGINS[1],
    "staff": DEMO_LOGINS[2],
    "admin": DEMO_LOGINS[3],
}
PER_SHAPE = 3  # distinct URLs rendered per route shape (ids and query values varied)
MAX_PAGES = 900


# ---------------------------------------------------------------------------------------------
async def _fill_with_payloads(settings: Any) -> dict[str, str]:
    """Overwrite every free-text column of the demo with a tagged payload; tag → table.column."""
    load_models()
    tags: dict[str, str] = {}
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            pg = db.get_bind().dialect.name == "postgresql"
            triggers = []
            if pg:
                await db.execute(sa.text("ALTER TABLE moderation_log DISABLE TRIGGER USER"))
            else:
                rows = await db.execute(
                    sa.text(
                        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='moderation_log'"
                    )
                )
                triggers = rows.all()
                for name, _ in triggers:
                    await db.execute(sa.text(f"DROP TRIGGER {name}"))
            for table in metadata.sorted_tables:
                if "id" not in table.c:
                    continue
                for column in table.columns:
                    ctype = column.type
                    if not isinstance(ctype, sa.String) or isinstance(ctype, sa.Enum):
                        continue
                    if NOT_TEXT.match(column.name) or column.foreign_keys:
                        continue
                    tag = f"pwn{len(tags)}x"
                    tags[tag] = f"{table.name}.{column.name}"
                    length = getattr(ctype, "length", None)
                    payload = LONG.format(t=tag)
                    if length is not None and length < len(payload) + 20:
                        payload = SHORT.format(t=tag)
                    if length is not None and length < len(payload) + 20:
                        continue
                    await db.execute(
                        sa.text(
                            f"UPDATE {table.name} SET {column.name} = :p || CAST(id AS VARCHAR(20)) "
                            f"WHERE {column.name} IS NOT NULL AND {column.name} <> ''"
                        ),
                        {"p": payload},
                    )
            if pg:
                await db.execute(sa.text("ALTER TABLE moderation_log ENABLE TRIGGER USER"))
            else:
                for _, sql in triggers:
                    await db.execute(sa.text(sql))
            await db.commit()
    finally:
        await config.get_engine().dispose()
    return tags


class _Page(HTMLParser):
    """Links to follow and the problems found in one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, bool]] = []  # (url, as htmx)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            value = value or ""
            if name == "data-pwn" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}> is markup from data")
            elif name.startswith(("hx-", "data-hx-")) and ("pwn" in value or value == "/verwaltung/rollen"):
                self.problems.append(f"<{tag} {name}={value!r}> is an htmx attribute from data")
        if tag == "a" and values.get("href"):
            self.links.append((values["href"] or "", False))
        for name in ("hx-get", "data-live-src"):  # fragments, fetched by htmx and by app.js
            if values.get(name):
                self.links.append((values[name] or "", True))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _shape(path: str, query: str) -> str:
    keys = sorted({part.split("=")[0] for part in query.split("&") if part})
    return re.sub(r"/\d+", "/N", path) + "?" + "&".join(keys)


def _route_patterns(app: Any) -> dict[str, re.Pattern[str]]:
    patterns = {}
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if path.startswith("/static") or not any(
            "GET" in h.http_methods for h in getattr(route, "route_handlers", [])
        ):
            continue
        regex = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))
        patterns[path] = re.compile(f"^{regex}$")
    return patterns


async def _crawl(
    client: AsyncTestClient[Any],
    role: str,
    tags: dict[str, str],
    seen_routes: set[str],
    patterns: dict[str, re.Pattern[str]],
    extra_start: list[str],
) -> tuple[list[str], int]:
    problems: list[str] = []
    shapes: Counter[str] = Counter()
    queue: list[tuple[str, bool]] = [(u, False) for u in START[role] + extra_start]
    done: set[tuple[str, bool]] = set()
    pages = 0
    while queue and pages < MAX_PAGES:
        url, htmx = queue.pop(0)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(("/static", "/live/")):
            continue  # files, and endless event streams (their payloads are fragments rendered here)
        key = (parts.path + ("?" + parts.query if parts.query else ""), htmx)
        if key in done:
            continue
        shape = _shape(parts.path, parts.query) + ("#htmx" if htmx else "")
        if shapes[shape] >= PER_SHAPE:
            continue
        done.add(key)
        shapes[shape] += 1
        pages += 1
        response = await client.get(key[0], headers={"HX-Request": "true"} if htmx else {})
        where = f"{role} GET {key[0]}{' (htmx)' if htmx else ''}"
        if response.status_code >= 500:
            problems.append(f"{where}: {response.status_code}")
            continue
        for path, pattern in patterns.items():
            if pattern.match(parts.path):
                seen_routes.add(path)
        if "html" not in response.headers.get("content-type", ""):
            continue
        page = _Page()
        page.feed(response.text)
        text = "".join(page.text)
        if re.search(r"49 %s %\(x\)s", text):
            page.problems.append("{{7*7}} was evaluated")
        for problem in page.problems:
            found = re.search(r"pwn\d+x", problem)
            problems.append(f"{where}: {problem} [{tags.get(found.group(0), '?') if found else '?'}]")
        for link, as_htmx in page.links:
            queue.append((urljoin(key[0], link.split("#")[0]), as_htmx))
    return problems, pages


async def _pages_behind_steps(settings: Any) -> list[str]:
    """Pages that are reached in the middle of a flow rather than by a link on a page."""
    from beteiligung.meetings.models import Meeting
    from beteiligung.surveys.models import Survey, SurveyQuestion, SurveySection

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            surveys = (await db.scalars(sa.select(Survey.id))).all()
            meetings = (await db.scalars(sa.select(Meeting.id))).all()
            sections = (await db.execute(sa.select(SurveySection.survey_id, SurveySection.id))).all()
            questions = (
                await db.execute(
                    sa.select(SurveySection.survey_id, SurveyQuestion.id).join(
                        SurveySection, SurveySection.id == SurveyQuestion.section_id
                    )
                )
            ).all()
    finally:
        await config.get_engine().dispose()
    # The survey editor's pages are linked only while a survey is a draft; the demo's are open.
    editor = "/verwaltung/umfragen"
    return [
        *(f"/umfragen/{s}/zusammenfassung" for s in surveys),
        *(f"/veranstaltungen/{m}/video" for m in meetings),
        *(f"{editor}/{s}/teile/neu" for s in surveys),
        *(f"{editor}/{s}/teile/{sec}" for s, sec in sections),
        *(f"{editor}/{s}/teile/{sec}/fragen/neu" for s, sec in sections),
        *(f"{editor}/{s}/fragen/{q}" for s, q in questions),
    ]


@pytest.fixture
async def hostile(settings: Any) -> Any:
    await reset_database(settings)
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            await seed_demo(db)
    finally:
        await config.get_engine().dispose()
    tags = await _fill_with_payloads(settings)
    return create_app(settings), tags, await _pages_behind_steps(settings)


async def test_no_payload_becomes_markup_on_any_page(hostile: Any) -> None:
    app, tags, extra = hostile
    assert len(tags) >= 40, "the schema has far more text columns than this: is the filter wrong?"
    patterns = _route_patterns(app)
    seen: set[str] = set()
    problems: list[str] = []
    total = 0
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.follow_redirects = False
        for role in START:
            client.cookies.clear()  # a new visitor
            if role != "anonymous":
                await login(client, LOGIN_FOR[role].email, LOGIN_FOR[role].password)
            found, pages = await _crawl(client, role, tags, seen, patterns, extra)
            problems += found
            total += pages
    assert not problems, f"{len(problems)} problems in {total} pages:\n" + "\n".join(
        sorted(set(problems))[:80]
    )
    missing = sorted(set(patterns) - seen - set(NOT_CRAWLED))
    assert not missing, f"GET routes no crawl rendered (link them, or list them in NOT_CRAWLED): {missing}"
