"""meetings: virtual citizen meetings (docs/meetings.md)

Questions, question votes, poll ballots and choices are rows with unique constraints (one per
participant); the counters beside them move in the same transaction as an inserted row. The
moderation's review gets a third target, the meeting question, and its consultation becomes
optional (a meeting of the organisation has none). The meeting's current agenda item and
spotlight question are plain ids (a foreign key would make a cycle).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:38:52.619517
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import advanced_alchemy.types


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ends_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column(
            "format",
            sa.Enum("online", "hybrid", name="meetingformat", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column(
            "video_kind",
            sa.Enum(
                "none",
                "bigbluebutton",
                "jitsi",
                "opentalk",
                "stream",
                name="videokind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("video_url", sa.String(length=500), nullable=False),
        sa.Column("registration_required", sa.Boolean(), nullable=False),
        sa.Column("allow_guests", sa.Boolean(), nullable=False),
        sa.Column(
            "question_moderation",
            sa.Enum("post", "pre", name="moderationmode", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("speaking_seconds", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("scheduled", "live", "ended", name="meetingstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("ended_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("current_item_id", sa.Integer(), nullable=True),
        sa.Column("spotlight_question_id", sa.Integer(), nullable=True),
        sa.Column("peak_participants", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column(
            "minutes_published_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_meeting_consultation_id_consultation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_meeting_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    op.create_index(op.f("ix_meeting_consultation_id"), "meeting", ["consultation_id"], unique=False)
    op.create_index("ix_meeting_org_starts", "meeting", ["organisation_id", "starts_at"], unique=False)
    op.create_table(
        "meeting_agenda_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_agenda_item_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_agenda_item")),
    )
    op.create_index(
        op.f("ix_meeting_agenda_item_meeting_id"), "meeting_agenda_item", ["meeting_id"], unique=False
    )
    op.create_table(
        "meeting_registration",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_registration_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_registration_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_registration")),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_registration"),
    )
    op.create_index(
        op.f("ix_meeting_registration_meeting_id"), "meeting_registration", ["meeting_id"], unique=False
    )
    op.create_index(
        op.f("ix_meeting_registration_user_id"), "meeting_registration", ["user_id"], unique=False
    )
    op.create_table(
        "meeting_poll",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agenda_item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "open", "closed", name="pollstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "results",
            sa.Enum("live", "after_close", name="pollresults", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("opened_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("closed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("ballot_count", sa.Integer(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_poll_agenda_item_id_meeting_agenda_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_poll_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_poll")),
    )
    op.create_index(op.f("ix_meeting_poll_meeting_id"), "meeting_poll", ["meeting_id"], unique=False)
    op.create_table(
        "meeting_question",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("agenda_item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.Column("guest_name", sa.String(length=80), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum("published", "held", "hidden", name="visibility", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("open", "spotlight", "answered", name="questionstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("answer_note", sa.String(length=1000), nullable=False),
        sa.Column("answered_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_question_agenda_item_id_meeting_agenda_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_question_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_meeting_question_consultation_id_consultation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_question_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_question")),
        sa.UniqueConstraint(
            "meeting_id", "voter_key", "submission_key", name="uq_meeting_question_submission"
        ),
    )
    op.create_index(op.f("ix_meeting_question_author_id"), "meeting_question", ["author_id"], unique=False)
    op.create_index(
        "ix_meeting_question_room", "meeting_question", ["meeting_id", "visibility", "status"], unique=False
    )
    op.create_table(
        "meeting_speaker",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agenda_item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("point_of_order", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "speaking",
                "done",
                "withdrawn",
                "removed",
                name="speakerstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("called_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("finished_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_speaker_agenda_item_id_meeting_agenda_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_speaker_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_speaker_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_speaker")),
    )
    op.create_index(
        "ix_meeting_speaker_list", "meeting_speaker", ["meeting_id", "status", "position"], unique=False
    )
    op.create_index(op.f("ix_meeting_speaker_user_id"), "meeting_speaker", ["user_id"], unique=False)
    op.create_table(
        "meeting_poll_ballot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("poll_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["meeting_poll.id"],
            name=op.f("fk_meeting_poll_ballot_poll_id_meeting_poll"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_poll_ballot_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_poll_ballot")),
        sa.UniqueConstraint("poll_id", "voter_key", name="uq_meeting_poll_ballot"),
    )
    op.create_index(op.f("ix_meeting_poll_ballot_user_id"), "meeting_poll_ballot", ["user_id"], unique=False)
    op.create_table(
        "meeting_poll_option",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("poll_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["meeting_poll.id"],
            name=op.f("fk_meeting_poll_option_poll_id_meeting_poll"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_poll_option")),
    )
    op.create_index(op.f("ix_meeting_poll_option_poll_id"), "meeting_poll_option", ["poll_id"], unique=False)
    op.create_table(
        "meeting_question_vote",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("question_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["meeting_question.id"],
            name=op.f("fk_meeting_question_vote_question_id_meeting_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_question_vote_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_question_vote")),
        sa.UniqueConstraint("question_id", "voter_key", name="uq_meeting_question_vote"),
    )
    op.create_index(
        op.f("ix_meeting_question_vote_user_id"), "meeting_question_vote", ["user_id"], unique=False
    )
    op.create_table(
        "meeting_poll_choice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ballot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("option_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["meeting_poll_ballot.id"],
            name=op.f("fk_meeting_poll_choice_ballot_id_meeting_poll_ballot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["meeting_poll_option.id"],
            name=op.f("fk_meeting_poll_choice_option_id_meeting_poll_option"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_poll_choice")),
        sa.UniqueConstraint("ballot_id", "option_id", name="uq_meeting_poll_choice"),
    )
    op.create_index(
        op.f("ix_meeting_poll_choice_option_id"), "meeting_poll_choice", ["option_id"], unique=False
    )
    op.add_column("organisation", sa.Column("embed_origins", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("review") as batch:
        batch.add_column(
            sa.Column(
                "meeting_question_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch.alter_column(
            "consultation_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        )
        batch.create_unique_constraint(op.f("uq_review_meeting_question_id"), ["meeting_question_id"])
        batch.create_foreign_key(
            op.f("fk_review_meeting_question_id_meeting_question"),
            "meeting_question",
            ["meeting_question_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    op.execute("DELETE FROM review WHERE meeting_question_id IS NOT NULL OR consultation_id IS NULL")
    with op.batch_alter_table("review") as batch:
        batch.drop_constraint(op.f("fk_review_meeting_question_id_meeting_question"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_review_meeting_question_id"), type_="unique")
        batch.alter_column(
            "consultation_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        )
        batch.drop_column("meeting_question_id")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("embed_origins")
    op.drop_index(op.f("ix_meeting_poll_choice_option_id"), table_name="meeting_poll_choice")
    op.drop_table("meeting_poll_choice")
    op.drop_index(op.f("ix_meeting_question_vote_user_id"), table_name="meeting_question_vote")
    op.drop_table("meeting_question_vote")
    op.drop_index(op.f("ix_meeting_poll_option_poll_id"), table_name="meeting_poll_option")
    op.drop_table("meeting_poll_option")
    op.drop_index(op.f("ix_meeting_poll_ballot_user_id"), table_name="meeting_poll_ballot")
    op.drop_table("meeting_poll_ballot")
    op.drop_index(op.f("ix_meeting_speaker_user_id"), table_name="meeting_speaker")
    op.drop_index("ix_meeting_speaker_list", table_name="meeting_speaker")
    op.drop_table("meeting_speaker")
    op.drop_index("ix_meeting_question_room", table_name="meeting_question")
    op.drop_index(op.f("ix_meeting_question_author_id"), table_name="meeting_question")
    op.drop_table("meeting_question")
    op.drop_index(op.f("ix_meeting_poll_meeting_id"), table_name="meeting_poll")
    op.drop_table("meeting_poll")
    op.drop_index(op.f("ix_meeting_registration_user_id"), table_name="meeting_registration")
    op.drop_index(op.f("ix_meeting_registration_meeting_id"), table_name="meeting_registration")
    op.drop_table("meeting_registration")
    op.drop_index(op.f("ix_meeting_agenda_item_meeting_id"), table_name="meeting_agenda_item")
    op.drop_table("meeting_agenda_item")
    op.drop_index("ix_meeting_org_starts", table_name="meeting")
    op.drop_index(op.f("ix_meeting_consultation_id"), table_name="meeting")
    op.drop_table("meeting")
