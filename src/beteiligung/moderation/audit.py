"""Reads of the moderation audit log (moderation.models.ModerationLog): the admins' page and its
CSV export.

The CSV is UTF-8 *with* a byte-order mark, so that spreadsheet programs (Excel in particular)
read the umlauts correctly; comma-separated, CRLF line ends (RFC 4180). Cells that a spreadsheet
would run as a formula (starting with = + - @, or a tab or carriage return) get a leading ``'``
(CSV injection, OWASP).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.i18n import gettext as _
from beteiligung.moderation.models import LOG_ACTION_NAMES, LogAction, ModerationLog
from beteiligung.moderation.reasons import rule_label
from beteiligung.moderation.targets import all_targets
from beteiligung.web.paging import Page

PER_PAGE = 50

CSV_COLUMNS = (
    "id",
    "created_at",
    "moderator_name",
    "action",
    "target_kind",
    "target_id",
    "consultation_id",
    "rule",
    "reason_text",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def parse_action(value: str | None) -> LogAction | None:
    """``?aktion=`` as a log action; anything unknown means no filter."""
    try:
        return LogAction(value) if value else None
    except ValueError:
        return None


async def log_page(db: AsyncSession, org_id: int, *, action: LogAction | None, page: int) -> Page:
    """The organisation's log, newest first, ``PER_PAGE`` rows a page."""
    where = [ModerationLog.organisation_id == org_id]
    if action is not None:
        where.append(ModerationLog.action == action)
    total = int(await db.scalar(select(func.count()).select_from(ModerationLog).where(*where)) or 0)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = (
        await db.scalars(
            select(ModerationLog)
            .where(*where)
            .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    ).all()
    return Page(items=list(rows), total=total, page=page, per_page=PER_PAGE)


@dataclass(frozen=True)
class LogRow:
    entry: ModerationLog
    action_name: str
    rule: str
    link: str  # where the target lives; "" when it has no page (an account) or is gone


async def target_links(db: AsyncSession, entries: Sequence[ModerationLog]) -> dict[tuple[str, int], str]:
    """Links to the entries' targets, with at most one query per kind of contribution on the
    page (moderation.targets.ModerationTarget.links)."""
    links: dict[tuple[str, int], str] = {}
    for kind, target in all_targets().items():
        ids = {e.target_id for e in entries if e.target_kind == kind}
        if ids:
            for target_id, link in (await target.links(db, ids)).items():
                links[(kind, target_id)] = link
    return links


async def log_rows(db: AsyncSession, entries: Sequence[ModerationLog]) -> list[LogRow]:
    """The entries as the page shows them (action names and rules in the viewer's language)."""
    links = await target_links(db, entries)
    return [
        LogRow(
            entry=e,
            action_name=_(LOG_ACTION_NAMES[e.action]),
            rule=rule_label(e.rule),
            link=links.get((e.target_kind, e.target_id), ""),
        )
        for e in entries
    ]


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(entries: Iterable[ModerationLog]) -> Iterable[str]:
    """The export, line by line (BOM first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        out = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return out

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flush()
    for e in entries:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    e.id,
                    e.created_at.isoformat(),
                    e.moderator_name,
                    e.action.value,
                    e.target_kind,
                    e.target_id,
                    "" if e.consultation_id is None else e.consultation_id,
                    "" if e.rule is None else e.rule,
                    e.reason_text,
                )
            ]
        )
        yield flush()


async def all_entries(db: AsyncSession, org_id: int) -> list[ModerationLog]:
    """Every row of the organisation, oldest first (the export)."""
    rows = await db.scalars(
        select(ModerationLog)
        .where(ModerationLog.organisation_id == org_id)
        .order_by(ModerationLog.created_at, ModerationLog.id)
    )
    return list(rows.all())
