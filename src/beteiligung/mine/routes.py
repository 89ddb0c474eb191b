"""The person's own pages: "Meine Daten" (readable, every feature's rows) and "Meine Beiträge".

They sit above every feature (the layer of search): they read each feature's models to show one
person's data and contributions together. The JSON download, the account's settings and the
erasure stay with accounts (accounts/routes.py), whose privacy hooks each feature implements.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromQuery
from litestar.response import Template

from beteiligung.accounts.guards import login_required
from beteiligung.accounts.models import User
from beteiligung.i18n import gettext as _
from beteiligung.mine.contributions import FILTER_NAMES, KIND_SLUGS, my_contributions
from beteiligung.mine.data_view import data_sections
from beteiligung.web.context import DB
from beteiligung.web.responses import page_number, render

Req = Request[Any, Any, Any]


def _user(request: Req) -> User:
    user = request.state.get("user")
    if user is None:
        raise NotAuthorizedException("login required")
    return user  # type: ignore[no-any-return]


@get("/konto/daten", name="account.data", guards=[login_required])
async def data_page(request: Req, db_session: DB) -> Template:
    """Everything stored about the person, readable (mine/data_view.py); the JSON is complete."""
    sections = await data_sections(db_session, _user(request))
    return render(request, "accounts/data.html", {"sections": sections})


@get("/konto/beitraege", name="account.contributions", guards=[login_required])
async def contributions_page(
    request: Req, db_session: DB, art: FromQuery[str] = "", seite: FromQuery[str | None] = None
) -> Template:
    """The person's proposals, comments, supports, survey responses and meeting questions with
    their status, newest first (mine/contributions.py); ``?art=`` narrows to one kind."""
    mine = await my_contributions(db_session, _user(request).id, art, page_number(seite))
    filters = [("", _("Alle"), mine.total)] + [
        (slug, _(FILTER_NAMES[kind]), mine.counts[kind]) for slug, kind in KIND_SLUGS.items()
    ]
    return render(request, "accounts/contributions.html", {"mine": mine, "filters": filters})


ROUTES = [data_page, contributions_page]
