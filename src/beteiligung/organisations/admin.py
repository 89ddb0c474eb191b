"""The organisation's admin area: texts, members and roles, and the mail outbox.

The routes own the unit of work: the text form goes through ``submit_form``; the role form
commits itself before the person's sessions end (the session store writes on its own).
"""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts import actions
from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.models import Membership, Role, User
from beteiligung.accounts.passwords import verify_password
from beteiligung.accounts.permissions import Perm
from beteiligung.accounts.sessions import end_sessions
from beteiligung.i18n import gettext as _
from beteiligung.mail.models import OutboxMail
from beteiligung.organisations.models import TEXT_KEYS
from beteiligung.organisations.queries import get_text, list_texts
from beteiligung.web.context import DB
from beteiligung.web.forms import Field, Form
from beteiligung.web.responses import flash, form_data, is_htmx, redirect_after_post, render, submit_form
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]

ROLE_LABELS = {
    Role.RESIDENT: "Einwohner:in",
    Role.MODERATOR: "Moderation",
    Role.STAFF: "Verwaltung (Mitarbeiter:in)",
    Role.ADMIN: "Administration",
}


class TextForm(Form):
    id = "text"
    fields = (
        Field("title", "Titel", max_length=200),
        Field(
            "body",
            "Text (Markdown)",
            kind="textarea",
            max_length=100_000,
            rows=24,
            hint="Überschriften mit ##, Listen mit - oder 1., Links als [Text](https://…).",
        ),
    )


class RoleForm(Form):
    id = "role"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("email", "E-Mail-Adresse des Kontos", kind="email", max_length=254, autocomplete="off"),
        Field(
            "role",
            "Rolle",
            kind="select",
            choices=tuple((r.value, label) for r, label in ROLE_LABELS.items()),
        ),
        Field(
            "confirm_password",
            "Ihr eigenes Passwort zur Bestätigung",
            kind="password",
            max_length=128,
            keep_value=False,
            autocomplete="current-password",
            hint="Rollen geben Rechte. Deshalb bestätigen Sie jede Änderung mit Ihrem Passwort.",
        ),
    )


@get("/verwaltung", name="admin", guards=[permission_required(Perm.ADMIN_AREA_VIEW)])
async def admin_home(request: Req, db_session: DB) -> Template:
    return render(request, "admin/home.html", {"mailer": request.app.state["mailer"]})


@get("/verwaltung/texte", name="admin.texts", guards=[permission_required(Perm.ORG_TEXTS_EDIT)])
async def texts_page(request: Req, db_session: DB) -> Template:
    texts = {t.key: t for t in await list_texts(db_session, request.state.org.id)}
    return render(request, "admin/texts.html", {"texts": texts})


async def _load_text(db: AsyncSession, org_id: int, key: FromPath[str]) -> Any:
    if key not in TEXT_KEYS:
        raise NotFoundException(f"no text {key}")
    text = await get_text(db, org_id, key)
    if text is None:
        raise NotFoundException(f"no text {key}")
    return text


@get("/verwaltung/texte/{key:str}", name="admin.text", guards=[permission_required(Perm.ORG_TEXTS_EDIT)])
async def text_edit_page(request: Req, db_session: DB, key: FromPath[str]) -> Template:
    text = await _load_text(db_session, request.state.org.id, key)
    form = TextForm(initial={"title": text.title, "body": text.body})
    return render(request, "admin/text_edit.html", {"form": form, "text": text})


