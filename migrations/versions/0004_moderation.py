"""moderation: visibility of contributions, reviews, flags, audit log, blocks, settings,
notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Counters count published contributions only: a held or hidden comment or proposal is in no
# public count (docs/moderation.md). Same statement style as 0002 (runs in SQLite and PL/pgSQL).
VISIBLE_NEW = "NEW.deleted_at IS NULL AND NEW.visibility = 'published'"
VISIBLE_OLD = "OLD.deleted_at IS NULL AND OLD.visibility = 'published'"
COUNTER_TRIGGERS: list[tuple[str, str, str, str]] = [
    (
        "proposal_added",
        "proposal",
        "INSERT",
        "UPDATE consultation SET proposal_count = proposal_count + 1 "
        "WHERE id = NEW.consultation_id AND NEW.visibility = 'published'",
    ),
    (
        "proposal_removed",
        "proposal",
        "DELETE",
        "UPDATE consultation SET proposal_count = proposal_count - 1 "
        "WHERE id = OLD.consultation_id AND OLD.visibility = 'published'",
    ),
    (
        "proposal_changed",
        "proposal",
        "UPDATE",
        "UPDATE consultation SET proposal_count = proposal_count"
        " + (CASE WHEN NEW.visibility = 'published' THEN 1 ELSE 0 END)"
        " - (CASE WHEN OLD.visibility = 'published' THEN 1 ELSE 0 END) "
        "WHERE id = NEW.consultation_id AND OLD.visibility <> NEW.visibility",
    ),
    (
        "comment_added",
        "comment",
        "INSERT",
        f"UPDATE proposal SET comment_count = comment_count + 1 WHERE id = NEW.proposal_id AND {VISIBLE_NEW}",
    ),
    (
        "comment_removed",
        "comment",
        "DELETE",
        f"UPDATE proposal SET comment_count = comment_count - 1 WHERE id = OLD.proposal_id AND {VISIBLE_OLD}",
    ),
    (
        "comment_changed",
        "comment",
        "UPDATE",
        "UPDATE proposal SET comment_count = comment_count"
        f" + (CASE WHEN {VISIBLE_NEW} THEN 1 ELSE 0 END)"
        f" - (CASE WHEN {VISIBLE_OLD} THEN 1 ELSE 0 END) "
        f"WHERE id = NEW.proposal_id AND ({VISIBLE_OLD}) <> ({VISIBLE_NEW})",
    ),
]
# 0002's versions, for the downgrade.
OLD_COUNTER_TRIGGERS: list[tuple[str, str, str, str]] = [
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
]
ALL_NAMES = [
    ("proposal_added", "proposal"),
    ("proposal_removed", "proposal"),
    ("proposal_changed", "proposal"),
    ("comment_added", "comment"),
    ("comment_removed", "comment"),
    ("comment_changed", "comment"),
]


def _replace_counters(triggers: list[tuple[str, str, str, str]]) -> None:
    dialect = op.get_bind().dialect.name
    for name, table in ALL_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{name}" + (f" ON {table}" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS trg_{name}()")
    for name, table, event, statement in triggers:
        if dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION trg_{name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {statement}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER trg_{name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION trg_{name}()"
            )
        else:
            op.execute(f"CREATE TRIGGER trg_{name} AFTER {event} ON {table} BEGIN {statement}; END")


def _drop_column(table: str, column: str) -> None:
    # Not batch mode: rebuilding the table in SQLite trips over the counter triggers.
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


# The audit log is append-only in the database itself: UPDATE and DELETE of a row fail.
def _create_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION trg_moderation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'moderation_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER trg_moderation_log_append_only BEFORE UPDATE OR DELETE ON moderation_log "
            "FOR EACH ROW EXECUTE FUNCTION trg_moderation_log_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER trg_moderation_log_no_{event.lower()} BEFORE {event} ON moderation_log "
            "BEGIN SELECT RAISE(ABORT, 'moderation_log is append-only'); END"
        )


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_moderation_log_append_only ON moderation_log")
        op.execute("DROP FUNCTION IF EXISTS trg_moderation_log_append_only()")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_moderation_log_no_{event}")


def upgrade() -> None:
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("moderator_name", sa.String(length=80), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "approve",
                "hide",
                "request_edit",
                "dismiss",
                "block",
                "unblock",
                name="logaction",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_log")),
    )
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_log_org", ["organisation_id", "created_at"], unique=False)

    op.create_table(
        "moderation_settings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flag_threshold", sa.Integer(), nullable=False),
        sa.Column("max_links", sa.Integer(), nullable=False),
        sa.Column("new_account_hours", sa.Integer(), nullable=False),
        sa.Column("new_account_posts_per_hour", sa.Integer(), nullable=False),
        sa.Column("posts_per_ten_minutes", sa.Integer(), nullable=False),
        sa.Column("blocklist", sa.Text(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_moderation_settings_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_settings")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_moderation_settings_organisation_id")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("read_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_user", ["user_id", "created_at"], unique=False)

    op.create_table(
        "user_block",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("until", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_user_block_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_user_block_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_block_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_block")),
    )
    with op.batch_alter_table("user_block", schema=None) as batch_op:
        batch_op.create_index("ix_user_block_active", ["organisation_id", "user_id", "until"], unique=False)

    op.create_table(
        "flag",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("comment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "insult",
                "spam",
                "off_topic",
                "personal_data",
                "unlawful",
                "other",
                name="flagreason",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("resolved_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_flag_comment_id_comment"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_flag_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_flag_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag")),
        sa.UniqueConstraint("user_id", "comment_id", name="uq_flag_user_comment"),
        sa.UniqueConstraint("user_id", "proposal_id", name="uq_flag_user_proposal"),
    )
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_comment_id"), ["comment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flag_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flag_user_id"), ["user_id"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("comment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "approved",
                "hidden",
                "edit_requested",
                "dismissed",
                name="reviewstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "trigger",
            sa.Enum("pre", "auto", "flags", "edited", name="trigger", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("auto_reasons", sa.String(length=300), nullable=False),
        sa.Column("opened_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("decided_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("rule", sa.Integer(), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_review_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_review_comment_id_comment"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_review_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_review_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_review_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_review_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_review_comment_id")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_review_proposal_id")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index("ix_review_queue", ["organisation_id", "status", "opened_at"], unique=False)

    op.add_column(
        "comment",
        sa.Column(
            "visibility",
            sa.Enum("published", "held", "hidden", name="visibility", native_enum=False, length=10),
            server_default="published",
            nullable=False,
        ),
    )

    op.add_column(
        "consultation",
        sa.Column(
            "moderation_mode",
            sa.Enum("post", "pre", name="moderationmode", native_enum=False, length=10),
            server_default="post",
            nullable=False,
        ),
    )

    op.add_column(
        "proposal",
        sa.Column(
            "visibility",
            sa.Enum("published", "held", "hidden", name="visibility", native_enum=False, length=10),
            server_default="published",
            nullable=False,
        ),
    )

    _replace_counters(COUNTER_TRIGGERS)
    _create_append_only()


def downgrade() -> None:
    _drop_append_only()
    _replace_counters(OLD_COUNTER_TRIGGERS)
    _drop_column("proposal", "visibility")

    _drop_column("consultation", "moderation_mode")

    _drop_column("comment", "visibility")

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_queue")
        batch_op.drop_index(batch_op.f("ix_review_consultation_id"))
        batch_op.drop_index(batch_op.f("ix_review_author_id"))

    op.drop_table("review")
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_user_id"))
        batch_op.drop_index(batch_op.f("ix_flag_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_flag_comment_id"))

    op.drop_table("flag")
    with op.batch_alter_table("user_block", schema=None) as batch_op:
        batch_op.drop_index("ix_user_block_active")

    op.drop_table("user_block")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user")

    op.drop_table("notification")
    op.drop_table("moderation_settings")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_log_org")

    op.drop_table("moderation_log")
