"""The readable page "Meine Daten" (Art. 15 DSGVO), built from the schema-driven export.

The JSON download (accounts/privacy.py) holds every row as stored. This page shows the same rows
for people: one section per kind of data with a heading and labelled values in the reader's
language, times in the town's time zone, a link to each contribution, and without internal
columns (keys, hashes, ``auth_version``, submission and voter keys), which stay in the JSON.

Every table of the export is shown: the tables in :data:`SECTION_NAMES` have their own
presentation; any other table (a feature added later) gets a generic section that lists its rows
with labelled columns (:func:`generic_section`), so nothing is silently dropped. A test holds the
page to that (tests/http/test_my_data.py).
"""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.accounts.privacy import ROLES_KEY, collect_user_data, user_columns
from beteiligung.comments.models import Comment
from beteiligung.consultations.models import Consultation
from beteiligung.i18n import LOCALE_NAMES
from beteiligung.i18n import gettext as _
from beteiligung.meetings.models import QUESTION_STATUS_NAMES, MeetingQuestion
from beteiligung.mine.contributions import moderation_status, reviews_for
from beteiligung.moderation.checks import CHECK_NAMES
from beteiligung.moderation.models import FLAG_REASON_NAMES, TRIGGER_NAMES, Review
from beteiligung.moderation.reasons import NETIQUETTE_RULES, rule_label
from beteiligung.notifications.texts import notification_text
from beteiligung.organisations.models import TEXT_KEYS, Organisation
from beteiligung.proposals.models import ANSWER_NAMES, SOURCE_NAMES, AnswerState, Proposal
from beteiligung.surveys.models import Survey
from beteiligung.web.responses import safe_next
from beteiligung.web.urls import url

# Headings, in the order the sections appear; tables not listed get a generic section.
SECTION_NAMES: dict[str, str] = {
    "account": "Konto",
    "membership": "Rollen",
    "consent": "Einwilligungen",
    "proposal": "Vorschläge",
    "comment": "Kommentare",
    "support": "Unterstützungen",
    "comment_vote": "Bewertungen von Kommentaren",
    "flag": "Meldungen",
    "survey_response": "Umfrageantworten",
    "meeting_question": "Fragen in Veranstaltungen",
    "meeting_question_vote": "Stimmen für Fragen in Veranstaltungen",
    "meeting_poll_ballot": "Abstimmungen in Veranstaltungen",
    "meeting_speaker": "Wortmeldungen in Veranstaltungen",
    "meeting_registration": "Anmeldungen zu Veranstaltungen",
    "notification": "Mitteilungen",
    "review": "Moderation",
    "user_block": "Sperren",
    "email_token": "E-Mail-Links",
    "outbox_mail": "E-Mails an Sie",
    "post_fingerprint": "Prüfsummen Ihrer Beiträge",
}
SECTION_HINTS: dict[str, str] = {
    "review": "Prüfungen Ihrer Beiträge durch die Moderation und, wenn Sie moderieren, Ihre Entscheidungen.",
    "email_token": "Links zum Bestätigen der E-Mail-Adresse und zum Zurücksetzen des Passworts, die wir "
    "Ihnen geschickt haben (ohne den geheimen Teil).",
    "outbox_mail": "E-Mails, die wir an Sie verschickt haben. Ihren vollständigen Text enthält die "
    "JSON-Datei.",
    "post_fingerprint": "Für die automatische Prüfung merken wir uns 24 Stunden lang, wann Sie etwas "
    "geschrieben haben, und eine Prüfsumme des Textes (nicht den Text selbst).",
}
# The role a row gives the person (privacy.role_name of its user column).
RELATION_LABELS: dict[str, str] = {
    "user": "Ihr Eintrag",
    "author": "Von Ihnen verfasst",
    "recorded_by": "Von Ihnen erfasst",
    "answered_by": "Von Ihnen beantwortet",
    "decided_by": "Von Ihnen entschieden",
    "created_by": "Von Ihnen angelegt",
}
ACCOUNT_ROLE_LABELS: dict[str, str] = {
    "resident": "Einwohner:in",
    "moderator": "Moderation",
    "staff": "Verwaltung (Mitarbeiter:in)",
    "admin": "Administration",
}
TOKEN_PURPOSE_NAMES: dict[str, str] = {
    "verify_email": "E-Mail-Adresse bestätigen",
    "reset_password": "Passwort zurücksetzen",
    "change_email": "Neue E-Mail-Adresse bestätigen",
}
REVIEW_STATUS_NAMES: dict[str, str] = {
    "open": "Wird geprüft",
    "approved": "Freigegeben",
    "hidden": "Entfernt",
    "edit_requested": "Überarbeitung erbeten",
    "dismissed": "Meldungen verworfen",
}
SPEAKER_STATUS_NAMES: dict[str, str] = {
    "waiting": "Wartet auf das Wort",
    "speaking": "Spricht",
    "done": "Hat gesprochen",
    "withdrawn": "Von Ihnen zurückgezogen",
    "removed": "Von der Veranstaltung gestrichen",
}
# Labels of columns in the generic sections (and of account columns without their own line).
COLUMN_LABELS: dict[str, str] = {
    "created_at": "Angelegt am",
    "updated_at": "Zuletzt geändert am",
    "title": "Titel",
    "body": "Text",
    "text": "Text",
    "name": "Name",
    "status": "Status",
    "state": "Status",
    "kind": "Art",
    "reason": "Grund",
    "note": "Notiz",
    "until": "Bis",
    "rule": "Regel der Netiquette",
    "visibility": "Sichtbarkeit",
    "email": "E-Mail-Adresse",
    "display_name": "Name",
    "locale": "Sprache",
}
# Columns for the system, not for reading: in the JSON only.
INTERNAL_COLUMNS = {"id", "auth_version", "submission_key", "voter_key", "anon_key", "author_key", ROLES_KEY}
INTERNAL_SUFFIXES = ("_hash", "_key", "_token")


