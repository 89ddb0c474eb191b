"""Browser tests: the real app (``beteiligung run``) in a subprocess, driven by headless Chromium.

* ``live_server``: a fresh SQLite database with the demo data, mail to the root ``smtp_server``.
* ``live_settings``: settings for that database, to arrange rows with the test factories
  (``arrange(coro)`` runs a factory from a sync test); ``participation_sample``: a consultation
  with a proposal and a short thread, for the page checks.
* ``browser``: Debian's Chromium through the sync Playwright API (never a downloaded browser).
* ``assert_accessible(page, label)``: axe-core (``tests/vendor/axe.min.js``) with the WCAG 2.x A/AA
  tags; fails on "serious" and "critical" violations, and on text in its background's colour.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from beteiligung.settings import Settings
from tests.conftest import in_thread, make_user

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"
AXE_PATH = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEMO_PASSWORD = "Lüneburg-Demo-2030"
RESIDENT = "einwohnerin@demo.beteiligung.invalid"
MODERATOR = "moderation@demo.beteiligung.invalid"
ADMIN = "admin@demo.beteiligung.invalid"
LIVE_SECRET = "browser-test-secret-" + "y" * 40


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('live-db') / 'live.db'}"


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[Any, int], live_database_url: str
) -> Iterator[str]:
    _, smtp_port = smtp_server
    port = _free_port()
    tmp = tmp_path_factory.mktemp("live")
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BETEILIGUNG_ENV": "test",
        "BETEILIGUNG_DATABASE_URL": live_database_url,
        "BETEILIGUNG_HOST": "127.0.0.1",
        "BETEILIGUNG_PORT": str(port),
        "BETEILIGUNG_BASE_URL": base,
        "BETEILIGUNG_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "BETEILIGUNG_DEMO": "true",
        "BETEILIGUNG_SECRET_KEY": LIVE_SECRET,
        "BETEILIGUNG_LOG_LEVEL": "WARNING",
        # A few accounts post through the whole suite from one address: no hard posting limit
        # (it is tested over HTTP, tests/http/test_posting_limits.py).
        "BETEILIGUNG_POSTS_PER_ACCOUNT_10MIN": "100000",
        "BETEILIGUNG_POSTS_PER_ACCOUNT_DAY": "100000",
        "BETEILIGUNG_POSTS_PER_ADDRESS_10MIN": "100000",
        "BETEILIGUNG_POSTS_PER_ADDRESS_DAY": "100000",
    }
    env.pop("BETEILIGUNG_REDIS_URL", None)
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "beteiligung.cli", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.close()
            pytest.fail(f"beteiligung run exited ({proc.returncode}):\n{(tmp / 'server.log').read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            log.close()
            pytest.fail(f"beteiligung run did not answer /healthz:\n{(tmp / 'server.log').read_text()}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (install Debian's chromium package)"
        if IN_CI:
            pytest.fail(f"{message}; CI=true: a missing browser fails the run", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


# ---------------------------------------------------------------------------------------------
# axe-core
# ---------------------------------------------------------------------------------------------
_AXE_SOURCE: str | None = None


def _axe_source() -> str:
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE_PATH.read_text(encoding="utf-8")
    return _AXE_SOURCE


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe's violations, plus text whose colour equals its background's: axe files that under
    "incomplete" (hidden text can be intended), but on these pages it is text nobody can read
    (black Markdown text on KERN's black dark-mode background was one)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                              resultTypes: ['violations', 'incomplete']});
            const found = r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           targets: v.nodes.map(n => n.target.join(' ')),
                                           summary: v.nodes.map(n => n.failureSummary)}));
            for (const v of r.incomplete.filter(v => v.id === 'color-contrast')) {
                const nodes = v.nodes.filter(n => n.any.some(a => a.data && a.data.messageKey === 'equalRatio'));
                if (nodes.length) {
                    found.push({id: 'color-contrast (1:1, invisible text)', impact: 'serious', help: v.help,
                                targets: nodes.map(n => n.target.join(' ')),
                                summary: nodes.map(n => n.any.map(a => a.message).join(' '))});
                }
            }
            return found;
        }""",
        AXE_TAGS,
    )
    return list(result)


