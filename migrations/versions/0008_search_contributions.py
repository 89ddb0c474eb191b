"""search contributions: full-text search over proposals and comments (the search page /suche)

PostgreSQL: German stemming through GIN expression indexes (no extra table, nothing to keep in
step: the index follows every insert, update and delete). SQLite: FTS5 tables with external
content, kept in step by triggers on insert, delete and on updates of the indexed columns, and
filled from the existing rows. Visibility (held, hidden, deleted, drafts) is not indexed: the
queries join the contribution and filter by its state, so a hidden post leaves the results the
moment it is hidden. The expressions must stay identical to beteiligung.search.queries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PG_DOCUMENTS = {
    "proposal": (
        "to_tsvector('german', coalesce(title, '') || ' ' || coalesce(body, '') || ' ' || coalesce(place, ''))"
    ),
    "comment": "to_tsvector('german', coalesce(body, ''))",
}
FTS_COLUMNS = {"proposal": ("title", "body", "place"), "comment": ("body",)}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, document in PG_DOCUMENTS.items():
            op.execute(f"CREATE INDEX ix_{table}_fts ON {table} USING gin ({document})")
        return
    for table, columns in FTS_COLUMNS.items():
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        fts = f"{table}_fts"
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            f"CREATE TRIGGER trg_{fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER trg_{fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        # Only when an indexed column changes (counters and states change far more often).
        op.execute(
            f"CREATE TRIGGER trg_{fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # the rows already there


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PG_DOCUMENTS:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_fts")
        return
    for table in FTS_COLUMNS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_fts_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")