def is_internal(column: str) -> bool:
    return column in INTERNAL_COLUMNS or column.endswith(INTERNAL_SUFFIXES)


@dataclass
class Item:
    """One labelled value: text, a time (shown local) or a longer text."""

    label: str
    value: str = ""
    time: datetime | None = None
    long: bool = False
    link: str = ""  # e.g. the Netiquette for a rule


@dataclass
class Entry:
    title: str = ""
    link: str = ""
    items: list[Item] = field(default_factory=list)


@dataclass
class Section:
    key: str
    heading: str
    entries: list[Entry]
    hint: str = ""

    @property
    def anchor(self) -> str:
        return "daten-" + "".join(ch if ch.isalnum() else "-" for ch in self.key)


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------
def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Ja") if value else _("Nein")
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _items(*items: Item | None) -> list[Item]:
    return [i for i in items if i is not None and (i.value or i.time)]


def text(label: str, value: Any, *, long: bool = False, link: str = "") -> Item | None:
    shown = _text(value)
    return Item(label, shown, long=long, link=link) if shown else None


def when(label: str, value: Any) -> Item | None:
    moment = _as_time(value)
    return Item(label, time=moment) if moment else None


def named(names: Mapping[Any, str], value: Any) -> str:
    """A stored value by its msgid name, translated; unknown values as they are."""
    key = _text(value)
    return _(names[key]) if key in names else key


