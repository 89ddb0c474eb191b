"""Page-or-fragment responses and post/redirect/get, the same way for every feature.

* Without JavaScript a form posts normally: errors come back as the full page (422) with the
  values kept; success answers 303 to the next page, with a flash message for it.
* With htmx the same URL answers with the form's own ``{% block %}`` (jinja2-fragments), or on
  success with ``HX-Redirect``; short results are announced in the status region through an
  ``HX-Trigger`` event (A11Y-09).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER

from beteiligung import registry
from beteiligung.web.errors import Refused
from beteiligung.web.htmx import is_htmx


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status: int = HTTP_200_OK,
    announce: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """The full page, or with htmx and a ``block`` only that block of the same template."""
    ctx = dict(context or {})
    out_headers = {"Vary": "HX-Request"} | dict(headers or {})
    if announce:
        out_headers["HX-Trigger"] = json.dumps({"bt:announce": {"message": announce}})
    if block and is_htmx(request):
        return HTMXBlockTemplate(
            template_name=template, block_name=block, context=ctx, status_code=status, headers=out_headers
        )
    return Template(template_name=template, context=ctx, status_code=status, headers=out_headers)


async def render_with_sections(
    request: Request[Any, Any, Any],
    db: Any,
    page: str,
    subject: Any,
    template: str,
    context: Callable[[], Awaitable[dict[str, Any]]],
    *,
    block: str | None = None,
    status: int = HTTP_200_OK,
    announce: str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Template:
    """A page with other features' sections (``registry.Section``): with htmx, a ``block`` one
    of the sections owns is answered from that section alone; otherwise ``context()`` builds the
    page's own context, and the full page loads every section (``sections``, and ``title_error``
    when one of them holds a form with errors). ``options[section name]`` go to its ``load``."""
    options = options or {}
    if block and is_htmx(request):
        shown = await registry.current().show_block(page, block, request, db, subject, **options)
        if shown is not None:
            return render(
                request, shown.template, shown.context, block=block, status=status, announce=announce
            )
    ctx = await context()
    if not block or not is_htmx(request):
        sections = await registry.current().show(page, request, db, subject, **options)
        ctx["sections"] = sections
        ctx["title_error"] = any(s.context.get("has_errors") for s in sections)
    return render(request, template, ctx, block=block, status=status, announce=announce)


def flash(request: Request[Any, Any, Any], message: str, kind: str = "success") -> None:
    """Queue a message for the next page the visitor sees."""
    session = request.scope.get("session")
    if not isinstance(session, dict):
        session = {}
    messages = list(session.get("flash", []))[-4:]
    messages.append({"kind": kind, "message": message})
    session["flash"] = messages
    request.set_session(session)


def redirect_after_post(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    if is_htmx(request):
        response = ClientRedirect(redirect_to=url)
        response.status_code = HTTP_200_OK
        return response
    return Redirect(path=url, status_code=HTTP_303_SEE_OTHER)


def safe_next(url: str | None, default: str = "/") -> str:
    """Only same-site relative paths (SEC-15): ``//evil`` and ``https://evil`` fall back."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or "\n" in url:
        return default
    return url


async def form_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The posted form as a plain dict (first value of each field)."""
    data = await request.form()
    return {key: data.get(key) for key in data}


def page_number(value: str | int | None) -> int:
    """``?seite=`` as a page number; anything odd is page 1 (never a 500)."""
    try:
        number = int(value or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 100_000)


async def submit_form(
    request: Request[Any, Any, Any],
    db: Any,
    form: Any,
    *,
    template: str,
    context: Callable[[Any], Awaitable[Mapping[str, Any]]] | Mapping[str, Any],
    action: Callable[[dict[str, Any]], Awaitable[Any]],
    next_url: Callable[[Any], str] | str,
    done: Callable[[Any], str] | str | None = None,
    block: str = "form",
) -> Response[Any] | Template:
    """The one form route (issue 12): validate → on errors the form's block (htmx) or page, 422,
    values kept → ``action(form.cleaned)`` → commit (the route owns the unit of work; actions
    never commit; queued live events go out after it) → flash ``done`` → 303 / ``HX-Redirect``
    to ``next_url``. A :class:`~beteiligung.web.errors.Refused` from the action is shown beside
    its field (or above the form) like any validation error, and nothing it wrote is kept.

    ``form`` is a bound :class:`~beteiligung.web.forms.Form`; ``context``, ``next_url`` and
    ``done`` may be callables: ``context(form)``, ``next_url(result)`` and ``done(result)``
    get what they need when the outcome is known."""
    if form.validate():
        try:
            result = await action(form.cleaned)
        except Refused as refusal:
            await db.rollback()
            form.add_error(refusal.field if refusal.field in form.raw else None, refusal.message)
        else:
            await db.commit()
            if done:
                flash(request, done(result) if callable(done) else done)
            return redirect_after_post(request, next_url(result) if callable(next_url) else next_url)
    ctx = dict(await context(form) if callable(context) else context)
    ctx.setdefault("form", form)
    return render(request, template, ctx, block=block, status=422)
