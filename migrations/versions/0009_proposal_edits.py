"""proposal edits: authors change and withdraw their own proposals, earlier texts are kept

``proposal.edited_at`` (the text was last changed then) and ``proposal.withdrawn_at`` (the author
withdrew it: still public, marked, supports frozen), and ``proposal_version``: one row per earlier
text of a proposal, shown on its page as the history of edits. Plain ``ADD COLUMN``/``DROP
COLUMN`` on both databases: a batch rebuild of ``proposal`` in SQLite would drop its counter and
search triggers (migrations 0002 and 0008).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import advanced_alchemy.types


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "proposal",
        sa.Column("edited_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )
    op.add_column(
        "proposal",
        sa.Column("withdrawn_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )
    op.create_table(
        "proposal_version",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("proposal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("written_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_version_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_version_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_version")),
    )
    with op.batch_alter_table("proposal_version", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_version_proposal", ["proposal_id", "written_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_version_author_id"), ["author_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proposal_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_version_author_id"))
        batch_op.drop_index("ix_proposal_version_proposal")
    op.drop_table("proposal_version")
    op.drop_column("proposal", "withdrawn_at")
    op.drop_column("proposal", "edited_at")
