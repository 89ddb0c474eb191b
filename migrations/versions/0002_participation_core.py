"""participation core

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:41:20.405680
"""


from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import advanced_alchemy.types


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


# Counters kept by the database itself, so they are exact under concurrent requests and when
# rows go by cascade (an erased account takes its supports and votes along). One statement per
# trigger, written so that it runs unchanged in SQLite and inside a PL/pgSQL function.
COUNTER_TRIGGERS: list[tuple[str, str, str, str]] = [
    (
        "support_added",
        "support",
        "INSERT",
        "UPDATE proposal SET support_count = support_count + 1 WHERE id = NEW.proposal_id",
    ),
    (
        "support_removed",
        "support",
        "DELETE",
        "UPDATE proposal SET support_count = support_count - 1 WHERE id = OLD.proposal_id",
    ),
    (
        "proposal_added",
        "proposal",
        "INSERT",
        "UPDATE consultation SET proposal_count = proposal_count + 1 WHERE id = NEW.consultation_id",
    ),
    (
        "proposal_removed",
        "proposal",
        "DELETE",
        "UPDATE consultation SET proposal_count = proposal_count - 1 WHERE id = OLD.consultation_id",
    ),
    (
        "comment_added",
        "comment",
        "INSERT",
        "UPDATE proposal SET comment_count = comment_count + 1 "
        "WHERE id = NEW.proposal_id AND NEW.deleted_at IS NULL",
    ),
    (
        "comment_removed",
        "comment",
        "DELETE",
        "UPDATE proposal SET comment_count = comment_count - 1 "
        "WHERE id = OLD.proposal_id AND OLD.deleted_at IS NULL",
    ),
    (
        "comment_changed",
        "comment",
        "UPDATE",
        "UPDATE proposal SET comment_count = comment_count"
        " + (CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE 0 END)"
        " - (CASE WHEN OLD.deleted_at IS NULL THEN 1 ELSE 0 END) "
        "WHERE id = NEW.proposal_id AND (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)",
    ),
    (
        "comment_vote_added",
        "comment_vote",
        "INSERT",
        "UPDATE comment SET upvotes = upvotes + (CASE WHEN NEW.value = 1 THEN 1 ELSE 0 END),"
        " downvotes = downvotes + (CASE WHEN NEW.value = -1 THEN 1 ELSE 0 END) WHERE id = NEW.comment_id",
    ),
    (
        "comment_vote_removed",
        "comment_vote",
        "DELETE",
        "UPDATE comment SET upvotes = upvotes - (CASE WHEN OLD.value = 1 THEN 1 ELSE 0 END),"
        " downvotes = downvotes - (CASE WHEN OLD.value = -1 THEN 1 ELSE 0 END) WHERE id = OLD.comment_id",
    ),
    (
        "comment_vote_changed",
        "comment_vote",
        "UPDATE",
        "UPDATE comment SET"
        " upvotes = upvotes + (CASE WHEN NEW.value = 1 THEN 1 ELSE 0 END) - (CASE WHEN OLD.value = 1 THEN 1 ELSE 0 END),"
        " downvotes = downvotes + (CASE WHEN NEW.value = -1 THEN 1 ELSE 0 END)"
        " - (CASE WHEN OLD.value = -1 THEN 1 ELSE 0 END) WHERE id = NEW.comment_id",
    ),
]

# Full-text search over consultations (the Vorhabenliste). PostgreSQL: German stemming with a
# GIN expression index; SQLite: an FTS5 table kept in step by triggers. The expression must stay
# identical to beteiligung.consultations.queries.PG_SEARCH_DOCUMENT for the index to be used.
PG_SEARCH_DOCUMENT = (
    "to_tsvector('german', coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' "
    "|| coalesce(subject, '') || ' ' || coalesce(body, ''))"
)
FTS_COLUMNS = "title, summary, subject, body"