@post(
    "/verwaltung/texte/{key:str}", name="admin.text.submit", guards=[permission_required(Perm.ORG_TEXTS_EDIT)]
)
async def text_edit_submit(request: Req, db_session: DB, key: FromPath[str]) -> Response[Any] | Template:
    text = await _load_text(db_session, request.state.org.id, key)
    data = await form_data(request)
    form = TextForm(data)
    if data.get("aktion") == "vorschau" and form.validate():  # as it would be published, nothing saved
        preview = {"title": form.cleaned["title"], "body": form.cleaned["body"]}
        return render(
            request,
            "admin/text_edit.html",
            {"form": form, "text": text, "preview": preview},
            block="form",
            announce=_("Vorschau angezeigt. Der Text ist noch nicht gespeichert."),
        )

    async def save(values: dict[str, Any]) -> Any:
        if (values["title"], values["body"]) != (text.title, text.body):
            text.title = values["title"]
            text.body = values["body"]
            text.version += 1  # consents cite the version they agreed to
        return text

    return await submit_form(
        request,
        db_session,
        form,
        template="admin/text_edit.html",
        context={"text": text},
        action=save,
        next_url=url("admin.texts"),
        done=lambda saved: _(
            "Der Text „%(title)s“ wurde gespeichert (Version %(version)s).",
            title=saved.title,
            version=saved.version,
        ),
    )


async def _members(db: AsyncSession, org_id: int) -> list[tuple[User, Role]]:
    rows = await db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == org_id, Membership.role != Role.RESIDENT)
        .order_by(User.display_name)
    )
    return [(u, r) for u, r in rows.all()]


@get("/verwaltung/rollen", name="admin.roles", guards=[permission_required(Perm.ORG_MEMBERS_MANAGE)])
async def roles_page(request: Req, db_session: DB) -> Template:
    return render(
        request,
        "admin/roles.html",
        {
            "form": RoleForm(),
            "members": await _members(db_session, request.state.org.id),
            "labels": ROLE_LABELS,
        },
    )


@post("/verwaltung/rollen", name="admin.roles.submit", guards=[permission_required(Perm.ORG_MEMBERS_MANAGE)])
async def roles_submit(request: Req, db_session: DB) -> Response[Any]:
    """A role change is a plain form POST confirmed with the admin's own password.

    A CSRF token alone is not enough here: markup that reached a page (and htmx acting on it) would
    send the page's token. So the form is not an htmx form, a request made by htmx is refused, and
    the admin re-types a secret no page contains.
    """
    form = RoleForm(await form_data(request))
    org_id = request.state.org.id
    user: User | None = None
    if is_htmx(request):
        form.validate()
        form.add_error(
            None,
            _("Rollen werden nur über das Formular dieser Seite geändert. Bitte laden Sie die Seite neu."),
        )
    elif form.validate():
        admin = await db_session.get(User, request.state.actor.user_id)
        if admin is None or not await verify_password(admin.password_hash, form.cleaned["confirm_password"]):
            form.add_error("confirm_password", _("Das Passwort stimmt nicht."))
        user = await actions.get_user_by_email(db_session, form.cleaned["email"])
        if user is None:
            form.add_error("email", _("Zu dieser E-Mail-Adresse gibt es kein Konto."))
        elif user.id == request.state.actor.user_id:
            form.add_error(
                "role",
                _(
                    "Ihre eigene Rolle kann nur eine andere Administratorin oder ein anderer Administrator ändern."
                ),
            )
    if form.has_errors or user is None:
        return render(
            request,
            "admin/roles.html",
            {
                "form": form,
                "members": await _members(db_session, org_id),
                "labels": ROLE_LABELS,
            },
            status=422,
        )
    role = Role(form.cleaned["role"])
    await actions.set_role(db_session, user=user, org_id=org_id, role=role)
    await db_session.commit()
    # A privilege change ends the person's sessions; the next login gets a fresh id.
    await end_sessions(request.app.stores.get("sessions"), user.id)
    flash(
        request,
        _("Die Rolle von %(name)s ist jetzt: %(role)s.", name=user.display_name, role=_(ROLE_LABELS[role])),
    )
    return redirect_after_post(request, url("admin.roles"))


@get("/verwaltung/postausgang", name="admin.outbox", guards=[permission_required(Perm.MAIL_OUTBOX_READ)])
async def outbox_page(request: Req, db_session: DB) -> Template:
    mails = (await db_session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(50))).all()
    return render(request, "admin/outbox.html", {"mails": mails, "mailer": request.app.state["mailer"]})


ROUTES = [admin_home, texts_page, text_edit_page, text_edit_submit, roles_page, roles_submit, outbox_page]
