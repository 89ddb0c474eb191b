"""Every page, light and dark: axe clean, one h1, live region, skip link, no third parties (A11Y-01..04,
A11Y-09, PRIV: no tracking). Add a page by adding one line to PAGES / LOGGED_IN_PAGES; ``{slug}``,
``{proposal}`` and ``{comment}`` are the consultation, proposal and a comment of the
``participation_sample`` fixture."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

PAGES = [
    "/",
    "/anmelden",
    "/registrieren",
    "/passwort-vergessen",
    "/impressum",
    "/datenschutz",
    "/barrierefreiheit",
    "/netiquette",
    "/nutzungsbedingungen",
    "/leichte-sprache",
    "/nix-da",  # the 404 page
    "/vorhaben",
    "/vorhaben/{slug}",
    "/vorhaben/{slug}/vorschlaege",
    "/vorschlaege/{proposal}",
    "/umfragen/1",  # the demo survey (docs/surveys.md); 2 is the demo's quick poll
    "/umfragen/1/ergebnisse",
    "/umfragen/2",
    "/veranstaltungen",
    "/veranstaltungen/1",  # the demo's live meeting (docs/meetings.md); 3 ended, minutes published
    "/veranstaltungen/3/protokoll",
    "/suche",
    "/suche?q=Lastenrad",  # hits with highlighted snippets (<mark>)
    "/suche?q=Radweg&art=vorschlaege",
]

LOGGED_IN_PAGES = [
    ("resident", "/konto"),
    ("resident", "/konto/daten"),
    ("resident", "/konto/beitraege"),
    ("resident", "/konto/beitraege?art=kommentare"),
    ("resident", "/konto/loeschen"),
    ("admin", "/verwaltung"),
    ("admin", "/verwaltung/texte"),
    ("admin", "/verwaltung/texte/impressum"),  # the editor (its preview: test_display_layout)
    ("admin", "/verwaltung/rollen"),
    ("admin", "/verwaltung/postausgang"),
    ("resident", "/konto/mitteilungen"),
    ("admin", "/verwaltung/moderation/einstellungen"),
    ("admin", "/verwaltung/moderation/protokoll"),
    ("moderator", "/moderation"),
    ("resident", "/kommentare/{comment}/melden"),
    ("resident", "/vorhaben/{slug}"),
    ("resident", "/vorhaben/{slug}/vorschlaege"),
    ("resident", "/vorhaben/{slug}/vorschlaege/neu"),
    ("resident", "/vorschlaege/{proposal}"),
    ("resident", "/vorschlaege/6/bearbeiten"),  # the demo resident's own proposal: edit and withdraw
    ("admin", "/vorschlaege/{proposal}/antwort"),
    ("admin", "/vorhaben/{slug}/vorschlaege/erfassen"),
    ("resident", "/umfragen/1/teil/1"),
    ("admin", "/verwaltung/umfragen"),
    ("admin", "/verwaltung/umfragen/neu"),
    ("admin", "/verwaltung/umfragen/1"),
    ("admin", "/verwaltung/umfragen/1/fragen/1"),
    ("admin", "/verwaltung/umfragen/1/teile/1"),
    ("resident", "/veranstaltungen/1"),
    ("admin", "/veranstaltungen/1"),
    ("admin", "/verwaltung/veranstaltungen/neu"),
]

SCHEMES = ["light", "dark"]
CSRF_COOKIES = {"csrftoken", "__Host-csrf"}


def check_page(browser: Any, base: str, path: str, scheme: str, storage_state: Any = None) -> Any:
    context = browser.new_context(
        color_scheme=scheme,
        reduced_motion="reduce",
        bypass_csp=True,
        storage_state=storage_state,
    )
    try:
        page = context.new_page()
        foreign: list[str] = []
        page.on(
            "request",
            lambda r: (
                foreign.append(r.url)
                if urlsplit(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:")
                else None
            ),
        )
        response = page.goto(base + path)
        assert response is not None
        if path == "/nix-da":
            assert response.status == 404
        else:
            assert response.status == 200, f"{path}: HTTP {response.status}"
        # Not "networkidle": pages with live updates keep their event stream open.
        page.wait_for_load_state("load")
        if page.locator("#live").count():
            expect(page.locator("#live[data-live-connected]")).to_have_count(1, timeout=30_000)

        assert page.locator("h1").count() == 1, f"{path}: expected exactly one h1"
        status = page.locator("#sr-status")
        assert status.count() == 1
        assert status.get_attribute("role") == "status"
        assert status.get_attribute("aria-live") == "polite"

        page.keyboard.press("Tab")
        focused = page.evaluate(
            "({cls: document.activeElement.className, text: document.activeElement.textContent.trim(),"
            " href: document.activeElement.getAttribute('href')})"
        )
        assert focused["text"] == "Zum Inhalt springen", f"{path}: first Tab focused {focused}"
        assert focused["href"] == "#main"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main", f"{path}: skip link does not move focus"

        assert foreign == [], f"{path}: requests to other hosts: {foreign}"
        assert_accessible(page, f"{scheme} {path}")
        return context.cookies(), page.evaluate("window.localStorage.length")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", PAGES)
def test_public_page(
    browser: Any, live_server: str, participation_sample: dict[str, Any], path: str, scheme: str
) -> None:
    cookies, local_storage = check_page(browser, live_server, path.format(**participation_sample), scheme)
    names = {c["name"] for c in cookies}
    assert names <= CSRF_COOKIES, f"{path}: visitor got cookies {names - CSRF_COOKIES}"
    assert local_storage == 0


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("role", "path"), LOGGED_IN_PAGES)
def test_logged_in_page(
    browser: Any,
    live_server: str,
    storage_states: dict[str, Any],
    participation_sample: dict[str, Any],
    role: str,
    path: str,
    scheme: str,
) -> None:
    url = path.format(**participation_sample)
    _, local_storage = check_page(browser, live_server, url, scheme, storage_states[role])
    assert local_storage == 0


def test_axe_helper_fails_on_serious_violations(browser: Any) -> None:
    """The helper itself: a page with an unlabelled input and an image without alt must fail."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="de"><title>t</title><main><h1>x</h1><img src="data:,">'
            '<input type="text"></main></html>'
        )
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page, "broken fixture page")
        assert "image-alt" in str(failure.value) and "label" in str(failure.value)
    finally:
        context.close()


def test_axe_helper_fails_on_invisible_text(browser: Any) -> None:
    """Text in its background's colour (axe only lists it as "needs review") fails too."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="de"><title>t</title><body style="background:#000;color:#000">'
            '<main><h1 style="color:#fff">x</h1><p>Unsichtbarer Text</p></main></body></html>'
        )
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page, "black on black")
        assert "invisible text" in str(failure.value)
    finally:
        context.close()
