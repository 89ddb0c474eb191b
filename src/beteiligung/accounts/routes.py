"""Account pages: register, verify, log in and out, reset, "Mein Konto", "Meine Daten", delete.

Every form works as a plain POST (errors: 422 with the full page; success: 303) and with htmx
(errors: the form's block; success: HX-Redirect). See :mod:`beteiligung.web.responses`. The
actions never commit; ``submit_form`` or the route commits once after the action, and only then
ends other sessions (the session store writes through a connection of its own).
"""

from __future__ import annotations

import json
import time
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from beteiligung import i18n
from beteiligung.accounts import actions
from beteiligung.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmTokenForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from beteiligung.accounts.guards import login_required
from beteiligung.accounts.models import TokenPurpose, User
from beteiligung.accounts.passwords import verify_password
from beteiligung.accounts.privacy import export_user_data
from beteiligung.accounts.sessions import end_sessions, rotate_session
from beteiligung.accounts.tokens import find_token
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n.middleware import LANG_COOKIE
from beteiligung.infra import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_PER_IP,
    REGISTER_PER_IP,
    RESET_PER_ACCOUNT,
    RESET_PER_IP,
    RateLimiter,
)
from beteiligung.mail.service import Mailer
from beteiligung.web.context import DB, settings_of
from beteiligung.web.forms import Form
from beteiligung.web.responses import flash, form_data, redirect_after_post, render, safe_next, submit_form
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]


def _mailer(request: Req) -> Mailer:
    return request.app.state["mailer"]  # type: ignore[no-any-return]


def _limiter(request: Req) -> RateLimiter:
    return request.app.state["limiter"]  # type: ignore[no-any-return]


def _ip(request: Req) -> str:
    return request.client.host if request.client else "unknown"


def _user(request: Req) -> User:
    user = request.state.get("user")
    if user is None:
        raise NotAuthorizedException("login required")
    return user  # type: ignore[no-any-return]


def _form_page(
    request: Req,
    template: str,
    form: Form,
    *,
    status: int = HTTP_422_UNPROCESSABLE_ENTITY,
    block: str = "form",
    headers: dict[str, str] | None = None,
    **ctx: Any,
) -> Template:
    return render(request, template, {"form": form, **ctx}, block=block, status=status, headers=headers)


def _too_many(request: Req, template: str, form: Form, retry_after: int, **ctx: Any) -> Template:
    minutes = max(1, (retry_after + 59) // 60)
    form.add_error(
        None,
        i18n.ngettext(
            "Zu viele Versuche. Bitte warten Sie %(num)s Minute und versuchen Sie es dann erneut.",
            "Zu viele Versuche. Bitte warten Sie %(num)s Minuten und versuchen Sie es dann erneut.",
            minutes,
        ),
    )
    return _form_page(
        request,
        template,
        form,
        status=HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(retry_after)},
        **ctx,
    )


async def _end_sessions(request: Req, user_id: int, keep_current: bool = False) -> None:
    store = request.app.stores.get("sessions")
    keep = request.cookies.get(request.app.state["session_cookie"]) if keep_current else None
    await end_sessions(store, user_id, keep=keep)


def _sign_out(request: Req) -> None:
    """End the session; a flash message for the next page lives under a fresh id."""
    request.clear_session()
    rotate_session(request.scope)


def _sign_in(request: Req, user: User) -> None:
    """Start an authenticated session under a new id (SEC-06)."""
    rotate_session(request.scope)
    request.set_session({"uid": user.id, "av": user.auth_version, "iat": time.time()})


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------
@get("/registrieren", name="register")
async def register_page(request: Req) -> Template:
    return render(request, "accounts/register.html", {"form": RegisterForm()})


@post("/registrieren", name="register.submit", opt={"form": ("accounts/register.html", RegisterForm)})
async def register_submit(request: Req, db_session: DB) -> Response[Any]:
    form = RegisterForm(await form_data(request))
    template = "accounts/register.html"
    if not form.validate():
        return _form_page(request, template, form)
    limit = await _limiter(request).hit(REGISTER_PER_IP, _ip(request))
    if not limit.allowed:
        return _too_many(request, template, form, limit.retry_after)
    settings = settings_of(request)
    await actions.register_user(
        db_session,
        _mailer(request),
        org=request.state.org,
        display_name=form.cleaned["display_name"],
        email=form.cleaned["email"],
        password=form.cleaned["password"],
        locale=i18n.current_locale.get(),
        base_url=settings.resolved_base_url,
        now=utcnow(),
    )
    await db_session.commit()
    return redirect_after_post(request, url("register.sent"))


