"""Public pages of an organisation: the start page and the footer texts."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from beteiligung.organisations.models import TEXT_KEYS
from beteiligung.organisations.queries import get_text
from beteiligung.web.context import DB
from beteiligung.web.responses import render


@get("/", name="home")
async def home(request: Request[Any, Any, Any], db_session: DB) -> Template:
    """The start page: what is happening now (organisations/now.py), and how to take part."""
    from beteiligung.consultations.phases import PHASE_NAMES
    from beteiligung.db import utcnow
    from beteiligung.meetings.models import FORMAT_NAMES, STATE_NAMES
    from beteiligung.organisations.now import happening_now

    now = utcnow()
    happening = await happening_now(db_session, request.state.org.id, now)
    return render(
        request,
        "pages/home.html",
        {
            "happening": happening,
            "now": now,
            "phase_names": PHASE_NAMES,
            "meeting_states": STATE_NAMES,
            "meeting_formats": FORMAT_NAMES,
        },
    )


def _text_route(key: str) -> Any:
    async def handler(request: Request[Any, Any, Any], db_session: DB) -> Template:
        text = await get_text(db_session, request.state.org.id, key)
        if text is None:
            raise NotFoundException(f"no text {key}")
        return render(request, "pages/text.html", {"text": text})

    handler.__name__ = f"text_{key.replace('-', '_')}"
    return get(f"/{key}", name=f"text.{key}")(handler)


ROUTES = [home, *(_text_route(key) for key in TEXT_KEYS)]
