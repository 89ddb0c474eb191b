"""The Jinja environment: autoescape on, gettext from the per-request locale, a few globals.

Templates get ``request`` and ``csrf_input``/``csrf_token()`` from Litestar; the current
organisation and actor are on ``request.state`` (set by :mod:`beteiligung.web.context`). The
features' globals (``can``, ``TEXT_KEYS``, ``live_messages`` …) come from their manifests
(``Feature.template_globals``): the app builds the environment after installing the registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from beteiligung import i18n, registry
from beteiligung.settings import PROJECT_ROOT
from beteiligung.web.markdown import plain_text, render_markdown
from beteiligung.web.urls import url

TEMPLATE_DIR = PROJECT_ROOT / "templates"

# htmx restricted to what we use (docs/security-and-privacy.md, "htmx"): only the sse extension,
# requests to our own origin, and only the ``hx-`` attributes (not the ``data-hx-`` aliases).
# Containers of user and staff text carry ``hx-ignore`` so htmx never acts on anything inside them.
HTMX_CONFIG = json.dumps(
    {
        "includeIndicatorCSS": False,
        "defaultSettleDelay": 0,  # no settle step: it copies style attributes (CSP style-src 'self')
        "defaultTimeout": 20000,
        "extensions": "sse",
        "mode": "same-origin",
        "prefix": "",
    },
    separators=(",", ":"),
)
STATIC_DIR = PROJECT_ROOT / "static"


def _static_version() -> str:
    """Cache-busting token for our own assets: newest mtime under static/ (computed at start-up)."""
    newest = max((p.stat().st_mtime for p in STATIC_DIR.rglob("*") if p.is_file()), default=0)
    return str(int(newest))


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "jinja", "j2"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s: i18n.translations(i18n.current_locale.get()).gettext(s),
        lambda s, p, n: i18n.translations(i18n.current_locale.get()).ngettext(s, p, n),
        newstyle=True,
    )
    # Replace the i18n extension's callables by guarded ones: only our own msgids are translated,
    # formatted and (under autoescape) marked safe; anything else is data and comes back as plain
    # text for autoescape to escape (SEC: staff text in option labels went out as raw HTML).
    env.globals.update(_=_safe_gettext, gettext=_safe_gettext, ngettext=_safe_ngettext)
    version = _static_version()
    env.globals.update(
        current_locale=i18n.current_locale.get,
        LOCALES=i18n.LOCALES,
        LOCALE_NAMES=i18n.LOCALE_NAMES,
        markdown=lambda text, heading_offset=0: Markup(render_markdown(text, heading_offset)),  # noqa: S704 - sanitised by nh3
        static=lambda path: f"/static/{path}?v={version}",
        url=url,
        consume_flashes=consume_flashes,
        HTMX_CONFIG=HTMX_CONFIG,
    )
    env.filters["datetime"] = i18n.format_datetime
    env.filters.update(number=i18n.format_number, percent=i18n.format_percent)
    env.filters["label"] = i18n.label_text
    # The form macros as a global, so blocks rendered alone (jinja2-fragments) can use them too.
    env.filters["urlencode_params"] = urlencode_params
    env.filters["plain"] = plain_text
    env.globals.update(registry.current().template_globals())
    env.globals["f"] = env.get_template("macros/forms.html").module
    env.globals["pm"] = env.get_template("macros/participation.html").module
    return env


@pass_context
def _safe_gettext(context: Context, message: Any, **variables: Any) -> str:
    if not i18n.is_msgid(message):
        return "" if message is None else str(message)
    text: str = i18n.translations(i18n.current_locale.get()).gettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own msgid (known_msgids); Markup % escapes the variables
    return text % variables


@pass_context
def _safe_ngettext(context: Context, singular: Any, plural: Any, num: int, **variables: Any) -> str:
    # A catalog keys plural messages by the singular (one msgid may have two plural texts).
    if not i18n.is_msgid(singular):
        return str(singular if num == 1 else plural)
    text: str = i18n.translations(i18n.current_locale.get()).ngettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own msgids only
    return text % ({"num": num} | variables)


def consume_flashes(request: Any) -> list[dict[str, str]]:
    """Messages queued for the next page (post/redirect/get), removed once shown."""
    session = request.scope.get("session")
    if not isinstance(session, dict) or "flash" not in session:
        return []
    messages = session.pop("flash")
    return messages if isinstance(messages, list) else []


def template_path(name: str) -> Path:
    return TEMPLATE_DIR / name


def urlencode_params(items: Any, **override: Any) -> str:
    """Query string of ``items`` (pairs or a dict) with ``override`` applied: pagination links."""
    params = dict(items)
    params.update({k: v for k, v in override.items() if v is not None})
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})