def _message(request: Req, title: str, message: str) -> Template:
    return render(request, "accounts/message.html", {"title": title, "message": message})


def _check_your_mail(request: Req, message: str) -> Template:
    return _message(request, _("Bitte prüfen Sie Ihr E-Mail-Postfach"), message)


@get("/registrieren/gesendet", name="register.sent")
async def register_sent(request: Req) -> Template:
    return _check_your_mail(
        request,
        _(
            "Wir haben Ihnen eine E-Mail geschickt. Bitte öffnen Sie den Link darin, um Ihre "
            "E-Mail-Adresse zu bestätigen. Danach können Sie sich anmelden. Keine E-Mail erhalten? "
            "Schauen Sie bitte auch im Spam-Ordner nach."
        ),
    )


@get("/email-bestaetigen", name="email.confirm")
async def confirm_email_page(request: Req, db_session: DB, token: FromQuery[str] = "") -> Template:
    now = utcnow()
    valid = await find_token(db_session, token, TokenPurpose.VERIFY_EMAIL, now) or await find_token(
        db_session, token, TokenPurpose.CHANGE_EMAIL, now
    )
    form = ConfirmTokenForm(initial={"token": token})
    if not valid:
        form.add_error(
            None, _("Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie eine neue E-Mail an.")
        )
    return render(
        request,
        "accounts/confirm_email.html",
        {"form": form, "valid": bool(valid)},
        status=200 if valid else 400,
    )


@post(
    "/email-bestaetigen",
    name="email.confirm.submit",
    opt={"form": ("accounts/confirm_email.html", ConfirmTokenForm)},
)
async def confirm_email_submit(request: Req, db_session: DB) -> Response[Any]:
    form = ConfirmTokenForm(await form_data(request))
    if not form.validate():
        return _form_page(request, "accounts/confirm_email.html", form, status=400, valid=False)
    try:
        result = await actions.confirm_email(
            db_session, _mailer(request), token=form.cleaned["token"], now=utcnow()
        )
    except actions.AccountError as exc:
        await db_session.rollback()
        form.add_error(None, exc.message)
        return _form_page(request, "accounts/confirm_email.html", form, status=400, valid=False)
    await db_session.commit()
    if result.changed_email:
        flash(request, _("Ihre neue E-Mail-Adresse ist bestätigt."))
    else:
        flash(request, _("Vielen Dank! Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden."))
    return redirect_after_post(request, url("account" if request.state.actor.is_authenticated else "login"))


# --------------------------------------------------------------------------------------------
# Login / logout
# --------------------------------------------------------------------------------------------
@get("/anmelden", name="login")
async def login_page(request: Req, next: FromQuery[str] = "") -> Template:
    if request.state.actor.is_authenticated:
        return _message(
            request,
            _("Sie sind angemeldet"),
            _("Sie sind bereits als %(name)s angemeldet.", name=request.state.actor.display_name),
        )
    return render(request, "accounts/login.html", {"form": LoginForm(), "next": safe_next(next, "")})


