"""Public pages of an organisation: the start page and the footer texts."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from beteiligung import registry
from beteiligung.db import utcnow
from beteiligung.organisations.models import TEXT_KEYS
from beteiligung.organisations.queries import get_text
from beteiligung.web.context import DB
from beteiligung.web.responses import render


@get("/", name="home")
async def home(request: Request[Any, Any, Any], db_session: DB) -> Template:
    """The start page: what is happening now (the features' ``home`` sections, about this moment),
    and how to take part."""
    now = utcnow()
    sections = await registry.current().show("home", request, db_session, now)
    return render(request, "pages/home.html", {"sections": sections, "now": now})


def _text_route(key: str) -> Any:
    async def handler(request: Request[Any, Any, Any], db_session: DB) -> Template:
        text = await get_text(db_session, request.state.org.id, key)
        if text is None:
            raise NotFoundException(f"no text {key}")
        return render(request, "pages/text.html", {"text": text})

    handler.__name__ = f"text_{key.replace('-', '_')}"
    return get(f"/{key}", name=f"text.{key}")(handler)


ROUTES = [home, *(_text_route(key) for key in TEXT_KEYS)]