# --------------------------------------------------------------------------------------------
# What the rows point at (titles and links)
# --------------------------------------------------------------------------------------------
@dataclass
class Lookups:
    proposals: dict[int, tuple[str, int]] = field(default_factory=dict)  # id → (title, consultation)
    comments: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # id → (consultation, proposal)
    consultations: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → (slug, title)
    surveys: dict[int, str] = field(default_factory=dict)
    organisations: dict[int, str] = field(default_factory=dict)
    questions: dict[int, int] = field(default_factory=dict)  # meeting question → meeting
    reviews: dict[tuple[str, int], Review] = field(default_factory=dict)

    def proposal_title(self, pid: int | None) -> str:
        return self.proposals.get(pid or 0, ("", 0))[0]

    def comment_link(self, cid: int | None) -> str:
        if cid is None or cid not in self.comments:
            return ""
        consultation, proposal = self.comments[cid]
        if proposal:
            return url("proposals.page", proposal_id=proposal, anchor=f"comment-{cid}")
        slug = self.consultations.get(consultation, ("", ""))[0]
        return url("consultations.page", slug=slug, anchor=f"comment-{cid}")

    def comment_title(self, cid: int | None) -> str:
        if cid is None or cid not in self.comments:
            return _("Kommentar")
        consultation, proposal = self.comments[cid]
        where = (
            self.proposal_title(proposal) if proposal else self.consultations.get(consultation, ("", ""))[1]
        )
        return _("Kommentar zu „%(title)s“", title=where) if where else _("Kommentar")


def _ids(rows: Iterable[dict[str, Any]], key: str) -> set[int]:
    return {int(r[key]) for r in rows if r.get(key) is not None}


async def _lookups(db: AsyncSession, tables: dict[str, list[dict[str, Any]]]) -> Lookups:
    found = Lookups()
    comment_ids = _ids(tables.get("comment", []), "id")
    for name in ("comment_vote", "flag", "review"):
        comment_ids |= _ids(tables.get(name, []), "comment_id")
    if comment_ids:
        comment_rows = await db.execute(
            select(Comment.id, Comment.consultation_id, Comment.proposal_id).where(
                Comment.id.in_(comment_ids)
            )
        )
        found.comments = {cid: (consultation, proposal) for cid, consultation, proposal in comment_rows.all()}
    proposal_ids = _ids(tables.get("proposal", []), "id") | {p for _c, p in found.comments.values() if p}
    for name in ("support", "flag", "review"):
        proposal_ids |= _ids(tables.get(name, []), "proposal_id")
    if proposal_ids:
        proposal_rows = await db.execute(
            select(Proposal.id, Proposal.title, Proposal.consultation_id).where(Proposal.id.in_(proposal_ids))
        )
        found.proposals = {pid: (title, consultation) for pid, title, consultation in proposal_rows.all()}
    consultation_ids = {c for c, _p in found.comments.values()}
    if consultation_ids:
        consultation_rows = await db.execute(
            select(Consultation.id, Consultation.slug, Consultation.title).where(
                Consultation.id.in_(consultation_ids)
            )
        )
        found.consultations = {cid: (slug, title) for cid, slug, title in consultation_rows.all()}
    survey_ids = _ids(tables.get("survey_response", []), "survey_id")
    if survey_ids:
        survey_rows = await db.execute(select(Survey.id, Survey.title).where(Survey.id.in_(survey_ids)))
        found.surveys = dict(survey_rows.tuples().all())
    org_ids = set()
    for name in ("membership", "consent"):
        org_ids |= _ids(tables.get(name, []), "organisation_id")
    if org_ids:
        org_rows = await db.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        )
        found.organisations = dict(org_rows.tuples().all())
    question_ids = _ids(tables.get("review", []), "meeting_question_id")
    if question_ids:
        question_rows = await db.execute(
            select(MeetingQuestion.id, MeetingQuestion.meeting_id).where(MeetingQuestion.id.in_(question_ids))
        )
        found.questions = dict(question_rows.tuples().all())
    # The moderation's view of the person's own contributions (reason of a hold or removal).
    for kind, column, name in (
        ("proposal", Review.proposal_id, "proposal"),
        ("comment", Review.comment_id, "comment"),
        ("question", Review.meeting_question_id, "meeting_question"),
    ):
        reviews = await reviews_for(db, column, _ids(tables.get(name, []), "id"))
        found.reviews.update({(kind, k): v for k, v in reviews.items()})
    return found


