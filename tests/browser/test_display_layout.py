"""Layout people saw broken (issue 20, items 10 and 13), measured in the browser where HTTP
cannot tell: survey chart labels at the body text's size (they were drawn in SVG units, twice as
large on a wide screen); the moderation queue's bulk-action heading no longer on top of its
first label; the legal-text editor as tall as its 24 rows, with a preview that saves nothing
(with htmx and without JavaScript); axe in light and dark on each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import arrange, assert_accessible, wait_for_htmx
from tests.browser.test_a11y_pages import SCHEMES
from tests.browser.test_moderation_queue import _demo, _pre_moderated, _queue_items
from tests.browser.test_participation_flow import (
    HtmlAxe,
    _assert_no_reload,
    _mark,
    _watch_errors,
    contexts,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.browser

# The rendered size of each piece of text in the chart: its computed font size times the scale
# its SVG applies (1 for HTML text), next to the page's body text.
CHART_SIZES = """
() => {
  const body = parseFloat(getComputedStyle(document.querySelector("article > p.kern-body:not(.kern-body--small)")).fontSize);
  const sizes = [];
  for (const chart of document.querySelectorAll(".survey-chart")) {
    const walker = document.createTreeWalker(chart, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!node.textContent.trim()) { continue; }
      const el = node.parentElement;
      let size = parseFloat(getComputedStyle(el).fontSize);
      if (el instanceof SVGGraphicsElement && el.getScreenCTM()) {
        const m = el.getScreenCTM();
        size *= Math.sqrt(m.a * m.a + m.b * m.b);
      }
      sizes.push([node.textContent.trim().slice(0, 40), size]);
    }
  }
  return {body, sizes};
}
"""


def _boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_chart_labels_are_body_text_size(browser: Any, live_server: str, width: int) -> None:
    """The demo survey's results, on a wide and a phone-sized screen, in German and English."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/umfragen/1/ergebnisse")
        measured = page.evaluate(CHART_SIZES)
        body, sizes = measured["body"], measured["sizes"]
        assert sizes, "no chart labels found"
        off = [(text, round(size, 1)) for text, size in sizes if abs(size - body) > 0.1 * body]
        assert not off, f"body text {body}px; chart labels at other sizes: {off[:5]}"
        labels = page.locator(".survey-chart").first.inner_text()
        assert re.search(r"\d,\d\u202f%", labels) and not re.search(r"\d\.\d ?%", labels), labels
        # nothing runs out of its chart on a narrow screen
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('.survey-chart')].some(c => c.scrollWidth > c.clientWidth + 1)"
        )
        assert not overflow

        page.locator("form.lang-switch button").click()
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.lang") == "en"
        labels = page.locator(".survey-chart").first.inner_text()
        assert re.search(r"\d\.\d%", labels) and "," not in re.sub(r"[^\d,%.]", "", labels), labels
        measured = page.evaluate(CHART_SIZES)
        assert all(abs(size - measured["body"]) <= 0.1 * measured["body"] for _t, size in measured["sizes"])
    finally:
        context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_bulk_action_heading_clears_its_label(
    contexts: Any,  # noqa: F811
    live_server: str,
    live_settings: Any,
    people: dict[str, Any],
    storage_states: dict[str, Any],
    scheme: str,
) -> None:
    cid, _slug = _pre_moderated(live_settings, title="Sammelaktion im Hafenviertel")
    ids = arrange(_queue_items(live_settings, cid, people["a"].user_id, people["b"].user_id))
    page = contexts(_demo(storage_states, "moderator"), scheme=scheme).new_page()
    page.set_viewport_size({"width": 1100, "height": 800})
    page.goto(f"{live_server}/moderation?verfahren={cid}")
    wait_for_htmx(page)

    legend = page.locator("#bulk-form legend").bounding_box()
    label = page.locator("label[for='bulk-decision']").bounding_box()
    assert legend and label
    assert not _boxes_overlap(legend, label), f"legend {legend} overlaps label {label}"
    assert label["y"] >= legend["y"] + legend["height"] - 1, "the label does not start below the heading"

    # The decision form of a claimed item: its legend and first label too
    page.locator(f"#review-{ids['held']}").get_by_role("button", name="Übernehmen").click()
    expect(page.locator(f"#decision-{ids['held']}")).to_be_visible()
    wait_for_htmx(page)
    legend = page.locator(f"#review-{ids['held']}-decision").bounding_box()
    label = page.locator(f"label[for='decision-{ids['held']}-decision']").bounding_box()
    assert legend and label and not _boxes_overlap(legend, label), (legend, label)
    assert_accessible(page, f"{scheme} queue with the bulk form and a claimed item")


def test_text_editor_is_tall_and_previews_with_htmx(
    contexts: Any,  # noqa: F811
    live_server: str,
    storage_states: dict[str, Any],
) -> None:
    page = contexts(_demo(storage_states, "admin")).new_page()
    errors = _watch_errors(page)
    page.goto(f"{live_server}/verwaltung/texte/impressum")
    wait_for_htmx(page)
    field = page.locator("#text-body")
    rows = int(field.get_attribute("rows") or 0)
    line = float(field.evaluate("(e) => parseFloat(getComputedStyle(e).lineHeight)"))
    height = field.bounding_box()["height"]
    assert rows >= 20 and height >= 0.9 * rows * line, f"{rows} rows in {height}px"

    original = field.input_value()
    _mark(page)
    field.fill("## Öffnungszeiten\n\nMontag bis Freitag **8 bis 16 Uhr**.\n\n<script>alert(1)</script>")
    page.get_by_role("button", name="Vorschau", exact=True).click()
    preview = page.locator("#text-preview")
    expect(preview.locator("h3")).to_have_text("Öffnungszeiten")
    expect(preview.locator("strong")).to_have_text("8 bis 16 Uhr")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text
    wait_for_htmx(page)
    _assert_no_reload(page, "preview")
    assert page.evaluate("document.activeElement.id") == "text-preview-title"
    expect(page.locator("#sr-status")).to_contain_text("Vorschau angezeigt")
    assert "Montag bis Freitag" in page.locator("#text-body").input_value()  # the text stays
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page, f"{scheme} text editor with its preview")
    page.emulate_media(color_scheme="light")

    # Nothing was saved: the public page and a fresh editor show the old text
    page.goto(f"{live_server}/verwaltung/texte/impressum")
    assert page.locator("#text-body").input_value() == original
    assert "Öffnungszeiten" not in page.context.request.get(f"{live_server}/impressum").text()
    assert errors == [], errors


def test_text_editor_previews_without_javascript(
    browser: Any,
    contexts: Any,  # noqa: F811
    live_server: str,
    storage_states: dict[str, Any],
) -> None:
    axe = HtmlAxe(browser, "dark")
    try:
        page = contexts(_demo(storage_states, "admin"), js=False, scheme="dark").new_page()
        page.goto(f"{live_server}/verwaltung/texte/impressum")
        page.locator("#text-body").fill("## Anfahrt\n\nBus **5011** bis Am Sande.")
        with page.expect_navigation() as info:
            page.get_by_role("button", name="Vorschau", exact=True).click()
        assert info.value is not None and info.value.status == 200
        preview = page.locator("#text-preview")
        expect(preview.locator("h3")).to_have_text("Anfahrt")
        expect(preview.locator("strong")).to_have_text("5011")
        assert "Bus **5011**" in page.locator("#text-body").input_value()
        axe.check(page, "text editor with its preview")
    finally:
        axe.close()
