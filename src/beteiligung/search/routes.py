"""The search page: ``/suche?q=…&art=…&seite=…`` (docs/participation.md).

Without ``art`` the page shows the best hits of each kind (Vorhaben, Vorschläge, Kommentare)
with their counts; with ``art`` one kind, page by page. Any input gives a page: an empty query
the form, an over-long one is cut to ``MAX_QUERY`` characters (and the page says so); control
characters are refused with a 400 page before any route runs (web/input_guard.py). With htmx
the form replaces only the results block, like the Vorhabenliste.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from beteiligung.i18n import ngettext
from beteiligung.search.queries import (
    KIND_LABELS,
    KIND_NAMES,
    MAX_QUERY,
    Kind,
    parse_kind,
    parse_query,
    search,
)
from beteiligung.web.context import DB
from beteiligung.web.responses import page_number
from beteiligung.web.results import render_results

Req = Request[Any, Any, Any]


@get("/suche", name="search.page")
async def search_page(
    request: Req,
    db_session: DB,
    q: FromQuery[str] = "",
    art: FromQuery[str] = "",
    seite: FromQuery[str] = "1",
) -> Template:
    query = parse_query(q)
    kind = parse_kind(art)
    results = await search(db_session, request.state.org.id, query, kind=kind, page=page_number(seite))
    params = {k: v for k, v in {"q": query.text, "art": kind.value if kind else ""}.items() if v}
    found = results.page.total if results.page is not None else results.total
    announce = ngettext("%(num)s Treffer.", "%(num)s Treffer.", found) if query else None
    return render_results(
        request,
        "search/page.html",
        {
            "results": results,
            "found": found,  # hits of the kind shown (all kinds on the overview)
            "query": query,
            "kind": kind,
            "kinds": list(Kind),
            "kind_names": KIND_NAMES,
            "kind_labels": KIND_LABELS,
            "params": params,
            "max_query": MAX_QUERY,
        },
        announce=announce,
    )


ROUTES = [search_page]
