"""URLs by route name, in Python and in templates: ``url("proposals.show", slug=…, proposal_id=…)``.

Every route handler has a ``name`` (``tests/unit/test_urls.py`` checks it); code and templates
name the route instead of writing its path, so a path is spelled once, in its decorator. The
table is built once from the registry's routes (no app needed: the CLI and jobs build links
too). Path values are percent-encoded; ``query`` (a mapping, ``None`` values left out) and
``anchor`` are appended.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from beteiligung import registry

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")

# name -> [(parameter names, path template pieces)], most parameters first
_Table = dict[str, list[tuple[frozenset[str], tuple[str, ...]]]]
_built: tuple[Any, _Table] | None = None  # (the registry it was built from, the table)


class UnknownRoute(LookupError):
    """No route has this name, or none takes exactly these path values."""


def _handlers(items: Iterable[Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for item in items:
        paths = getattr(item, "paths", None) or {""}
        handlers = getattr(item, "route_handlers", None)
        if handlers is not None and not hasattr(item, "fn"):  # a Router: recurse with its path
            yield from _handlers(handlers, prefix + getattr(item, "path", ""))
            continue
        for path in paths:
            yield prefix + path, item


def build_table(routes: Iterable[Any]) -> _Table:
    table: _Table = {}
    for path, handler in _handlers(routes):
        name = getattr(handler, "name", None)
        if not name:
            continue
        pieces = tuple(_PARAM.split(path or "/"))  # text, name, text, name, … text
        params = frozenset(pieces[1::2])
        forms = table.setdefault(name, [])
        if (params, pieces) not in forms:
            forms.append((params, pieces))
    for forms in table.values():
        forms.sort(key=lambda form: len(form[0]), reverse=True)
    return table


def _current_table() -> _Table:
    global _built
    current = registry.current()
    if _built is None or _built[0] is not current:  # tests install a registry per app
        _built = (current, build_table(current.routes()))
    return _built[1]


def url(
    name: str,
    /,
    *,
    query: Mapping[str, Any] | None = None,
    anchor: str | None = None,
    **params: Any,
) -> str:
    forms = _current_table().get(name)
    if forms is None:
        raise UnknownRoute(f"no route is named {name!r}")
    given = frozenset(k for k, v in params.items() if v is not None)
    pieces = next((pieces for keys, pieces in forms if keys == given), None)
    if pieces is None:
        raise UnknownRoute(f"route {name!r} takes {[sorted(k) for k, _ in forms]}, not {sorted(given)}")
    out = [quote(str(params[piece]), safe="") if i % 2 else piece for i, piece in enumerate(pieces)]
    path = "".join(out)
    if query:
        kept = {k: v for k, v in query.items() if v is not None and v != ""}
        if kept:
            path += "?" + urlencode(kept)
    if anchor:
        path += "#" + anchor
    return path
