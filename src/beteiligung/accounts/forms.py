"""The account forms. Labels and hints are German msgids (translated when rendered)."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from beteiligung.accounts.passwords import MAX_LENGTH, password_problem
from beteiligung.i18n import LOCALE_NAMES
from beteiligung.i18n import gettext as _
from beteiligung.web.forms import Field, Form

DISPLAY_NAME = Field(
    "display_name",
    "Anzeigename",
    max_length=60,
    min_length=2,
    autocomplete="nickname",
    hint="Wird öffentlich bei Ihren Beiträgen gezeigt. Ein Pseudonym ist willkommen; "
    "verwenden Sie Ihren vollen Namen nur, wenn Sie das möchten.",
)
EMAIL = Field(
    "email",
    "E-Mail-Adresse",
    kind="email",
    max_length=254,
    autocomplete="email",
    hint="Wird nie öffentlich gezeigt. Wir schreiben Ihnen nur zu Ihrem Konto.",
)
NEW_PASSWORD = Field(
    "password",
    "Passwort",
    kind="password",
    max_length=MAX_LENGTH,
    autocomplete="new-password",
    keep_value=False,
    hint="Mindestens 12 Zeichen. Ein Satz aus mehreren Wörtern ist sicher und gut zu merken.",
)
CURRENT_PASSWORD = Field(
    "current_password",
    "Aktuelles Passwort",
    kind="password",
    max_length=MAX_LENGTH,
    autocomplete="current-password",
    keep_value=False,
)
LOCALE = Field("locale", "Sprache", kind="select", choices=tuple(LOCALE_NAMES.items()))


class _NewPasswordMixin(Form):
    password_field: ClassVar[str] = "password"  # noqa: S105 - a field name

    def clean(self) -> None:
        if self.password_field not in self.cleaned:
            return
        problem = password_problem(
            self.cleaned.get(self.password_field, ""),
            email=str(self.cleaned.get("email", "")),
            display_name=str(self.cleaned.get("display_name", "")),
        )
        if problem:
            self.add_error(self.password_field, _(problem))


class RegisterForm(_NewPasswordMixin):
    id = "register"
    fields = (
        DISPLAY_NAME,
        EMAIL,
        NEW_PASSWORD,
        Field("accept_terms", "Ich akzeptiere die Nutzungsbedingungen und die Netiquette.", kind="checkbox"),
    )


class LoginForm(Form):
    id = "login"
    fields = (
        Field("email", "E-Mail-Adresse", kind="email", max_length=254, autocomplete="username"),
        Field(
            "password",
            "Passwort",
            kind="password",
            max_length=MAX_LENGTH,
            autocomplete="current-password",
            keep_value=False,
        ),
    )


class ForgotPasswordForm(Form):
    id = "forgot"
    fields = (Field("email", "E-Mail-Adresse", kind="email", max_length=254, autocomplete="email"),)


class ResetPasswordForm(_NewPasswordMixin):
    id = "reset"
    fields = (
        Field("token", "Link-Kennung", max_length=100),
        replace(NEW_PASSWORD, label="Neues Passwort"),
    )


class ProfileForm(Form):
    id = "profile"
    fields = (DISPLAY_NAME, LOCALE)


class ChangePasswordForm(_NewPasswordMixin):
    id = "password"
    password_field = "new_password"  # noqa: S105 - a field name
    fields = (
        CURRENT_PASSWORD,
        replace(NEW_PASSWORD, name="new_password", label="Neues Passwort"),
    )


class ChangeEmailForm(Form):
    id = "email"
    fields = (
        Field(
            "new_email",
            "Neue E-Mail-Adresse",
            kind="email",
            max_length=254,
            autocomplete="email",
            hint="Wir senden einen Bestätigungslink an die neue Adresse. Bis zur Bestätigung gilt die alte.",
        ),
        CURRENT_PASSWORD,
    )


class DeleteAccountForm(Form):
    id = "delete"
    fields = (
        CURRENT_PASSWORD,
        Field("confirm", "Ich möchte mein Konto endgültig löschen.", kind="checkbox"),
    )


class ConfirmTokenForm(Form):
    id = "confirm"
    fields = (Field("token", "Link-Kennung", max_length=100),)
