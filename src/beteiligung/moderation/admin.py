"""The administrators' side of moderation: the settings of the automatic checks, and the audit
log with its CSV export (docs/moderation.md). The queue itself is in moderation/routes.py."""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.guards import permission_required
from beteiligung.accounts.permissions import Perm
from beteiligung.db import utcnow
from beteiligung.i18n import gettext as _
from beteiligung.i18n import local_tz
from beteiligung.moderation import audit
from beteiligung.moderation.actions import get_settings
from beteiligung.moderation.models import LOG_ACTION_NAMES, ModerationSettings
from beteiligung.web.context import DB
from beteiligung.web.forms import Field, Form
from beteiligung.web.responses import form_data, page_number, render, submit_form
from beteiligung.web.urls import url

Req = Request[Any, Any, Any]

# The paths, spelled once in the decorators below; links use url("moderation.settings") etc.
SETTINGS_PATH = "/verwaltung/moderation/einstellungen"
SETTINGS_TEMPLATE = "moderation/settings.html"
LOG_PATH = "/verwaltung/moderation/protokoll"
LOG_TEMPLATE = "moderation/log.html"

BLOCKLIST_MAX_TERMS = 500
BLOCKLIST_TERM_MAX = 100

# field → (lowest, highest) accepted value
RANGES: dict[str, tuple[int, int]] = {
    "flag_threshold": (1, 100),
    "max_links": (0, 50),
    "new_account_hours": (0, 24 * 365),
    "new_account_posts_per_hour": (1, 100),
    "posts_per_ten_minutes": (1, 100),
}


class SettingsForm(Form):
    id = "moderation-settings"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "flag_threshold",
            "Meldungen, bis ein Beitrag geprüft wird",
            kind="number",
            max_length=4,
            hint="Ab so vielen Meldungen verschiedener Personen wird ein Beitrag bis zur Prüfung "
            "ausgeblendet (mindestens 1).",
        ),
        Field(
            "max_links",
            "Höchstzahl an Links in einem Beitrag",
            kind="number",
            max_length=4,
            hint="Beiträge mit mehr Links warten auf Freigabe (0: jeder Link wird geprüft).",
        ),
        Field(
            "new_account_hours",
            "Neue Konten: Stunden nach der Registrierung",
            kind="number",
            max_length=5,
            hint="So lange gilt ein Konto als neu und hat eine engere Grenze (0: keine).",
        ),
        Field(
            "new_account_posts_per_hour",
            "Neue Konten: Beiträge pro Stunde",
            kind="number",
            max_length=4,
            hint="Weitere Beiträge eines neuen Kontos in derselben Stunde warten auf Freigabe.",
        ),
        Field(
            "posts_per_ten_minutes",
            "Alle Konten: Beiträge in zehn Minuten",
            kind="number",
            max_length=4,
            hint="Weitere Beiträge innerhalb von zehn Minuten warten auf Freigabe.",
        ),
        Field(
            "blocklist",
            "Sperrliste",
            kind="textarea",
            required=False,
            max_length=20_000,
            rows=8,
            hint="Ein Begriff pro Zeile; Groß- und Kleinschreibung und Akzente zählen nicht. Beiträge "
            "mit einem dieser Begriffe warten auf Freigabe. Zeilen mit # am Anfang sind Kommentare.",
        ),
    )

    @classmethod
    def of(cls, settings: ModerationSettings) -> SettingsForm:
        return cls(initial={f.name: getattr(settings, f.name) for f in cls.fields})

    def clean(self) -> None:
        for name, (low, high) in RANGES.items():
            value = self.cleaned.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(
                    name, _("Bitte geben Sie eine Zahl von %(low)s bis %(high)s ein.", low=low, high=high)
                )
        if "blocklist" in self.cleaned:
            lines = [line.strip() for line in self.cleaned["blocklist"].splitlines()]
            terms = [line for line in lines if line and not line.startswith("#")]
            too_long = [t for t in terms if len(t) > BLOCKLIST_TERM_MAX]
            if too_long:
                self.add_error(
                    "blocklist",
                    _(
                        "Ein Begriff darf höchstens %(max)s Zeichen lang sein: „%(term)s…“.",
                        max=BLOCKLIST_TERM_MAX,
                        term=too_long[0][:30],
                    ),
                )
            elif len(terms) > BLOCKLIST_MAX_TERMS:
                self.add_error(
                    "blocklist",
                    _("Bitte nennen Sie höchstens %(max)s Begriffe.", max=BLOCKLIST_MAX_TERMS),
                )
            self.cleaned["blocklist"] = "\n".join(line for line in lines if line)


async def save_settings(db: AsyncSession, org_id: int, values: dict[str, Any]) -> ModerationSettings:
    """Insert the organisation's row on the first save, update it afterwards; the caller commits."""
    row = (
        await db.scalars(select(ModerationSettings).where(ModerationSettings.organisation_id == org_id))
    ).first()
    if row is None:
        row = ModerationSettings(organisation_id=org_id)
        db.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


@get(SETTINGS_PATH, name="moderation.settings", guards=[permission_required(Perm.MODERATION_SETTINGS_EDIT)])
async def moderation_settings_page(request: Req, db_session: DB) -> Template:
    settings = await get_settings(db_session, request.state.org.id)
    return render(request, SETTINGS_TEMPLATE, {"form": SettingsForm.of(settings)})


@post(
    SETTINGS_PATH,
    name="moderation.settings.submit",
    guards=[permission_required(Perm.MODERATION_SETTINGS_EDIT)],
    opt={"form": (SETTINGS_TEMPLATE, SettingsForm)},
)
async def moderation_settings_submit(request: Req, db_session: DB) -> Response[Any] | Template:
    async def save(values: dict[str, Any]) -> ModerationSettings:
        return await save_settings(db_session, request.state.org.id, values)

    return await submit_form(
        request,
        db_session,
        SettingsForm(await form_data(request)),
        template=SETTINGS_TEMPLATE,
        context={},
        action=save,
        done=_("Die Einstellungen der Moderation sind gespeichert."),
        next_url=url("moderation.settings"),
    )


@get(LOG_PATH, name="moderation.log", guards=[permission_required(Perm.MODERATION_LOG_READ)])
async def moderation_log_page(
    request: Req, db_session: DB, aktion: FromQuery[str | None] = None, seite: FromQuery[str | None] = None
) -> Template:
    action = audit.parse_action(aktion)
    page = await audit.log_page(db_session, request.state.org.id, action=action, page=page_number(seite))
    ctx = {
        "page": page,
        "rows": await audit.log_rows(db_session, page.items),
        "action": action.value if action else "",
        "action_names": LOG_ACTION_NAMES,
        "params": {"aktion": action.value} if action else {},
    }
    return render(request, LOG_TEMPLATE, ctx, block="results")


@get(f"{LOG_PATH}.csv", name="moderation.log.csv", guards=[permission_required(Perm.MODERATION_LOG_READ)])
async def moderation_log_csv_page(request: Req, db_session: DB) -> Stream:
    entries = await audit.all_entries(db_session, request.state.org.id)
    today = utcnow().astimezone(local_tz()).date().isoformat()
    filename = f"moderationsprotokoll-{request.state.org.slug or 'organisation'}-{today}.csv"
    return Stream(
        audit.csv_lines(entries),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text/*
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [moderation_settings_page, moderation_settings_submit, moderation_log_page, moderation_log_csv_page]