# --------------------------------------------------------------------------------------------
# Sections with their own presentation
# --------------------------------------------------------------------------------------------
@cache
def _user_columns_of(table: str) -> tuple[str, ...]:
    return next((tuple(cols) for t, cols in user_columns().items() if t.name == table), ())


def _role_item(table: str, row: dict[str, Any]) -> Item | None:
    """ "Ihre Rolle" where a table points at people in more than one column."""
    if len(_user_columns_of(table)) < 2:
        return None
    roles = [named(RELATION_LABELS, r) for r in row.get(ROLES_KEY, [])]
    return text(_("Ihre Rolle"), ", ".join(roles))


def _status_items(status_label: str, reason: str, rule: int | None) -> list[Item | None]:
    return [
        text(_("Status"), status_label),
        text(_("Begründung"), reason),
        text(_("Regel der Netiquette"), rule_label(rule), link=url("text.netiquette"))
        if rule in NETIQUETTE_RULES
        else None,
    ]


Builder = Callable[[list[dict[str, Any]], Lookups], list[Entry]]


def _account(row: dict[str, Any]) -> list[Entry]:
    known = {
        "display_name",
        "email",
        "email_verified_at",
        "locale",
        "created_at",
        "updated_at",
        "last_login_at",
    }
    items = _items(
        text(_("Name"), row.get("display_name")),
        text(_("E-Mail-Adresse"), row.get("email")),
        when(_("E-Mail-Adresse bestätigt am"), row.get("email_verified_at"))
        or text(_("E-Mail-Adresse bestätigt am"), _("noch nicht bestätigt")),
        text(_("Sprache"), LOCALE_NAMES.get(str(row.get("locale")), row.get("locale"))),
        when(_("Konto angelegt am"), row.get("created_at")),
        when(_("Zuletzt geändert am"), row.get("updated_at")),
        when(_("Letzte Anmeldung"), row.get("last_login_at")),
        *generic_items(row, skip=known),
    )
    return [Entry(items=items)]


def _memberships(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=look.organisations.get(r["organisation_id"], ""),
            items=_items(
                text(_("Rolle"), named(ACCOUNT_ROLE_LABELS, r["role"])), when(_("Seit"), r["created_at"])
            ),
        )
        for r in rows
    ]


def _consents(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=named(TEXT_KEYS, r["purpose"]),
            link=f"/{r['purpose']}" if r["purpose"] in TEXT_KEYS else "",
            items=_items(
                text(_("Organisation"), look.organisations.get(r["organisation_id"], "")),
                text(_("Fassung"), r.get("text_version")),
                when(_("Zugestimmt am"), r.get("given_at")),
                when(_("Widerrufen am"), r.get("revoked_at")),
            ),
        )
        for r in rows
    ]


def _answer(state: Any) -> str:
    value = _text(state)
    if value in ("", AnswerState.NONE.value):
        return _("Noch keine Antwort der Verwaltung")
    return named(ANSWER_NAMES, value)


