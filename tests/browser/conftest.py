"""Browser tests: the real app (``beteiligung run``) in a subprocess, driven by headless Chromium.

* ``live_server``: a fresh SQLite database with the demo data, mail to the root ``smtp_server``.
* ``browser``: Debian's Chromium through the sync Playwright API (never a downloaded browser).
* ``assert_accessible(page, label)``: axe-core (``tests/vendor/axe.min.js``) with the WCAG 2.x A/AA
  tags; fails on "serious" and "critical" violations.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"
AXE_PATH = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEMO_PASSWORD = "Lüneburg-Demo-2030"
RESIDENT = "einwohnerin@demo.beteiligung.invalid"
ADMIN = "admin@demo.beteiligung.invalid"


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
def live_server(tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[Any, int]) -> Iterator[str]:
    _, smtp_port = smtp_server
    port = _free_port()
    tmp = tmp_path_factory.mktemp("live")
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BETEILIGUNG_ENV": "test",
        "BETEILIGUNG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'live.db'}",
        "BETEILIGUNG_HOST": "127.0.0.1",
        "BETEILIGUNG_PORT": str(port),
        "BETEILIGUNG_BASE_URL": base,
        "BETEILIGUNG_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "BETEILIGUNG_DEMO": "true",
        "BETEILIGUNG_SECRET_KEY": "browser-test-secret-" + "y" * 40,
        "BETEILIGUNG_LOG_LEVEL": "WARNING",
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
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                              resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           targets: v.nodes.map(n => n.target.join(' ')),
                                           summary: v.nodes.map(n => n.failureSummary)}));
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
    page.wait_for_function("!document.querySelector('.htmx-request, [aria-busy=true]')")
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
    """Log the demo resident and admin in once; tests reuse their cookies."""
    states: dict[str, Any] = {}
    for role, email in (("resident", RESIDENT), ("admin", ADMIN)):
        context = browser.new_context()
        page = context.new_page()
        login(page, live_server, email)
        states[role] = context.storage_state()
        context.close()
    return states


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False)