def assert_accessible(page: Any, label: str) -> None:
    """Fail on axe violations of impact "serious" or "critical" in the page's current state."""
    violations = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    if violations:
        lines = [f"axe: {len(violations)} serious/critical violation(s) on {label} ({page.url}):"]
        for v in violations:
            lines.append(f"- {v['id']} [{v['impact']}]: {v['help']}")
            for target, summary in zip(v["targets"][:5], v["summary"][:5], strict=False):
                lines.append(f"    {target}: {(summary or '').splitlines()[-1] if summary else ''}")
        raise AssertionError("\n".join(lines))


def wait_for_htmx(page: Any) -> None:
    """Wait until no htmx request is running and the settle step is done."""
    # A locator wait, not wait_for_function: that one evaluates strings, which the page's CSP
    # (no unsafe-eval) refuses once it has to poll.
    from playwright.sync_api import expect

    expect(page.locator(".htmx-request, [aria-busy=true]")).to_have_count(0)
    page.wait_for_timeout(50)


def login(page: Any, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/anmelden")
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(password)
    page.locator("#login button[type=submit]").click()
    try:
        page.wait_for_url(lambda url: "/anmelden" not in url, timeout=10_000)
    except Exception as exc:
        raise AssertionError(f"login as {email} failed: {page.locator('main').inner_text()}") from exc


@pytest.fixture(scope="session")
def storage_states(
    browser: Any, live_server: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Log the demo resident, moderator and admin in once; tests reuse their cookies."""
    states: dict[str, Any] = {}
    for role, email in (("resident", RESIDENT), ("moderator", MODERATOR), ("admin", ADMIN)):
        context = browser.new_context()
        page = context.new_page()
        login(page, live_server, email)
        states[role] = context.storage_state()
        context.close()
    return states


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Arranging data in the live server's database
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def live_settings(live_server: str, live_database_url: str) -> Settings:
    """The live server's database (migrated and seeded once it answers /healthz).

    The browser suite's residents post from a handful of accounts within minutes (comments,
    proposals, meeting questions): the moderation's posting rate limits would hold their posts
    and break flows that expect them published, depending on test order. They are lifted here;
    the other automatic checks (links, blocklist) stay, and the rate limits are tested over HTTP
    (tests/http/test_moderation.py)."""
    settings = Settings(env="test", database_url=live_database_url, secret_key=LIVE_SECRET)
    arrange(_lift_rate_limits(settings))
    return settings


async def _lift_rate_limits(settings: Settings) -> None:
    from sqlalchemy import select

    from beteiligung.moderation.models import ModerationSettings
    from beteiligung.organisations.models import Organisation
    from tests.participation_factories import run_sql

    async def lift(db: Any) -> None:
        for org in (await db.scalars(select(Organisation))).all():
            row = (
                await db.scalars(
                    select(ModerationSettings).where(ModerationSettings.organisation_id == org.id)
                )
            ).first()
            if row is None:
                row = ModerationSettings(
                    organisation_id=org.id, flag_threshold=3, max_links=2, new_account_hours=24, blocklist=""
                )
                db.add(row)
            row.posts_per_ten_minutes = 100_000
            row.new_account_posts_per_hour = 100_000

    await run_sql(settings, lift)


def arrange(coro: Any) -> Any:
    """Run an async factory (tests/participation_factories.py, tests/conftest.py) from a sync test:
    Playwright's sync API owns this thread's event loop."""
    return in_thread(asyncio.run, coro)


async def make_proposal(
    settings: Settings,
    *,
    consultation_id: int,
    author_id: int,
    title: str,
    body: str,
    answer: tuple[str, str] | None = None,
) -> int:
    """A resident's proposal; ``answer`` = (state, Stellungnahme) as if staff had answered."""
    from beteiligung.app import make_alchemy_config
    from beteiligung.db import utcnow
    from beteiligung.proposals.models import AnswerState, Proposal

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            proposal = Proposal(consultation_id=consultation_id, author_id=author_id, title=title, body=body)
            if answer:
                proposal.answer_state = AnswerState(answer[0])
                proposal.answer_text = answer[1]
                proposal.answered_at = utcnow()
            db.add(proposal)
            await db.commit()
            return proposal.id
    finally:
        await config.get_engine().dispose()


async def make_comment(
    settings: Settings,
    *,
    consultation_id: int,
    proposal_id: int | None,
    author_id: int,
    body: str,
    parent_id: int | None = None,
) -> int:
    from beteiligung.app import make_alchemy_config
    from beteiligung.comments import actions
    from beteiligung.comments.models import Comment

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            parent = await db.get(Comment, parent_id) if parent_id else None
            comment = await actions.post_comment(
                db,
                consultation_id=consultation_id,
                proposal_id=proposal_id,
                parent=parent,
                author_id=author_id,
                body=body,
                submission_key=None,
            )
            await db.commit()  # the action does not commit (issue 12)
            return comment.id
    finally:
        await config.get_engine().dispose()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def participation_sample(live_settings: Settings) -> dict[str, Any]:
    """A running consultation (proposals are collected) with an answered proposal, a comment and a
    reply: the participation pages checked with something on them. Keys: slug, proposal, comment
    (a public comment the demo resident may flag)."""
    from tests.conftest import make_user
    from tests.participation_factories import make_consultation

    slug = unique("stadtgruen")
    author = arrange(
        make_user(live_settings, email=f"{slug}-a@example.org", display_name="Heinrich vom Kalkberg")
    )
    other = arrange(
        make_user(live_settings, email=f"{slug}-b@example.org", display_name="Greta aus Kaltenmoor")
    )
    consultation = arrange(
        make_consultation(
            live_settings,
            slug=slug,
            title="Mehr Grün in der Innenstadt",
            summary="Wo sollen in der Lüneburger Innenstadt Bäume und Beete entstehen?",
            contact_name="Bereich Stadtgrün",
            contact_details="Rathaus, Am Ochsenmarkt 1\n21335 Lüneburg",
        )
    )
    proposal = arrange(
        make_proposal(
            live_settings,
            consultation_id=consultation,
            author_id=author,
            title="Bäume für den Platz Am Sande",
            body="Der Platz Am Sande heizt sich im Sommer stark auf. **Schattenspendende Bäume** "
            "an der Südseite würden helfen.",
            answer=("in_review", "Wir prüfen die Leitungen unter dem Platz und melden uns bis Juni."),
        )
    )
    comment = arrange(
        make_comment(
            live_settings,
            consultation_id=consultation,
            proposal_id=proposal,
            author_id=other,
            body="Gute Idee, auch für den Markt am Mittwoch!",
        )
    )
    arrange(
        make_comment(
            live_settings,
            consultation_id=consultation,
            proposal_id=proposal,
            author_id=author,
            body="Danke, das sehe ich genauso.",
            parent_id=comment,
        )
    )
    arrange(
        make_comment(
            live_settings,
            consultation_id=consultation,
            proposal_id=None,
            author_id=other,
            body="Bitte auch an die Barrierefreiheit der Beete denken.",
        )
    )
    return {"slug": slug, "proposal": proposal, "comment": comment}


# ---------------------------------------------------------------------------------------------
# People for the participation flows
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    email: str
    name: str
    user_id: int
    state: Any  # Playwright storage state after one login through the form


@pytest.fixture(scope="session")
def people(browser: Any, live_server: str, live_settings: Any) -> dict[str, Person]:
    """Two residents and a staff member, each logged in once through the login form (the login
    limit per IP is shared by the whole browser suite)."""
    token = unique("p")
    found: dict[str, Person] = {}
    for key, name, role in (
        ("a", "Jonas vom Stint", "resident"),
        ("b", "Mareike aus Ochtmissen", "resident"),
        ("staff", "Stabsstelle Stadtgrün", "staff"),
    ):
        email = f"{token}-{key}@example.org"
        user_id = arrange(make_user(live_settings, email=email, display_name=name, role=role))
        context = browser.new_context()
        try:
            page = context.new_page()
            login(page, live_server, email, DEMO_PASSWORD)
            found[key] = Person(email, name, user_id, context.storage_state())
        finally:
            context.close()
    return found