def _proposals(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    out = []
    for r in rows:
        status = moderation_status(r.get("visibility"), look.reviews.get(("proposal", r["id"])))
        source = named(SOURCE_NAMES, r.get("source")) if _text(r.get("source")) not in ("", "online") else ""
        out.append(
            Entry(
                title=r["title"],
                link=url("proposals.page", proposal_id=r["id"]),
                items=_items(
                    _role_item("proposal", r),
                    when(_("Eingereicht am"), r.get("created_at")),
                    *_status_items(status.label, status.reason, status.rule),
                    text(_("Antwort der Verwaltung"), _answer(r.get("answer_state"))),
                    when(_("Beantwortet am"), r.get("answered_at")),
                    text(_("Herkunft"), source),
                    text(_("Anlass"), r.get("source_note")),
                    text(_("Ort"), r.get("place")),
                    text(_("Text"), r.get("body"), long=True),
                ),
            )
        )
    return out


def _comments(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    out = []
    for r in rows:
        deleted = r.get("deleted_at") is not None
        status = moderation_status(
            r.get("visibility"), look.reviews.get(("comment", r["id"])), deleted=deleted
        )
        out.append(
            Entry(
                title=look.comment_title(r["id"]),
                link=look.comment_link(r["id"]),
                items=_items(
                    when(_("Geschrieben am"), r.get("created_at")),
                    when(_("Bearbeitet am"), r.get("edited_at")),
                    when(_("Gelöscht am"), r.get("deleted_at")),
                    *_status_items(status.label, status.reason, status.rule),
                    text(_("Text"), r.get("body"), long=True),
                ),
            )
        )
    return out


def _supports(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=look.proposal_title(r["proposal_id"]) or _("Vorschlag"),
            link=url("proposals.page", proposal_id=r["proposal_id"]),
            items=_items(when(_("Unterstützt am"), r.get("created_at"))),
        )
        for r in rows
    ]


def _comment_votes(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=look.comment_title(r["comment_id"]),
            link=look.comment_link(r["comment_id"]),
            items=_items(
                text(_("Ihre Bewertung"), _("Zustimmung") if (r.get("value") or 0) > 0 else _("Ablehnung")),
                when(_("Am"), r.get("created_at")),
            ),
        )
        for r in rows
    ]


def _flags(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    out = []
    for r in rows:
        if r.get("proposal_id"):
            title = _("Vorschlag „%(title)s“", title=look.proposal_title(r["proposal_id"]))
            link = url("proposals.page", proposal_id=r["proposal_id"])
        else:
            title, link = look.comment_title(r.get("comment_id")), look.comment_link(r.get("comment_id"))
        out.append(
            Entry(
                title=title,
                link=link,
                items=_items(
                    text(_("Grund"), named(FLAG_REASON_NAMES, r.get("reason"))),
                    text(_("Ihre Erläuterung"), r.get("text"), long=True),
                    when(_("Gemeldet am"), r.get("created_at")),
                    when(_("Erledigt am"), r.get("resolved_at")),
                ),
            )
        )
    return out


def _survey_responses(
    rows: list[dict[str, Any]], look: Lookups, answers: list[dict[str, Any]]
) -> list[Entry]:
    by_response: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in answers:
        by_response[a["response_id"]].append(a)
    out = []
    for r in rows:
        given = []
        for a in by_response.get(r["id"], []):
            value = " – ".join(
                _text(v) for v in (a.get("option"), a.get("number"), a.get("text")) if _text(v)
            )
            given.append(text(a.get("question") or _("Frage"), value, long=True))
        submitted = r.get("submitted_at")
        out.append(
            Entry(
                title=look.surveys.get(r["survey_id"], _("Umfrage")),
                link=url("surveys.page", survey_id=r["survey_id"]),
                items=_items(
                    when(_("Abgeschickt am"), submitted)
                    or text(_("Status"), _("Entwurf, nicht abgeschickt")),
                    when(_("Begonnen am"), r.get("created_at")),
                    *given,
                ),
            )
        )
    return out


def _meeting_link(row: dict[str, Any], anchor: str | None = None) -> str:
    return url("meetings.room", meeting_id=row["meeting_id"], anchor=anchor) if row.get("meeting_id") else ""


def _meeting_questions(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    out = []
    for r in rows:
        status = moderation_status(r.get("visibility"), look.reviews.get(("question", r["id"])))
        out.append(
            Entry(
                title=_("Frage in „%(meeting)s“", meeting=r.get("meeting", "")),
                link=_meeting_link(r, f"frage-{r['id']}"),
                items=_items(
                    when(_("Gestellt am"), r.get("created_at")),
                    *_status_items(status.label, status.reason, status.rule),
                    text(_("In der Veranstaltung"), named(QUESTION_STATUS_NAMES, r.get("status"))),
                    text(_("Frage"), r.get("body"), long=True),
                    text(_("Notiz zur Antwort"), r.get("answer_note"), long=True),
                    when(_("Beantwortet am"), r.get("answered_at")),
                ),
            )
        )
    return out


def _question_votes(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=r.get("meeting", ""),
            items=_items(text(_("Frage"), r.get("question"), long=True), when(_("Am"), r.get("created_at"))),
        )
        for r in rows
    ]


def _ballots(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=r.get("meeting", ""),
            items=_items(
                text(_("Abstimmung"), r.get("poll")),
                text(_("Ihre Wahl"), r.get("chosen_options")),
                when(_("Am"), r.get("created_at")),
            ),
        )
        for r in rows
    ]


