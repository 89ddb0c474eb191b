""" "Meine Beiträge": everything a person contributed, newest first, with where it stands.

Proposals, comments, supports, survey responses and questions in meetings are listed together
(one ``UNION ALL`` of (kind, id, time) per page, then each kind's rows for that page), each with
a link and its status in plain words: published, waiting for the moderation and why (the
automatic check that held it, the consultation's pre-moderation, flags, an edit request),
removed with the Netiquette rule, and the town's answer or a question's state in the meeting.

:func:`moderation_status` is shared with the readable "Meine Daten" page (mine/data_view.py).
This module reads other features' models only (never their routes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.comments.models import Comment
from beteiligung.consultations.models import Consultation
from beteiligung.consultations.states import Visibility
from beteiligung.i18n import gettext as _
from beteiligung.meetings.models import QUESTION_STATUS_NAMES, Meeting, MeetingQuestion, QuestionStatus
from beteiligung.moderation.models import Review, ReviewStatus, Trigger
from beteiligung.moderation.reasons import NETIQUETTE_RULES, reason_text, rule_label
from beteiligung.proposals.models import ANSWER_NAMES, AnswerState, Proposal, Support
from beteiligung.proposals.queries import Page
from beteiligung.surveys.models import Survey, SurveyResponse, SurveyStatus
from beteiligung.web.markdown import plain_text
from beteiligung.web.urls import url

PER_PAGE = 25
EXCERPT = 200

# ?art=… → kind; "" lists every kind.
KIND_SLUGS: dict[str, str] = {
    "vorschlaege": "proposal",
    "kommentare": "comment",
    "unterstuetzungen": "support",
    "umfragen": "survey",
    "fragen": "question",
}
# The filter links' names (plural) and each entry's kind (singular).
FILTER_NAMES: dict[str, str] = {
    "proposal": "Vorschläge",
    "comment": "Kommentare",
    "support": "Unterstützungen",
    "survey": "Umfrageantworten",
    "question": "Fragen in Veranstaltungen",
}
KIND_NAMES: dict[str, str] = {
    "proposal": "Vorschlag",
    "comment": "Kommentar",
    "support": "Unterstützung",
    "survey": "Umfrageantwort",
    "question": "Frage in einer Veranstaltung",
}

VISIBILITY_NAMES: dict[str, str] = {
    Visibility.PUBLISHED: "Veröffentlicht",
    Visibility.HELD: "Wartet auf Freigabe",
    Visibility.HIDDEN: "Von der Moderation entfernt",
}

# Why an automatic check held a contribution, told to its author (moderation/checks.py codes).
HELD_CHECK_HINTS: dict[str, str] = {
    "links": "Ihr Beitrag enthält mehr Links, als ohne Prüfung erlaubt sind.",
    "blocklist": "Ihr Beitrag enthält einen Begriff, den die Moderation vor der Veröffentlichung prüft.",
    "repeat": "Sie haben denselben Text kurz zuvor schon einmal geschrieben.",
    "rate": "Sie haben in kurzer Zeit viele Beiträge geschrieben.",
    "new_account": "Ihr Konto ist neu und hat in kurzer Zeit viele Beiträge geschrieben.",
}


@dataclass
class Status:
    """Where a contribution stands, in plain words. ``tone``: a KERN badge variant."""

    label: str
    tone: str = "success"
    reason: str = ""  # why it is held or hidden, or what happens next
    rule: int | None = None  # the Netiquette rule of a removal or edit request (linked)


@dataclass
class Contribution:
    kind: str
    id: int
    at: datetime
    title: str = ""  # user or staff text
    link: str = ""
    excerpt: str = ""  # user text
    where: str = ""  # the consultation, proposal or meeting (user or staff text)
    status: Status = field(default_factory=lambda: Status(""))
    notes: list[str] = field(default_factory=list)  # further states: the town's answer …

    @property
    def kind_name(self) -> str:
        return _(KIND_NAMES[self.kind])

    @property
    def heading(self) -> str:
        """What the entry is called: the title, or where a comment or question was written."""
        if self.kind == "comment":
            return _("Kommentar zu „%(title)s“", title=self.where) if self.where else _("Kommentar")
        if self.kind == "question":
            return _("Frage in „%(meeting)s“", meeting=self.where)
        return self.title

    @property
    def context(self) -> str:
        """The consultation of a proposal, support or survey (comments and questions name theirs
        in the heading)."""
        if self.kind in ("comment", "question") or not self.where:
            return ""
        return _("Vorhaben: %(title)s", title=self.where)


@dataclass
class Contributions:
    page: Page  # items: list[Contribution]
    kind: str  # the filter's slug ("" for all)
    counts: dict[str, int]  # per kind

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _excerpt(text: str) -> str:
    return plain_text(text or "", EXCERPT)


def held_reason(review: Review | None) -> str:
    """Why a contribution waits for the moderation, and what happens next, in plain words."""
    if review is not None and review.status == ReviewStatus.EDIT_REQUESTED:
        return " ".join(
            (
                _("Die Moderation bittet Sie, den Beitrag zu überarbeiten; danach prüft sie ihn erneut."),
                _("Grund: %(reason)s", reason=reason_text(review.rule, review.reason_text)),
            )
        )
    parts: list[str] = []
    if review is not None and review.trigger == Trigger.PRE:
        parts.append(_("Hier werden alle Beiträge vor der Veröffentlichung von der Moderation geprüft."))
    if review is not None:
        parts += [_(HELD_CHECK_HINTS[c]) for c in review.auto_codes if c in HELD_CHECK_HINTS]
        if review.trigger == Trigger.FLAGS:
            parts.append(_("Andere haben den Beitrag gemeldet."))
        elif review.trigger == Trigger.EDITED:
            parts.append(_("Sie haben den Beitrag überarbeitet."))
    parts.append(
        _(
            "Die Moderation sieht ihn sich an und gibt ihn frei, wenn er der Netiquette entspricht. "
            "Bis dahin sehen nur Sie ihn."
        )
    )
    return " ".join(parts)


def moderation_status(
    visibility: Visibility | str | None, review: Review | None, *, deleted: bool = False
) -> Status:
    """The status of a proposal, comment or meeting question as its author sees it."""
    if deleted:
        return Status(_("Von Ihnen gelöscht"), "info")
    value = Visibility(visibility) if visibility else Visibility.PUBLISHED
    label = _(VISIBILITY_NAMES[value])
    if value == Visibility.HELD:
        rule = review.rule if review is not None and review.status == ReviewStatus.EDIT_REQUESTED else None
        return Status(label, "warning", held_reason(review), rule if rule in NETIQUETTE_RULES else None)
    if value == Visibility.HIDDEN:
        rule = review.rule if review is not None else None
        text = review.reason_text if review is not None else ""
        parts = [rule_label(rule)] if rule in NETIQUETTE_RULES else []
        if text:
            parts.append(text)
        reason = (
            _("Grund: %(reason)s", reason=" – ".join(parts))
            if parts
            else _("Die Moderation hat keinen Grund angegeben.")
        )
        return Status(label, "danger", reason, rule if rule in NETIQUETTE_RULES else None)
    return Status(label, "success")


async def reviews_for(db: AsyncSession, column: Any, ids: set[int]) -> dict[int, Review]:
    """The review of each contribution (``column``: Review.proposal_id, comment_id, …)."""
    if not ids:
        return {}
    rows = (await db.scalars(select(Review).where(column.in_(ids)))).all()
    return {getattr(r, column.key): r for r in rows}


def _parts(user_id: int) -> dict[str, Any]:
    survey_at = func.coalesce(SurveyResponse.submitted_at, SurveyResponse.created_at)
    return {
        "proposal": select(
            literal("proposal").label("kind"), Proposal.id.label("id"), Proposal.created_at.label("at")
        ).where(Proposal.author_id == user_id),
        "comment": select(
            literal("comment").label("kind"), Comment.id.label("id"), Comment.created_at.label("at")
        ).where(Comment.author_id == user_id),
        "support": select(
            literal("support").label("kind"), Support.id.label("id"), Support.created_at.label("at")
        ).where(Support.user_id == user_id),
        "survey": select(
            literal("survey").label("kind"), SurveyResponse.id.label("id"), survey_at.label("at")
        ).where(SurveyResponse.user_id == user_id),
        "question": select(
            literal("question").label("kind"),
            MeetingQuestion.id.label("id"),
            MeetingQuestion.created_at.label("at"),
        ).where(MeetingQuestion.author_id == user_id),
    }


async def my_contributions(
    db: AsyncSession, user_id: int, kind_slug: str = "", page: int = 1
) -> Contributions:
    """One page of the person's contributions (``kind_slug``: a key of KIND_SLUGS, or all)."""
    parts = _parts(user_id)
    counts: dict[str, int] = {}
    for kind, stmt in parts.items():
        counts[kind] = int(await db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    kind = KIND_SLUGS.get(kind_slug, "")
    chosen = [parts[kind]] if kind else list(parts.values())
    total = counts[kind] if kind else sum(counts.values())
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    everything = union_all(*chosen).subquery()
    rows = (
        await db.execute(
            select(everything.c.kind, everything.c.id, everything.c.at)
            .order_by(everything.c.at.desc(), everything.c.kind, everything.c.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    ).all()
    wanted: dict[str, set[int]] = {k: set() for k in parts}
    for row_kind, row_id, _at in rows:
        wanted[row_kind].add(int(row_id))
    loaded: dict[tuple[str, int], Contribution] = {}
    for loader in (_proposals, _comments, _supports, _surveys, _questions):
        loaded.update(await loader(db, wanted))
    items = [loaded[(k, int(i))] for k, i, _at in rows if (k, int(i)) in loaded]
    return Contributions(
        page=Page(items=items, total=total, page=page, per_page=PER_PAGE),
        kind=kind_slug if kind else "",
        counts=counts,
    )


def _answer_note(state: AnswerState) -> str:
    if state == AnswerState.NONE:
        return _("Noch keine Antwort der Verwaltung")
    return _("Antwort der Verwaltung: %(state)s", state=_(ANSWER_NAMES[state]))


async def _consultation_titles(db: AsyncSession, ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = await db.execute(
        select(Consultation.id, Consultation.slug, Consultation.title).where(Consultation.id.in_(ids))
    )
    return {cid: (slug, title) for cid, slug, title in rows.all()}


async def _proposals(db: AsyncSession, wanted: dict[str, set[int]]) -> dict[tuple[str, int], Contribution]:
    ids = wanted["proposal"]
    if not ids:
        return {}
    proposals = (await db.scalars(select(Proposal).where(Proposal.id.in_(ids)))).all()
    reviews = await reviews_for(db, Review.proposal_id, ids)
    consultations = await _consultation_titles(db, {p.consultation_id for p in proposals})
    out = {}
    for p in proposals:
        out[("proposal", p.id)] = Contribution(
            "proposal",
            p.id,
            p.created_at,
            title=p.title,
            link=url("proposals.page", proposal_id=p.id),
            excerpt=_excerpt(p.body),
            where=consultations.get(p.consultation_id, ("", ""))[1],
            status=moderation_status(p.visibility, reviews.get(p.id)),
            notes=[_answer_note(p.answer_state)],
        )
    return out


async def _comments(db: AsyncSession, wanted: dict[str, set[int]]) -> dict[tuple[str, int], Contribution]:
    ids = wanted["comment"]
    if not ids:
        return {}
    comments = (await db.scalars(select(Comment).where(Comment.id.in_(ids)))).all()
    reviews = await reviews_for(db, Review.comment_id, ids)
    consultations = await _consultation_titles(db, {c.consultation_id for c in comments})
    proposal_ids = {c.proposal_id for c in comments if c.proposal_id}
    titles: dict[int, str] = {}
    if proposal_ids:
        result = await db.execute(select(Proposal.id, Proposal.title).where(Proposal.id.in_(proposal_ids)))
        titles = {pid: title for pid, title in result.all()}
    out = {}
    for c in comments:
        slug, consultation_title = consultations.get(c.consultation_id, ("", ""))
        if c.proposal_id:
            link = url("proposals.page", proposal_id=c.proposal_id, anchor=f"comment-{c.id}")
            where = titles.get(c.proposal_id, "")
        else:
            link = url("consultations.page", slug=slug, anchor=f"comment-{c.id}")
            where = consultation_title
        notes = [_("Bearbeitet")] if c.edited_at and not c.deleted_at else []
        if c.depth > 1:
            notes.append(_("Antwort auf einen Kommentar"))
        out[("comment", c.id)] = Contribution(
            "comment",
            c.id,
            c.created_at,
            link=link,
            excerpt="" if c.deleted_at else _excerpt(c.body),
            where=where,
            status=moderation_status(c.visibility, reviews.get(c.id), deleted=c.deleted_at is not None),
            notes=notes,
        )
    return out


async def _supports(db: AsyncSession, wanted: dict[str, set[int]]) -> dict[tuple[str, int], Contribution]:
    ids = wanted["support"]
    if not ids:
        return {}
    rows = (
        await db.execute(
            select(Support.id, Support.created_at, Proposal)
            .join(Proposal, Proposal.id == Support.proposal_id)
            .where(Support.id.in_(ids))
        )
    ).all()
    consultations = await _consultation_titles(db, {p.consultation_id for _sid, _at, p in rows})
    out = {}
    for sid, at, p in rows:
        public = p.visibility == Visibility.PUBLISHED
        status = Status(_("Unterstützt"), "success")
        if not public:
            status = Status(
                _("Unterstützt"), "info", _("Der Vorschlag ist derzeit nicht öffentlich sichtbar.")
            )
        out[("support", sid)] = Contribution(
            "support",
            sid,
            at,
            title=p.title,
            link=url("proposals.page", proposal_id=p.id),
            where=consultations.get(p.consultation_id, ("", ""))[1],
            status=status,
            notes=[_answer_note(p.answer_state)] if public else [],
        )
    return out


async def _surveys(db: AsyncSession, wanted: dict[str, set[int]]) -> dict[tuple[str, int], Contribution]:
    ids = wanted["survey"]
    if not ids:
        return {}
    rows = (
        await db.execute(
            select(SurveyResponse, Survey)
            .join(Survey, Survey.id == SurveyResponse.survey_id)
            .where(SurveyResponse.id.in_(ids))
        )
    ).all()
    consultations = await _consultation_titles(db, {s.consultation_id for _r, s in rows})
    out = {}
    for response, survey in rows:
        if response.submitted_at is not None:
            status = Status(_("Abgeschickt"), "success")
        elif survey.status == SurveyStatus.PUBLISHED:
            status = Status(
                _("Entwurf"),
                "warning",
                _("Noch nicht abgeschickt: Ihre Antworten zählen erst, wenn Sie sie abschicken."),
            )
        else:
            status = Status(_("Entwurf"), "info", _("Nicht abgeschickt; die Umfrage ist beendet."))
        out[("survey", response.id)] = Contribution(
            "survey",
            response.id,
            response.submitted_at or response.created_at,
            title=survey.title,
            link=url("surveys.page", survey_id=survey.id),
            where=consultations.get(survey.consultation_id, ("", ""))[1],
            status=status,
        )
    return out


async def _questions(db: AsyncSession, wanted: dict[str, set[int]]) -> dict[tuple[str, int], Contribution]:
    ids = wanted["question"]
    if not ids:
        return {}
    rows = (
        await db.execute(
            select(MeetingQuestion, Meeting.title)
            .join(Meeting, Meeting.id == MeetingQuestion.meeting_id)
            .where(MeetingQuestion.id.in_(ids))
        )
    ).all()
    reviews = await reviews_for(db, Review.meeting_question_id, ids)
    out = {}
    for q, meeting_title in rows:
        notes = []
        if q.visibility == Visibility.PUBLISHED:
            notes.append(_("In der Veranstaltung: %(state)s", state=_(QUESTION_STATUS_NAMES[q.status])))
            if q.status == QuestionStatus.ANSWERED and q.answer_note:
                notes.append(_("Notiz zur Antwort: %(note)s", note=q.answer_note))
        out[("question", q.id)] = Contribution(
            "question",
            q.id,
            q.created_at,
            link=url("meetings.room", meeting_id=q.meeting_id, anchor=f"frage-{q.id}"),
            excerpt=_excerpt(q.body),
            where=meeting_title,
            status=moderation_status(q.visibility, reviews.get(q.id)),
            notes=notes,
        )
    return out
