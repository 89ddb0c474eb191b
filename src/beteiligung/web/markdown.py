"""Markdown for editable texts and contributions: no raw HTML, then an nh3 allowlist.

Rendering is pure and costs ~0.3 ms per text, so results are cached per text (a proposal list
shows the same teasers to every visitor; bench/pages.py measured it as the page's main cost).
"""

from __future__ import annotations

import html as html_lib
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


@lru_cache(maxsize=8192)
def render_markdown(text: str, heading_offset: int = 0) -> str:
    """``heading_offset`` moves headings down a level or more, so a text shown under a page's own
    ``<h2>`` keeps a correct outline (its ``## Ziele`` becomes ``<h3>``)."""
    tokens = _md.parse(text or "")
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1]) + heading_offset, 6)}"
    html = _md.renderer.render(tokens, _md.options, {})
    # markdown-it already refuses javascript: links and raw HTML; nh3 is the second lock.
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "th": {"scope"}, "td": set()},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )


@lru_cache(maxsize=8192)
def plain_text(text: str, limit: int = 220) -> str:
    """A Markdown text as plain text for teasers: no markup, whitespace collapsed, cut at a word."""
    stripped = html_lib.unescape(nh3.clean(_md.render(text or ""), tags=set()))
    flat = " ".join(stripped.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"