def _create_search_and_counters() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, event, statement in COUNTER_TRIGGERS:
        if dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION trg_{name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {statement}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER trg_{name} AFTER {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION trg_{name}()"
            )
        else:
            op.execute(f"CREATE TRIGGER trg_{name} AFTER {event} ON {table} BEGIN {statement}; END")
    if dialect == "postgresql":
        op.execute(f"CREATE INDEX ix_consultation_fts ON consultation USING gin ({PG_SEARCH_DOCUMENT})")
        return
    op.execute(
        f"CREATE VIRTUAL TABLE consultation_fts USING fts5({FTS_COLUMNS}, content='consultation', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    new = ", ".join(f"new.{c.strip()}" for c in FTS_COLUMNS.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in FTS_COLUMNS.split(","))
    op.execute(
        "CREATE TRIGGER trg_consultation_fts_ai AFTER INSERT ON consultation BEGIN "
        f"INSERT INTO consultation_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER trg_consultation_fts_ad AFTER DELETE ON consultation BEGIN "
        f"INSERT INTO consultation_fts(consultation_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        "CREATE TRIGGER trg_consultation_fts_au AFTER UPDATE ON consultation BEGIN "
        f"INSERT INTO consultation_fts(consultation_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO consultation_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END"
    )


def _drop_search_and_counters() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, _event, _statement in COUNTER_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{name}" + (f" ON {table}" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS trg_{name}()")
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_consultation_fts")
        return
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_consultation_fts_{suffix}")
    op.execute("DROP TABLE IF EXISTS consultation_fts")


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "consultation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=600), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("scope_of_decision", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_details", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("DRAFT", "PUBLISHED", "CLOSED", name="consultationstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("published_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("proposal_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_consultation_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
        sa.UniqueConstraint("organisation_id", "slug", name=op.f("uq_consultation_organisation_id")),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_org_status", ["organisation_id", "status"], unique=False)

    op.create_table(
        "topic",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_topic_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic")),
        sa.UniqueConstraint("organisation_id", "slug", name=op.f("uq_topic_organisation_id")),
    )
    op.create_table(
        "consultation_topic",
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("topic_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_topic_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_consultation_topic_topic_id_topic"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("consultation_id", "topic_id", name=op.f("pk_consultation_topic")),
    )
    op.create_table(
        "phase",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "INFORMATION",
                "DISCUSSION",
                "COLLECTION",
                "SUPPORT",
                "EVALUATION",
                "RESULT",
                name="phasekind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ends_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_phase_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase")),
    )
    with op.batch_alter_table("phase", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phase_consultation_id"), ["consultation_id"], unique=False)

    op.create_table(
        "proposal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("topic_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column(
            "source",
            sa.Enum("ONLINE", "PAPER", "EVENT", name="source", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("source_note", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("support_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "answer_state",
            sa.Enum(
                "NONE",
                "IN_REVIEW",
                "ACCEPTED",
                "PARTIALLY_ACCEPTED",
                "REJECTED",
                "IMPLEMENTED",
                name="answerstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("answered_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_answered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_proposal_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_proposal_topic_id_topic"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        sa.UniqueConstraint("author_id", "submission_key", name=op.f("uq_proposal_author_id")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_answer_state"), ["answer_state"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_proposal_list_comments", ["consultation_id", "comment_count", "id"], unique=False
        )
        batch_op.create_index("ix_proposal_list_new", ["consultation_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_proposal_list_supports", ["consultation_id", "support_count", "id"], unique=False
        )

    op.create_table(
        "comment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("deleted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("upvotes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("downvotes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("depth BETWEEN 1 AND 3", name=op.f("ck_comment_depth_range")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_comment_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_comment_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comment.id"], name=op.f("fk_comment_parent_id_comment"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_comment_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
        sa.UniqueConstraint("author_id", "submission_key", name=op.f("uq_comment_author_id")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comment_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comment_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(
            "ix_comment_target", ["consultation_id", "proposal_id", "created_at"], unique=False
        )

    op.create_table(
        "support",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_support_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_support_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support")),
        sa.UniqueConstraint("proposal_id", "user_id", name=op.f("uq_support_proposal_id")),
    )
    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_user_id"), ["user_id"], unique=False)

    op.create_table(
        "comment_vote",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("comment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_comment_vote_value_sign")),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_comment_vote_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_comment_vote_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_vote")),
        sa.UniqueConstraint("comment_id", "user_id", name=op.f("uq_comment_vote_comment_id")),
    )
    with op.batch_alter_table("comment_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_vote_user_id"), ["user_id"], unique=False)

    # ### end Alembic commands ###
    _create_search_and_counters()


def downgrade() -> None:
    _drop_search_and_counters()
    with op.batch_alter_table("comment_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_vote_user_id"))

    op.drop_table("comment_vote")
    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_user_id"))

    op.drop_table("support")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_target")
        batch_op.drop_index(batch_op.f("ix_comment_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_comment_parent_id"))
        batch_op.drop_index(batch_op.f("ix_comment_author_id"))

    op.drop_table("comment")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_list_supports")
        batch_op.drop_index("ix_proposal_list_new")
        batch_op.drop_index("ix_proposal_list_comments")
        batch_op.drop_index(batch_op.f("ix_proposal_author_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_answer_state"))

    op.drop_table("proposal")
    with op.batch_alter_table("phase", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phase_consultation_id"))

    op.drop_table("phase")
    op.drop_table("consultation_topic")
    op.drop_table("topic")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_org_status")

    op.drop_table("consultation")
    # ### end Alembic commands ###
