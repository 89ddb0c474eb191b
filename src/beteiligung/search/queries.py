"""Full-text search over what a visitor may see: published consultations, and the published
proposals and comments in them (never drafts, held, hidden or deleted contributions).

* PostgreSQL: German stemming (``Radwege`` finds ``Radweg``) through the GIN expression indexes
  of migrations 0002 (consultations) and 0008 (proposals, comments); ``websearch_to_tsquery``
  reads any input (quotes, ``-``, ``or``) without a syntax error; ``ts_headline`` cuts the snippets.
* SQLite: the FTS5 tables of the same migrations (``unicode61 remove_diacritics 2``: ``Luneburg``
  finds ``Lüneburg``), every word a quoted prefix term (``Lasten`` finds ``Lastenrad``), so no
  FTS5 syntax reaches the engine; ``snippet``/``highlight`` cut the snippets.

Snippets are built safely: the database marks the matches with random markers that no text can
know, the text is escaped, and only then are the markers replaced by ``<mark>``/``</mark>``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, String, func, literal, literal_column, or_, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts.models import User
from beteiligung.comments.models import Comment
from beteiligung.consultations.listing import PG_SEARCH_DOCUMENT as PG_CONSULTATION_DOCUMENT
from beteiligung.consultations.listing import fts5_query
from beteiligung.consultations.models import Consultation, ConsultationStatus
from beteiligung.consultations.states import Visibility
from beteiligung.db import LabelledEnum, dialect_name
from beteiligung.proposals.models import Proposal
from beteiligung.proposals.queries import Page
from beteiligung.web.urls import url

MAX_QUERY = 200  # characters of the query that are searched (the field's maxlength)
PER_PAGE = 10  # hits per page of one kind
PER_GROUP = 5  # hits per kind on the overview ("Alle")

# Must stay identical to the index expressions of migrations/versions/0008_search_contributions.py.
PG_PROPOSAL_DOCUMENT = (
    "to_tsvector('german', coalesce(proposal.title, '') || ' ' || coalesce(proposal.body, '') || ' ' "
    "|| coalesce(proposal.place, ''))"
)
PG_COMMENT_DOCUMENT = "to_tsvector('german', coalesce(comment.body, ''))"
GERMAN: ColumnElement[Any] = literal_column("'german'")


class Kind(LabelledEnum):
    """What a hit is; the value is the ``art`` of the URL."""

    CONSULTATION = "vorhaben", "Vorhaben"
    PROPOSAL = "vorschlaege", "Vorschläge"
    COMMENT = "kommentare", "Kommentare"


KIND_NAMES: dict[Kind, str] = Kind.labels()


KIND_LABELS: dict[Kind, str] = {
    Kind.CONSULTATION: "Vorhaben",
    Kind.PROPOSAL: "Vorschlag",
    Kind.COMMENT: "Kommentar",
}


def parse_kind(value: str) -> Kind | None:
    """``?art=``: one kind, or None for all kinds (anything unknown is all kinds)."""
    try:
        return Kind(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Query:
    text: str  # what is searched: control characters removed, spaces collapsed, at most MAX_QUERY
    truncated: bool  # the visitor typed more than MAX_QUERY characters

    def __bool__(self) -> bool:
        return bool(self.text)


_UNSEARCHABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def parse_query(raw: str) -> Query:
    text = " ".join(_UNSEARCHABLE.sub(" ", raw or "").split())
    if len(text) > MAX_QUERY:
        return Query(text[:MAX_QUERY].rstrip(), True)
    return Query(text, False)


# ---------------------------------------------------------------------------------------------
# Snippets
# ---------------------------------------------------------------------------------------------
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_SYMBOLS = re.compile(
    r"(?m)^[ \t]{0,3}(?:#{1,6}|>|[-*+]|\d+\.)[ \t]+"  # headings, quotes, list items
    r"|(?<![\w*])(?:\*{1,3}|_{2,3}|~~)(?=\S)|(?<=\S)(?:\*{1,3}|_{2,3}|~~)(?![\w*])"  # emphasis
    r"|`+"
)


def _plain(raw: str) -> str:
    """Markdown source as one line of text (the snippet is no place for its syntax)."""
    return " ".join(_MD_SYMBOLS.sub("", _MD_LINK.sub(r"\1", raw)).split())


@dataclass(frozen=True)
class Markers:
    """Random start/stop markers for one search: letters and digits only, so escaping leaves
    them alone, and unguessable, so no stored text can contain them."""

    start: str
    stop: str

    @classmethod
    def new(cls) -> Markers:
        token = secrets.token_hex(8)
        return cls(f"qs{token}q", f"qe{token}q")

    def marks(self, raw: str | None) -> bool:
        return bool(raw) and self.start in str(raw)

    def html(self, raw: str | None) -> Markup:
        """Escape the text first, then turn the markers into ``<mark>`` pairs (an unpaired marker
        is dropped), so nothing but our own ``<mark>`` ever becomes markup."""
        escaped = str(escape(_plain(raw or "")))
        out: list[str] = []
        inside = False
        for part in re.split(f"({re.escape(self.start)}|{re.escape(self.stop)})", escaped):
            if part == self.start:
                if not inside:
                    out.append("<mark>")
                    inside = True
            elif part == self.stop:
                if inside:
                    out.append("</mark>")
                    inside = False
            else:
                out.append(part)
        if inside:
            out.append("</mark>")
        return Markup("".join(out))  # noqa: S704 - escaped above; only our own <mark> tags added

    def best(self, *snippets: str | None) -> Markup:
        """The first snippet with a match, else the first one with any text."""
        chosen = next((s for s in snippets if self.marks(s)), None)
        if chosen is None:
            chosen = next((s for s in snippets if s and s.strip()), "")
        return self.html(chosen)


@dataclass(frozen=True)
class Hit:
    kind: Kind
    url: str
    title: Markup  # highlighted; for a comment: the title of what it comments on (no marks)
    snippet: Markup  # highlighted
    consultation_title: str  # where it belongs (plain text, escaped by the template)
    consultation_url: str
    author: str | None  # comments: the author's display name (None: the account is gone)
    date: datetime | None


# ---------------------------------------------------------------------------------------------
# One search (one dialect, one query, one set of markers)
# ---------------------------------------------------------------------------------------------
class _Search:
    def __init__(self, db: AsyncSession, org_id: int, query: Query) -> None:
        self.db = db
        self.org_id = org_id
        self.q = query.text
        self.pg = dialect_name(db) == "postgresql"
        self.fts_query = fts5_query(self.q)
        self.markers = Markers.new()
        self.tsquery = func.websearch_to_tsquery(GERMAN, literal(self.q, String))

    @property
    def impossible(self) -> bool:
        """SQLite: no word to look for (PostgreSQL decides itself: stop words match nothing)."""
        return not self.q or (not self.pg and not self.fts_query)

    # -- the parts that differ between the databases -----------------------------------------
    def _match(self, stmt: Select[Any], fts: str, rowid: Any, document: str) -> Select[Any]:
        if self.pg:
            return stmt.where(literal_column(document).op("@@")(self.tsquery))
        table = sa_table(fts, sa_column("rowid"))
        return stmt.join(table, table.c.rowid == rowid).where(
            text(f"{fts} MATCH :fts_query").bindparams(fts_query=self.fts_query)
        )

    def _order(self, stmt: Select[Any], fts: str, document: str, id_column: Any) -> Select[Any]:
        if self.pg:
            return stmt.order_by(
                func.ts_rank(literal_column(document), self.tsquery).desc(), id_column.desc()
            )
        return stmt.order_by(func.bm25(literal_column(fts)), id_column.desc())

    def _title(self, fts: str, index: int, value: Any) -> ColumnElement[Any]:
        m = self.markers
        if self.pg:
            options = f"HighlightAll=true, StartSel={m.start}, StopSel={m.stop}"
            return func.ts_headline(GERMAN, value, self.tsquery, literal(options, String))
        return func.highlight(literal_column(fts), index, m.start, m.stop)

    def _snippet(self, fts: str, index: int, value: Any) -> ColumnElement[Any]:
        m = self.markers
        if self.pg:
            options = (
                f'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", '
                f"StartSel={m.start}, StopSel={m.stop}"
            )
            return func.ts_headline(GERMAN, value, self.tsquery, literal(options, String))
        return func.snippet(literal_column(fts), index, m.start, m.stop, "…", 24)

    # -- the statements of each kind ---------------------------------------------------------
    def _consultations(self, *columns: Any) -> Select[Any]:
        stmt = select(*columns).where(
            Consultation.organisation_id == self.org_id, Consultation.status != ConsultationStatus.DRAFT
        )
        return self._match(stmt, "consultation_fts", Consultation.id, PG_CONSULTATION_DOCUMENT)

    def _proposals(self, *columns: Any) -> Select[Any]:
        stmt = (
            select(*columns)
            .select_from(Proposal)
            .join(Consultation, Consultation.id == Proposal.consultation_id)
            .where(
                Consultation.organisation_id == self.org_id,
                Consultation.status != ConsultationStatus.DRAFT,
                Proposal.visibility == Visibility.PUBLISHED,
            )
        )
        return self._match(stmt, "proposal_fts", Proposal.id, PG_PROPOSAL_DOCUMENT)

    def _comments(self, *columns: Any) -> Select[Any]:
        stmt = (
            select(*columns)
            .select_from(Comment)
            .join(Consultation, Consultation.id == Comment.consultation_id)
            .outerjoin(Proposal, Proposal.id == Comment.proposal_id)
            .where(
                Consultation.organisation_id == self.org_id,
                Consultation.status != ConsultationStatus.DRAFT,
                Comment.visibility == Visibility.PUBLISHED,
                Comment.deleted_at.is_(None),
                # A comment on a proposal is public only while the proposal is.
                or_(Comment.proposal_id.is_(None), Proposal.visibility == Visibility.PUBLISHED),
            )
        )
        return self._match(stmt, "comment_fts", Comment.id, PG_COMMENT_DOCUMENT)

    def _base(self, kind: Kind, *columns: Any) -> Select[Any]:
        if kind == Kind.CONSULTATION:
            return self._consultations(*columns)
        if kind == Kind.PROPOSAL:
            return self._proposals(*columns)
        return self._comments(*columns)

    async def count(self, kind: Kind) -> int:
        if self.impossible:
            return 0
        id_column = {Kind.CONSULTATION: Consultation.id, Kind.PROPOSAL: Proposal.id, Kind.COMMENT: Comment.id}
        stmt = self._base(kind, id_column[kind])
        return int(await self.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)

    async def hits(self, kind: Kind, *, limit: int, offset: int) -> list[Hit]:
        if self.impossible:
            return []
        if kind == Kind.CONSULTATION:
            return await self._consultation_hits(limit, offset)
        if kind == Kind.PROPOSAL:
            return await self._proposal_hits(limit, offset)
        return await self._comment_hits(limit, offset)

    async def _consultation_hits(self, limit: int, offset: int) -> list[Hit]:
        fts = "consultation_fts"  # columns: title, summary, subject, body
        stmt = self._consultations(
            Consultation.slug,
            Consultation.published_at,
            self._title(fts, 0, Consultation.title),
            self._snippet(fts, 1, Consultation.summary),
            self._snippet(fts, 2, Consultation.subject),
            self._snippet(fts, 3, Consultation.body),
        )
        stmt = self._order(stmt, fts, PG_CONSULTATION_DOCUMENT, Consultation.id)
        rows = (await self.db.execute(stmt.limit(limit).offset(offset))).all()
        m = self.markers
        return [
            Hit(
                kind=Kind.CONSULTATION,
                url=url("consultations.page", slug=slug),
                title=m.html(title),
                snippet=m.best(summary, subject, body),
                consultation_title="",
                consultation_url="",
                author=None,
                date=published_at,
            )
            for slug, published_at, title, summary, subject, body in rows
        ]

    async def _proposal_hits(self, limit: int, offset: int) -> list[Hit]:
        fts = "proposal_fts"  # columns: title, body, place
        stmt = self._proposals(
            Proposal.id,
            Proposal.created_at,
            Consultation.slug,
            Consultation.title,
            self._title(fts, 0, Proposal.title),
            self._snippet(fts, 1, Proposal.body),
            self._snippet(fts, 2, Proposal.place),
        )
        stmt = self._order(stmt, fts, PG_PROPOSAL_DOCUMENT, Proposal.id)
        rows = (await self.db.execute(stmt.limit(limit).offset(offset))).all()
        m = self.markers
        return [
            Hit(
                kind=Kind.PROPOSAL,
                url=url("proposals.page", proposal_id=pid),
                title=m.html(title),
                snippet=m.best(body, place),
                consultation_title=c_title,
                consultation_url=url("consultations.page", slug=slug),
                author=None,
                date=created_at,
            )
            for pid, created_at, slug, c_title, title, body, place in rows
        ]

    async def _comment_hits(self, limit: int, offset: int) -> list[Hit]:
        fts = "comment_fts"  # columns: body
        stmt = self._comments(
            Comment.id,
            Comment.created_at,
            Comment.proposal_id,
            Proposal.title,
            Consultation.slug,
            Consultation.title,
            User.display_name,
            self._snippet(fts, 0, Comment.body),
        ).outerjoin(User, User.id == Comment.author_id)
        stmt = self._order(stmt, fts, PG_COMMENT_DOCUMENT, Comment.id)
        rows = (await self.db.execute(stmt.limit(limit).offset(offset))).all()
        m = self.markers
        hits = []
        for cid, created_at, proposal_id, p_title, slug, c_title, author, body in rows:
            target = (
                url("proposals.page", proposal_id=proposal_id)
                if proposal_id
                else url("consultations.page", slug=slug)
            )
            hits.append(
                Hit(
                    kind=Kind.COMMENT,
                    url=f"{target}#comment-{cid}",  # the comment's anchor on its page
                    title=escape(p_title if proposal_id else c_title),
                    snippet=m.best(body),
                    consultation_title=c_title,
                    consultation_url=url("consultations.page", slug=slug),
                    author=author,
                    date=created_at,
                )
            )
        return hits


# ---------------------------------------------------------------------------------------------
# What the page asks for
# ---------------------------------------------------------------------------------------------
@dataclass
class Results:
    query: Query
    kind: Kind | None  # None: the overview of all kinds
    counts: dict[Kind, int]
    groups: dict[Kind, list[Hit]]  # the overview: the best hits of each kind
    page: Page | None  # one kind: its page of hits

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def search(
    db: AsyncSession, org_id: int, query: Query, *, kind: Kind | None = None, page: int = 1
) -> Results:
    s = _Search(db, org_id, query)
    counts = {k: await s.count(k) for k in Kind}
    if kind is None:
        groups = {k: await s.hits(k, limit=PER_GROUP, offset=0) for k in Kind if counts[k]}
        return Results(query, None, counts, groups, None)
    pages = max(1, -(-counts[kind] // PER_PAGE))
    number = min(max(1, page), pages)
    items = await s.hits(kind, limit=PER_PAGE, offset=(number - 1) * PER_PAGE) if counts[kind] else []
    return Results(
        query, kind, counts, {}, Page(items=items, total=counts[kind], page=number, per_page=PER_PAGE)
    )
