"""Error pages in the visitor's language; never a stack trace (SEC-16, V7.4.1).

* 401 on a page → redirect to the login with ``next``; with htmx, ``HX-Redirect``.
* CSRF failure on a form route (``opt["form"]``) → the same form again, values kept, with a
  message to send it once more (nothing the visitor typed is lost).
* 5xx → a generic page with an incident id that is also in the log line.
* The database unreachable or too slow (``beteiligung.db.database_unavailable``) → 503 with
  "Die Datenbank ist kurz nicht erreichbar"; a submitted form's values (not passwords or
  tokens) are shown again in a form posting to the same address, so nothing typed is lost.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.utils.scope.state import ScopeState

from beteiligung.db import database_unavailable
from beteiligung.i18n import gettext as _
from beteiligung.web.context import FALLBACK_ORG, context_defaults
from beteiligung.web.htmx import is_htmx
from beteiligung.web.urls import url

log = structlog.get_logger("beteiligung.errors")

Req = Request[Any, Any, Any]

TITLES = {
    400: "Ungültige Anfrage",
    403: "Zugriff verweigert",
    404: "Seite nicht gefunden",
    405: "Methode nicht erlaubt",
    409: "Aktion nicht mehr möglich",
    413: "Anfrage zu groß",
    422: "Eingaben unvollständig",
    429: "Zu viele Anfragen",
    500: "Ein Fehler ist aufgetreten",
    503: "Vorübergehend nicht erreichbar",
}


def _messages(status: int) -> str:
    return {
        400: _("Die Anfrage konnte nicht verarbeitet werden. Bitte prüfen Sie den Link oder Ihre Eingaben."),
        403: _("Sie haben keine Berechtigung für diese Seite oder Aktion."),
        404: _(
            "Diese Seite gibt es nicht (mehr). Bitte prüfen Sie die Adresse oder beginnen Sie auf der Startseite."
        ),
        405: _("Diese Aktion ist auf diesem Weg nicht möglich."),
        413: _("Die gesendeten Daten sind zu groß. Bitte kürzen Sie Ihre Eingabe."),
        429: _("Sie haben zu viele Anfragen in kurzer Zeit gesendet. Bitte warten Sie einen Moment."),
        503: _("Der Dienst ist vorübergehend nicht erreichbar. Bitte versuchen Sie es später erneut."),
    }.get(
        status, _("Entschuldigung, dabei ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut.")
    )


def _load_context(request: Req) -> None:
    """Error pages render without I/O (exception handlers are synchronous): when the request
    failed before its context was loaded, they show the default organisation as cached at
    start-up, and the rest as the features' context hooks leave it without I/O (an anonymous
    visitor)."""
    state = request.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    defaults = context_defaults()
    defaults["org"] = request.app.state.get("default_org_view") or FALLBACK_ORG
    if all(key in state for key in defaults):
        return
    state.update(defaults)


def _wants_json(request: Req) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def _public_error(request: Req, exc: HTTPException) -> Response[Any]:
    """A refusal with its reason: the error page, or with htmx an alert in the page's alert
    region (``#page-alert``), announced in the status region; the rest of the page stays."""
    message = str(exc.detail)
    if _wants_json(request):
        return Response({"status_code": exc.status_code, "detail": message}, status_code=exc.status_code)
    _load_context(request)
    if is_htmx(request):
        return Template(
            template_name="errors/alert.html",
            context={"message": message, "kind": "warning" if exc.status_code == 409 else "danger"},
            status_code=exc.status_code,
            # The alert takes focus and has role=alert: announced once, without the status region.
            headers={"HX-Retarget": "#page-alert", "HX-Reswap": "innerHTML"},
        )
    return Template(
        template_name="errors/error.html",
        context={
            "status": exc.status_code,
            "title": _(TITLES.get(exc.status_code, TITLES[400])),
            "message": message,
            "incident": None,
        },
        status_code=exc.status_code,
    )


def _error_page(
    request: Req, status: int, *, incident: str | None = None, headers: dict[str, str] | None = None
) -> Response[Any]:
    if _wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": _messages(status)}
        if incident:
            body["incident"] = incident
        return Response(body, status_code=status, headers=headers)
    _load_context(request)
    return Template(
        template_name="errors/error.html",
        context={
            "status": status,
            "title": _(TITLES.get(status, TITLES[500])),
            "message": _messages(status),
            "incident": incident,
        },
        status_code=status,
        headers=headers,
    )


def _csrf_form(request: Req) -> Response[Any] | None:
    spec = request.scope.get("route_handler").opt.get("form") if request.scope.get("route_handler") else None  # type: ignore[union-attr]
    if not spec:
        return None
    template, form_class = spec
    # The CSRF middleware parsed the form body already and left it in the scope state.
    data = ScopeState.from_scope(request.scope).form
    form = form_class(data if isinstance(data, dict) else {})
    form.add_error(
        None,
        _(
            "Ihre Sitzung ist abgelaufen oder das Formular war zu lange geöffnet. Ihre Eingaben sind noch da: "
            "Bitte prüfen Sie sie und senden Sie das Formular erneut."
        ),
    )
    _load_context(request)
    block = "form" if is_htmx(request) else None
    from beteiligung.web.responses import render  # responses imports this module (Refused)

    return render(request, template, {"form": form}, block=block, status=403)


def http_exception_handler(request: Req, exc: Exception) -> Response[Any]:
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    if isinstance(exc, NotAuthorizedException):
        target = url("login", query={"next": request.url.path if request.method == "GET" else "/"})
        if _wants_json(request):
            return Response({"status_code": 401, "detail": _("Bitte melden Sie sich an.")}, status_code=401)
        if is_htmx(request):
            redirect = ClientRedirect(redirect_to=target)
            redirect.status_code = 200
            return redirect
        return Redirect(path=target, status_code=303)
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        log.warning("csrf.failure", path=request.url.path)
        response = _csrf_form(request)
        if response is not None:
            return response
    headers = getattr(exc, "headers", None) or None
    if isinstance(exc, PublicHTTPException):
        return _public_error(request, exc)
    if not isinstance(exc, HTTPException) and database_unavailable(exc):
        # Not a bug: the class only, the error text could quote what was sent.
        log.warning("database.unavailable", path=request.url.path, error=type(exc).__name__)
        return _database_unavailable(request)
    if status >= 500:
        incident = uuid.uuid4().hex[:12]
        log.error("request.failed", incident=incident, path=request.url.path, exc_info=exc)
        return _error_page(request, status, incident=incident)
    return _error_page(request, status, headers=headers)


# Submitted fields never shown again on the 503 page: secrets, and the CSRF token (the page
# brings a fresh one).
_SECRET_FIELD = re.compile(r"pass|token|csrf|secret", re.IGNORECASE)
_MAX_KEPT_FIELDS = 100


def _kept_fields(request: Req) -> list[tuple[str, str]]:
    """The submitted form's non-secret text values, as (name, value) in the order sent."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return []
    data = ScopeState.from_scope(request.scope).form
    if not isinstance(data, dict):
        return []
    fields: list[tuple[str, str]] = []
    for name, value in data.items():
        if not isinstance(name, str) or _SECRET_FIELD.search(name):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                fields.append((name, item))
    return fields[:_MAX_KEPT_FIELDS]


async def keep_submitted_form(connection: Any) -> None:
    """Parse a submitted form now, before the request fails, so that the 503 page can show it
    (called when the database fails before the CSRF middleware or the route read the body)."""
    if connection.scope.get("method") in {"GET", "HEAD", "OPTIONS"}:
        return
    try:
        await Request(connection.scope, connection.receive).form()
    except Exception:  # noqa: S110 - a body we cannot read is simply not shown again
        pass


def _database_unavailable(request: Req) -> Response[Any]:
    fields = _kept_fields(request)
    if fields:
        message = _(
            "Die Datenbank ist kurz nicht erreichbar, Ihre Eingabe ist unten erhalten. Bitte senden "
            "Sie sie in einem Moment noch einmal ab, oder kopieren Sie sie sich."
        )
    else:
        message = _(
            "Die Datenbank ist kurz nicht erreichbar. Bitte versuchen Sie es in einem Moment noch einmal."
        )
    headers = {"Retry-After": "10"}
    if _wants_json(request):
        return Response({"status_code": 503, "detail": message}, status_code=503, headers=headers)
    _load_context(request)
    if is_htmx(request):
        # htmx: the form and what was typed stay in the page; the alert says to send it again.
        if fields:
            message = _(
                "Die Datenbank ist kurz nicht erreichbar. Ihre Eingabe ist noch im Formular: Bitte "
                "senden Sie es in einem Moment noch einmal ab."
            )
        return Template(
            template_name="errors/alert.html",
            context={"message": message, "kind": "danger"},
            status_code=503,
            headers={**headers, "HX-Retarget": "#page-alert", "HX-Reswap": "innerHTML"},
        )
    action = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Template(
        template_name="errors/unavailable.html",
        context={"title": _(TITLES[503]), "message": message, "fields": fields, "action": action},
        status_code=503,
        headers=headers,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: http_exception_handler,
    Exception: http_exception_handler,
}


class PublicHTTPException(HTTPException):
    """An error whose ``detail`` is a message for the visitor (already translated), shown on the
    error page, or with htmx in the page's alert region and the status region."""


class ActionForbidden(PublicHTTPException):
    status_code = 403


class ActionConflict(PublicHTTPException):
    """409: the action is not possible (any more, or yet): a phase ended, a time limit passed."""

    status_code = 409


class Refused(ValueError):
    """The one refusal of a use case (issue 12): an action raises it with the visitor's message
    (already translated) and, where one input is at fault, that field's name. A form route shows
    it beside the field (422, values kept, see ``web.responses.submit_form``); a button route
    shows it as a flash message on the page it returns to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
