""" "Mitteilungen" in the account: the signed-in user's notifications, and marking them read.

Each notification reads in the viewer's language (notifications.texts). Marking all read works
as a plain POST (303 back to the list) and with htmx (the list block, plus the header badge out
of band).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Template

from beteiligung.accounts.guards import login_required
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.notifications import actions, queries
from beteiligung.notifications.texts import notification_text
from beteiligung.web.context import DB
from beteiligung.web.responses import flash, is_htmx, page_number, redirect_after_post, render, safe_next
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]

TEMPLATE = "notifications/list.html"
URL = "/konto/mitteilungen"


async def _context(request: Req, db: Any, seite: str | None = None) -> dict[str, Any]:
    page = await queries.list_notifications(db, request.state.actor.user_id, page_number(seite))
    return {
        "page": page,
        "entries": [
            {
                "n": n,
                "text": notification_text(n.kind, n.params or {}),
                "unread": n.read_at is None,
                "link": safe_next(n.link, ""),  # same-site paths only
            }
            for n in page.items
        ],
        "unread": sum(1 for n in page.items if n.read_at is None),
    }


@get(URL, name="notifications", guards=[login_required])
async def notifications_page(request: Req, db_session: DB, seite: FromQuery[str | None] = None) -> Template:
    return render(request, TEMPLATE, await _context(request, db_session, seite), block="list")


@post(f"{URL}/gelesen", name="notifications.read", guards=[login_required])
async def notifications_read_submit(request: Req, db_session: DB) -> Response[Any]:
    await actions.mark_all_read(db_session, user_id=request.state.actor.user_id, now=utcnow())
    await db_session.commit()
    message = _("Alle Mitteilungen sind als gelesen markiert.")
    if is_htmx(request):
        ctx = await _context(request, db_session) | {"badge_oob": True}
        return render(request, TEMPLATE, ctx, block="list", announce=message)
    flash(request, message)
    return redirect_after_post(request, url("notifications"))


ROUTES = [notifications_page, notifications_read_submit]
