"""Case sign-off: a clinician's sign-off of one case version, who and when.

- `case_sign_offs`: one row per signed-off version (unique), inserted once and never changed;
  deleting the version (never done; versions are only inserted) takes its sign-off with it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_sign_offs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_version_id", sa.Integer(), nullable=False),
        sa.Column("signed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_version_id"],
            ["case_versions.id"],
            name=op.f("fk_case_sign_offs_case_version_id_case_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_user_id"],
            ["users.id"],
            name=op.f("fk_case_sign_offs_signed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_sign_offs")),
        sa.UniqueConstraint("case_version_id", name="uq_case_sign_offs_version"),
    )


def downgrade() -> None:
    op.drop_table("case_sign_offs")
