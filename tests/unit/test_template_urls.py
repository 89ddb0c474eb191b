"""Templates build paths by route name: ``href="{{ url('consultations.page', slug=c.slug) }}"``.

A literal path in a template (``href="/vorhaben/{{ c.slug }}"``) spells a route's path a second
time, outside its decorator, and breaks silently when the route moves; ``url()`` fails loudly
instead (issue 12). This scans every template for link-like attributes whose value starts with
"/" and fails on each one not in ``ALLOWED``. Assets go through ``static()``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# Attributes that carry a URL: links, forms, sources, htmx requests, live streams, data-* (the
# live refresh's data-live-src and the like). Optional spaces around "=", either quote.
_ATTR = re.compile(
    r"""(?<![\w:-])(?P<attr>href|action|src|formaction|hx-(?:get|post|put|delete|patch)|"""
    r"""sse-connect|hx-sse:connect|data-[\w-]+)\s*=\s*(?P<q>["'])(?P<value>/[^"']*)(?P=q)""",
    re.IGNORECASE,
)

# (template, attribute, value) that may stay literal, each with its reason. Empty: every path is
# built by url(); add an entry only with a comment saying why url() cannot build it.
ALLOWED: dict[tuple[str, str, str], str] = {}


def literal_paths(text: str) -> list[tuple[int, str, str]]:
    """(line, attribute, value) of every attribute in ``text`` whose value is a literal path."""
    return [
        (text.count("\n", 0, m.start()) + 1, m.group("attr").lower(), m.group("value"))
        for m in _ATTR.finditer(text)
    ]


def test_the_scan_finds_literal_paths() -> None:
    sample = (
        '<a href="/vorhaben/{{ c.slug }}">x</a>\n'
        "<form action='/anmelden' hx-post=\"/anmelden\">\n"
        '<div data-live-src="/live/teil" hx-sse:connect="/live/x"></div>\n'
        "<a href=\"{{ url('home') }}\">ok</a> <img src=\"{{ static('a.png') }}\">"
        ' <a href="#main">ok</a> <a href="https://example.org/">ok</a>'
    )
    assert literal_paths(sample) == [
        (1, "href", "/vorhaben/{{ c.slug }}"),
        (2, "action", "/anmelden"),
        (2, "hx-post", "/anmelden"),
        (3, "data-live-src", "/live/teil"),
        (3, "hx-sse:connect", "/live/x"),
    ]


def test_templates_exist() -> None:
    assert len(list(TEMPLATES.rglob("*.html"))) > 50


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_templates_build_paths_by_route_name(template: str) -> None:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    found = [
        f"{template}:{line}: {attr}={value!r}"
        for line, attr, value in literal_paths(text)
        if (template, attr, value) not in ALLOWED
    ]
    assert found == [], "literal paths; use url('route.name', …) instead:\n" + "\n".join(found)


def test_the_allowlist_has_no_stale_entries() -> None:
    stale = [
        key
        for key in ALLOWED
        if (key[1], key[2])
        not in {(a, v) for _, a, v in literal_paths((TEMPLATES / key[0]).read_text(encoding="utf-8"))}
    ]
    assert stale == []
