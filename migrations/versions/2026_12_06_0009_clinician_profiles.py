"""Specialists' profiles: the languages each clinician consults in and what they see patients
for, shown on the public specialists pages. Existing clinicians get empty text (the page then
leaves the line out).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clinicians", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("languages", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("sees", sa.String(length=1000), nullable=False, server_default="")
        )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch copy would drop
    # and recreate `clinicians`, which the tables referring to it do not allow on SQLite.
    op.drop_column("clinicians", "sees")
    op.drop_column("clinicians", "languages")