@post("/anmelden", name="login.submit", opt={"form": ("accounts/login.html", LoginForm)})
async def login_submit(request: Req, db_session: DB) -> Response[Any]:
    data = await form_data(request)
    form = LoginForm(data)
    next_url = safe_next(str(data.get("next") or ""), "")
    template = "accounts/login.html"
    if not form.validate():
        return _form_page(request, template, form, next=next_url)
    limiter = _limiter(request)
    email = form.cleaned["email"]
    # Only failed attempts count, per address too: many people signing in from one address (the
    # town hall's NAT) must not lock each other out; guessing fails, and that is what counts.
    per_ip = await limiter.peek(LOGIN_PER_IP, _ip(request))
    per_account = await limiter.peek(LOGIN_FAILURES_PER_ACCOUNT, email)
    if not per_ip.allowed or not per_account.allowed:
        retry = max(
            per_ip.retry_after if not per_ip.allowed else 0,
            per_account.retry_after if not per_account.allowed else 0,
        )
        return _too_many(request, template, form, retry, next=next_url)
    user = await actions.authenticate(
        db_session, email=email, password=form.cleaned["password"], now=utcnow()
    )
    await db_session.commit()  # the last login (and a rehashed password)
    if user is None:
        await limiter.hit(LOGIN_PER_IP, _ip(request))
        await limiter.hit(LOGIN_FAILURES_PER_ACCOUNT, email)
        form.add_error(None, _("E-Mail-Adresse oder Passwort ist falsch."))
        return _form_page(request, template, form, next=next_url)
    if user.email_verified_at is None:
        form.add_error(
            None,
            _(
                "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link in unserer E-Mail. "
                "Wir haben Ihnen soeben einen neuen Link geschickt."
            ),
        )
        await actions.resend_verification(
            db_session,
            _mailer(request),
            user=user,
            org=request.state.org,
            base_url=settings_of(request).resolved_base_url,
            now=utcnow(),
        )
        await db_session.commit()
        return _form_page(request, template, form, status=403, next=next_url)
    await limiter.reset(LOGIN_FAILURES_PER_ACCOUNT, email)
    _sign_in(request, user)
    if user.locale in i18n.LOCALES:
        i18n.current_locale.set(user.locale)
    flash(request, _("Willkommen, %(name)s! Sie sind angemeldet.", name=user.display_name))
    return redirect_after_post(request, next_url or url("account"))


@post("/abmelden", name="logout")
async def logout(request: Req) -> Response[Any]:
    _sign_out(request)
    flash(request, _("Sie sind abgemeldet."))
    return redirect_after_post(request, url("home"))


# --------------------------------------------------------------------------------------------
# Forgotten password
# --------------------------------------------------------------------------------------------
@get("/passwort-vergessen", name="password.forgot")
async def forgot_page(request: Req) -> Template:
    return render(request, "accounts/forgot.html", {"form": ForgotPasswordForm()})


@post(
    "/passwort-vergessen",
    name="password.forgot.submit",
    opt={"form": ("accounts/forgot.html", ForgotPasswordForm)},
)
async def forgot_submit(request: Req, db_session: DB) -> Response[Any]:
    form = ForgotPasswordForm(await form_data(request))
    if not form.validate():
        return _form_page(request, "accounts/forgot.html", form)
    limiter = _limiter(request)
    per_ip = await limiter.hit(RESET_PER_IP, _ip(request))
    if not per_ip.allowed:
        return _too_many(request, "accounts/forgot.html", form, per_ip.retry_after)
    # Over the per-account limit we quietly send nothing: the answer stays the same (SEC-03).
    if (await limiter.hit(RESET_PER_ACCOUNT, form.cleaned["email"])).allowed:
        await actions.request_password_reset(
            db_session,
            _mailer(request),
            email=form.cleaned["email"],
            org=request.state.org,
            base_url=settings_of(request).resolved_base_url,
            now=utcnow(),
        )
        await db_session.commit()
    return redirect_after_post(request, url("password.forgot.sent"))


@get("/passwort-vergessen/gesendet", name="password.forgot.sent")
async def forgot_sent(request: Req) -> Template:
    return _check_your_mail(
        request,
        _(
            "Wenn zu dieser E-Mail-Adresse ein Konto besteht, haben wir einen Link zum Zurücksetzen "
            "des Passworts geschickt. Er ist eine Stunde gültig."
        ),
    )


@get("/passwort-neu", name="password.reset")
async def reset_page(request: Req, db_session: DB, token: FromQuery[str] = "") -> Template:
    valid = await find_token(db_session, token, TokenPurpose.RESET_PASSWORD, utcnow())
    form = ResetPasswordForm(initial={"token": token})
    if not valid:
        form.add_error(None, _("Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie einen neuen an."))
    return render(
        request, "accounts/reset.html", {"form": form, "valid": bool(valid)}, status=200 if valid else 400
    )


