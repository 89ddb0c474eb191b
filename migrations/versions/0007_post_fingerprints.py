"""post fingerprints: the automatic checks look up hashes instead of re-reading 24 h of posts

One row per new contribution of a resident or meeting guest: the author's key (``u:<user id>``
or the guest's voter key), the time and a SHA-256 of the normalised text. The "repeat" check is an
index lookup and the rate checks read a few timestamps, whatever the author wrote before. Rows
older than 24 hours are deleted as new ones arrive; an account's rows go with the account.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import advanced_alchemy.types


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_fingerprint",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_post_fingerprint_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_fingerprint")),
    )
    with op.batch_alter_table("post_fingerprint", schema=None) as batch_op:
        batch_op.create_index("ix_post_fingerprint_author_time", ["author_key", "created_at"], unique=False)
        batch_op.create_index("ix_post_fingerprint_author_text", ["author_key", "text_hash"], unique=False)
        batch_op.create_index("ix_post_fingerprint_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_fingerprint_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_fingerprint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_fingerprint_user_id"))
        batch_op.drop_index("ix_post_fingerprint_created")
        batch_op.drop_index("ix_post_fingerprint_author_text")
        batch_op.drop_index("ix_post_fingerprint_author_time")
    op.drop_table("post_fingerprint")