def _speakers(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=r.get("meeting", ""),
            link=_meeting_link(r),
            items=_items(
                text(_("Name auf der Redeliste"), r.get("display_name")),
                text(_("Zur Geschäftsordnung"), _("Ja") if r.get("point_of_order") else ""),
                text(_("Status"), named(SPEAKER_STATUS_NAMES, r.get("status"))),
                when(_("Eingetragen am"), r.get("created_at")),
                when(_("Aufgerufen am"), r.get("called_at")),
                when(_("Beendet am"), r.get("finished_at")),
            ),
        )
        for r in rows
    ]


def _registrations(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=r.get("meeting", ""),
            link=_meeting_link(r),
            items=_items(when(_("Angemeldet am"), r.get("created_at"))),
        )
        for r in rows
    ]


def _notifications(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=notification_text(str(r.get("kind")), r.get("params") or {}),
            link=safe_next(r.get("link") or "", ""),
            items=_items(
                when(_("Erhalten am"), r.get("created_at")), when(_("Gelesen am"), r.get("read_at"))
            ),
        )
        for r in rows
    ]


def _review_target(r: dict[str, Any], look: Lookups) -> tuple[str, str]:
    if r.get("proposal_id"):
        return (
            _("Vorschlag „%(title)s“", title=look.proposal_title(r["proposal_id"])),
            url("proposals.page", proposal_id=r["proposal_id"]),
        )
    if r.get("comment_id"):
        return look.comment_title(r["comment_id"]), look.comment_link(r["comment_id"])
    if r.get("meeting_question_id"):
        meeting = look.questions.get(r["meeting_question_id"])
        link = (
            url("meetings.room", meeting_id=meeting, anchor=f"frage-{r['meeting_question_id']}")
            if meeting
            else ""
        )
        return _("Frage in einer Veranstaltung"), link
    return _("Beitrag"), ""