@post("/passwort-neu", name="password.reset.submit", opt={"form": ("accounts/reset.html", ResetPasswordForm)})
async def reset_submit(request: Req, db_session: DB) -> Response[Any]:
    form = ResetPasswordForm(await form_data(request))
    if not form.validate():
        return _form_page(request, "accounts/reset.html", form, valid="token" not in form.errors)
    try:
        user = await actions.reset_password(
            db_session,
            _mailer(request),
            token=form.cleaned["token"],
            password=form.cleaned["password"],
            now=utcnow(),
        )
    except actions.AccountError as exc:
        await db_session.rollback()
        form.add_error(exc.field, exc.message)
        return _form_page(request, "accounts/reset.html", form, status=400, valid=False)
    await db_session.commit()
    await _end_sessions(request, user.id)
    _sign_out(request)
    flash(request, _("Ihr Passwort wurde geändert. Bitte melden Sie sich mit dem neuen Passwort an."))
    return redirect_after_post(request, url("login"))


# --------------------------------------------------------------------------------------------
# Mein Konto
# --------------------------------------------------------------------------------------------
def _account_context(request: Req, **forms: Form) -> dict[str, Any]:
    user = _user(request)
    ctx: dict[str, Any] = {
        "user": user,
        "profile_form": ProfileForm(initial={"display_name": user.display_name, "locale": user.locale}),
        "password_form": ChangePasswordForm(),
        "email_form": ChangeEmailForm(),
    }
    ctx.update(forms)
    return ctx


@get("/konto", name="account", guards=[login_required])
async def account_page(request: Req) -> Template:
    return render(request, "accounts/account.html", _account_context(request))


async def _submit_account_form(
    request: Req,
    db_session: DB,
    form: Form,
    action: Any,
    done: str | Any,
) -> Response[Any] | Template:
    """One of the forms on "Mein Konto" through ``submit_form``: errors answer the page (or the
    form's own block, named after its context key ``<id>_form``) with the other forms fresh."""
    key = f"{form.id}_form"

    async def context(bound: Form) -> dict[str, Any]:
        await db_session.refresh(_user(request))  # a refusal rolled back, which expired the user
        return _account_context(request, **{key: bound})

    return await submit_form(
        request,
        db_session,
        form,
        template="accounts/account.html",
        context=context,
        action=action,
        next_url=url("account"),
        done=done,
        block=key,
    )


@post("/konto/profil", name="account.profile", guards=[login_required])
async def profile_submit(request: Req, db_session: DB) -> Response[Any] | Template:
    async def save(values: dict[str, Any]) -> None:
        await actions.update_profile(
            db_session, user=_user(request), display_name=values["display_name"], locale=values["locale"]
        )
        i18n.current_locale.set(values["locale"])  # the flash message reads in the new language

    return await _submit_account_form(
        request,
        db_session,
        ProfileForm(await form_data(request)),
        save,
        lambda _result: _("Ihr Profil wurde gespeichert."),
    )


@post("/konto/passwort", name="account.password", guards=[login_required])
async def password_submit(request: Req, db_session: DB) -> Response[Any]:
    form = ChangePasswordForm(await form_data(request))
    user = _user(request)
    if form.validate():
        try:
            await actions.change_password(
                db_session,
                _mailer(request),
                user=user,
                current=form.cleaned["current_password"],
                new=form.cleaned["new_password"],
                now=utcnow(),
            )
        except actions.AccountError as exc:
            await db_session.rollback()
            await db_session.refresh(user)  # the rollback expired it; the page shows it
            form.add_error(exc.field, exc.message)
    if form.has_errors:
        ctx = _account_context(request, password_form=form) | {"form": form}
        return render(request, "accounts/account.html", ctx, block="password_form", status=422)
    await db_session.commit()  # before the other sessions end: their store writes on its own
    await _end_sessions(request, user.id)
    _sign_in(request, user)  # new id, new auth version: this session stays, all others end
    flash(request, _("Ihr Passwort wurde geändert. Alle anderen Sitzungen wurden abgemeldet."))
    return redirect_after_post(request, url("account"))


