"""A filtered list page (the Vorhabenliste, the search): its filter form is a GET form whose
htmx request swaps only the ``results`` block, pushes the filtered address into the history
and announces how many were found; without JavaScript the same address answers the full page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

from beteiligung.web.responses import is_htmx, render


def render_results(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any],
    *,
    announce: str | None = None,
    block: str = "results",
) -> Template:
    """The full page, or with htmx its ``block`` with ``announce`` in the status region and
    ``HX-Push-Url`` so that the address (and the back button) keep the filters."""
    htmx = is_htmx(request)
    return render(
        request,
        template,
        context,
        block=block,
        announce=announce if htmx else None,
        headers={"HX-Push-Url": str(request.url)} if htmx else None,
    )