def _reviews(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    out = []
    for r in rows:
        title, link = _review_target(r, look)
        checks = [named(CHECK_NAMES, c) for c in str(r.get("auto_reasons") or "").split(",") if c]
        rule = r.get("rule")
        out.append(
            Entry(
                title=title,
                link=link,
                items=_items(
                    _role_item("review", r),
                    text(_("Anlass"), named(TRIGGER_NAMES, r.get("trigger"))),
                    text(_("Automatische Prüfung"), ", ".join(checks)),
                    text(_("Stand"), named(REVIEW_STATUS_NAMES, r.get("status"))),
                    when(_("Zur Prüfung vorgelegt am"), r.get("opened_at")),
                    when(_("Entschieden am"), r.get("decided_at")),
                    text(_("Regel der Netiquette"), rule_label(rule), link=url("text.netiquette"))
                    if rule in NETIQUETTE_RULES
                    else None,
                    text(_("Begründung"), r.get("reason_text"), long=True),
                    text(_("Interne Notiz der Moderation"), r.get("note"), long=True),
                ),
            )
        )
    return out


def _blocks(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    out = []
    for r in rows:
        rule = r.get("rule")
        out.append(
            Entry(
                items=_items(
                    _role_item("user_block", r),
                    when(_("Gesperrt bis"), r.get("until")),
                    text(_("Regel der Netiquette"), rule_label(rule), link=url("text.netiquette"))
                    if rule in NETIQUETTE_RULES
                    else None,
                    when(_("Angelegt am"), r.get("created_at")),
                )
            )
        )
    return out


def _tokens(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=named(TOKEN_PURPOSE_NAMES, r.get("purpose")),
            items=_items(
                when(_("Verschickt am"), r.get("created_at")),
                when(_("Gültig bis"), r.get("expires_at")),
                when(_("Verwendet am"), r.get("used_at")),
                text(_("Neue E-Mail-Adresse"), r.get("new_email")),
            ),
        )
        for r in rows
    ]


def _mails(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [
        Entry(
            title=_text(r.get("subject")),
            items=_items(text(_("An"), r.get("to_address")), when(_("Verschickt am"), r.get("created_at"))),
        )
        for r in rows
    ]


def _fingerprints(rows: list[dict[str, Any]], look: Lookups) -> list[Entry]:
    return [Entry(items=_items(when(_("Geschrieben am"), r.get("created_at")))) for r in rows]


BUILDERS: dict[str, Builder] = {
    "membership": _memberships,
    "consent": _consents,
    "proposal": _proposals,
    "comment": _comments,
    "support": _supports,
    "comment_vote": _comment_votes,
    "flag": _flags,
    "meeting_question": _meeting_questions,
    "meeting_question_vote": _question_votes,
    "meeting_poll_ballot": _ballots,
    "meeting_speaker": _speakers,
    "meeting_registration": _registrations,
    "notification": _notifications,
    "review": _reviews,
    "user_block": _blocks,
    "email_token": _tokens,
    "outbox_mail": _mails,
    "post_fingerprint": _fingerprints,
}


# --------------------------------------------------------------------------------------------
# Any other table
# --------------------------------------------------------------------------------------------
def column_label(column: str) -> str:
    if column in COLUMN_LABELS:
        return _(COLUMN_LABELS[column])
    return column.removesuffix("_id").replace("_", " ").capitalize()


def generic_items(row: dict[str, Any], skip: Iterable[str] = ()) -> list[Item]:
    """Every column of a row that is meant for reading, labelled (times shown local)."""
    skipped = set(skip)
    out: list[Item] = []
    for column, value in row.items():
        if column in skipped or is_internal(column) or value is None or value == "":
            continue
        item = (
            when(column_label(column), value)
            if isinstance(value, datetime) or column.endswith("_at")
            else None
        )
        out.append(
            item or Item(column_label(column), _text(value), long=isinstance(value, str) and len(value) > 80)
        )
    return out


def generic_section(name: str, rows: list[dict[str, Any]]) -> Section:
    """A table without its own presentation: its rows with labelled columns."""
    entries = [
        Entry(items=_items(_role_item(name, row), *generic_items(row, skip=_user_columns_of(name))))
        for row in rows
    ]
    return Section(
        key=name,
        heading=_("Weitere Daten: %(table)s", table=name.replace("_", " ")),
        entries=entries,
    )


# --------------------------------------------------------------------------------------------
async def data_sections(db: AsyncSession, user: User) -> list[Section]:
    """The page's sections: the account, then every table of the export."""
    data = await collect_user_data(db, user)
    tables: dict[str, list[dict[str, Any]]] = data["tables"]
    look = await _lookups(db, tables)
    account_heading = SECTION_NAMES["account"]
    sections = [Section("account", _(account_heading), _account(data["account"]))]
    shown = {"survey_answer"}  # part of the survey responses
    for name in SECTION_NAMES:
        if name == "account" or name not in tables:
            continue
        rows = tables[name]
        if name == "survey_response":
            entries = _survey_responses(rows, look, tables.get("survey_answer", []))
        else:
            entries = BUILDERS[name](rows, look)
        hint = SECTION_HINTS.get(name, "")
        sections.append(Section(name, _(SECTION_NAMES[name]), entries, _(hint) if hint else ""))
        shown.add(name)
    for name, rows in tables.items():
        if name not in shown:
            sections.append(generic_section(name, rows))
    return sections