@post("/konto/email", name="account.email", guards=[login_required])
async def email_submit(request: Req, db_session: DB) -> Response[Any] | Template:
    async def request_change(values: dict[str, Any]) -> None:
        await actions.request_email_change(
            db_session,
            _mailer(request),
            user=_user(request),
            password=values["current_password"],
            new_email=values["new_email"],
            base_url=settings_of(request).resolved_base_url,
            now=utcnow(),
        )

    return await _submit_account_form(
        request,
        db_session,
        ChangeEmailForm(await form_data(request)),
        request_change,
        _("Wir haben einen Bestätigungslink an die neue E-Mail-Adresse geschickt."),
    )


@post("/konto/sitzungen-beenden", name="account.sessions.end", guards=[login_required])
async def end_sessions_submit(request: Req, db_session: DB) -> Response[Any]:
    user = _user(request)
    await actions.end_other_sessions(db_session, user=user)
    await db_session.commit()
    await _end_sessions(request, user.id)
    _sign_in(request, user)
    flash(request, _("Alle anderen Sitzungen wurden abgemeldet."))
    return redirect_after_post(request, url("account"))


@post("/konto/bestaetigung-senden", name="account.verification.resend", guards=[login_required])
async def resend_verification_submit(request: Req, db_session: DB) -> Response[Any]:
    await actions.resend_verification(
        db_session,
        _mailer(request),
        user=_user(request),
        org=request.state.org,
        base_url=settings_of(request).resolved_base_url,
        now=utcnow(),
    )
    await db_session.commit()
    flash(request, _("Wir haben Ihnen einen neuen Bestätigungslink geschickt."))
    return redirect_after_post(request, url("account"))


# --------------------------------------------------------------------------------------------
# Meine Daten: export and erasure (the readable page and "Meine Beiträge": mine/routes.py)
# --------------------------------------------------------------------------------------------
@get("/konto/daten/export.json", name="account.data.export", guards=[login_required])
async def data_export(request: Req, db_session: DB) -> Response[bytes]:
    data = await export_user_data(db_session, _user(request))
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="meine-daten.json"',
            "Cache-Control": "no-store",
        },
    )


@get("/konto/loeschen", name="account.delete", guards=[login_required])
async def delete_page(request: Req) -> Template:
    return render(request, "accounts/delete.html", {"form": DeleteAccountForm()})


@post(
    "/konto/loeschen",
    name="account.delete.submit",
    guards=[login_required],
    opt={"form": ("accounts/delete.html", DeleteAccountForm)},
)
async def delete_submit(request: Req, db_session: DB) -> Response[Any]:
    form = DeleteAccountForm(await form_data(request))
    user = _user(request)
    if not form.validate():
        return _form_page(request, "accounts/delete.html", form)
    if not await verify_password(user.password_hash, form.cleaned["current_password"]):
        form.add_error("current_password", _("Das aktuelle Passwort ist nicht richtig."))
        return _form_page(request, "accounts/delete.html", form)
    user_id = user.id
    await actions.delete_account(db_session, user=user)
    await db_session.commit()
    await _end_sessions(request, user_id)
    _sign_out(request)
    flash(request, _("Ihr Konto und Ihre persönlichen Daten wurden gelöscht."))
    return redirect_after_post(request, url("home"))


# --------------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------------
@post("/sprache", name="language")
async def set_language(request: Req, db_session: DB) -> Response[Any]:
    data = await form_data(request)
    locale = i18n.normalise_locale(str(data.get("lang") or "")) or i18n.DEFAULT_LOCALE
    user = request.state.get("user")
    if user is not None:
        user.locale = locale
        await db_session.commit()
    response: Response[Any] = Redirect(
        path=safe_next(str(data.get("next") or ""), url("home")), status_code=HTTP_303_SEE_OTHER
    )
    response.set_cookie(
        Cookie(
            key=LANG_COOKIE,
            value=locale,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=settings_of(request).use_secure_cookies,
            path="/",
        )
    )
    return response


ROUTES = [
    register_page,
    register_submit,
    register_sent,
    confirm_email_page,
    confirm_email_submit,
    login_page,
    login_submit,
    logout,
    forgot_page,
    forgot_submit,
    forgot_sent,
    reset_page,
    reset_submit,
    account_page,
    profile_submit,
    password_submit,
    email_submit,
    end_sessions_submit,
    resend_verification_submit,
    data_export,
    delete_page,
    delete_submit,
    set_language,
]
