"""surveys: online surveys and quick polls (docs/surveys.md)

One response per person and survey, or per anonymous browser session, is enforced by the two
unique constraints on survey_response. The condition of a question is a plain option id (no
foreign key: option -> question -> option would be a cycle).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:08:31
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind", sa.Enum("survey", "poll", name="surveykind", native_enum=False, length=10), nullable=False
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", "closed", name="surveystatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("allow_anonymous", sa.Boolean(), nullable=False),
        sa.Column(
            "results_visibility",
            sa.Enum("during", "after", name="resultsvisibility", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("free_text_reviewed", sa.Boolean(), nullable=False),
        sa.Column("published_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("closed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_survey_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
    )
    op.create_index(op.f("ix_survey_consultation_id"), "survey", ["consultation_id"], unique=False)
    op.create_table(
        "survey_response",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("survey_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("anon_key", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_response_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_survey_response_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint("survey_id", "anon_key", name="uq_survey_response_survey_anon"),
        sa.UniqueConstraint("survey_id", "user_id", name="uq_survey_response_survey_user"),
    )
    op.create_index(
        "ix_survey_response_submitted", "survey_response", ["survey_id", "submitted_at"], unique=False
    )
    op.create_index(op.f("ix_survey_response_user_id"), "survey_response", ["user_id"], unique=False)
    op.create_table(
        "survey_section",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("survey_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_section_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_section")),
    )
    op.create_index(op.f("ix_survey_section_survey_id"), "survey_section", ["survey_id"], unique=False)
    op.create_table(
        "survey_question",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("survey_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("section_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "single",
                "multiple",
                "short_text",
                "long_text",
                "scale",
                "ranking",
                "yes_no",
                name="questionkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("help", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=True),
        sa.Column("scale_min", sa.Integer(), nullable=True),
        sa.Column("scale_max", sa.Integer(), nullable=True),
        sa.Column("scale_min_label", sa.String(length=80), nullable=False),
        sa.Column("scale_max_label", sa.String(length=80), nullable=False),
        sa.Column("allow_other", sa.Boolean(), nullable=False),
        sa.Column("condition_option_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["survey_section.id"],
            name=op.f("fk_survey_question_section_id_survey_section"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_question_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_question")),
    )
    op.create_index(op.f("ix_survey_question_section_id"), "survey_question", ["section_id"], unique=False)
    op.create_index(op.f("ix_survey_question_survey_id"), "survey_question", ["survey_id"], unique=False)
    op.create_table(
        "survey_option",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("question_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_question.id"],
            name=op.f("fk_survey_option_question_id_survey_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_option")),
    )
    op.create_index(op.f("ix_survey_option_question_id"), "survey_option", ["question_id"], unique=False)
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("response_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("question_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("option_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "review",
            sa.Enum("pending", "released", "rejected", name="review", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["survey_option.id"],
            name=op.f("fk_survey_answer_option_id_survey_option"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_question.id"],
            name=op.f("fk_survey_answer_question_id_survey_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_survey_answer_response_id_survey_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
    )
    op.create_index("ix_survey_answer_question", "survey_answer", ["question_id", "option_id"], unique=False)
    op.create_index(op.f("ix_survey_answer_response_id"), "survey_answer", ["response_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_answer_response_id"), table_name="survey_answer")
    op.drop_index("ix_survey_answer_question", table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_index(op.f("ix_survey_option_question_id"), table_name="survey_option")
    op.drop_table("survey_option")
    op.drop_index(op.f("ix_survey_question_survey_id"), table_name="survey_question")
    op.drop_index(op.f("ix_survey_question_section_id"), table_name="survey_question")
    op.drop_table("survey_question")
    op.drop_index(op.f("ix_survey_section_survey_id"), table_name="survey_section")
    op.drop_table("survey_section")
    op.drop_index(op.f("ix_survey_response_user_id"), table_name="survey_response")
    op.drop_index("ix_survey_response_submitted", table_name="survey_response")
    op.drop_table("survey_response")
    op.drop_index(op.f("ix_survey_consultation_id"), table_name="survey")
    op.drop_table("survey")
