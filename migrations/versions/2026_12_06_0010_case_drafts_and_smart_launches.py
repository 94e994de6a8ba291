"""Case drafts and SMART launches: a case prepared from an EHR's record waits under a random
id for its clinician to open it in the case form, and a SMART App Launch keeps its `state`
and PKCE verifier between the redirect to the EHR and the return.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_drafts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("clinician_user_id", sa.Integer(), nullable=False),
        sa.Column("case_data", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("ehr_patient", sa.String(length=200), nullable=False),
        sa.Column("patient_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_user_id"],
            ["users.id"],
            name=op.f("fk_case_drafts_clinician_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_drafts")),
    )
    op.create_index(
        op.f("ix_case_drafts_clinician_user_id"), "case_drafts", ["clinician_user_id"], unique=False
    )
    op.create_table(
        "smart_launches",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("clinician_user_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("token_endpoint", sa.String(length=500), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_user_id"],
            ["users.id"],
            name=op.f("fk_smart_launches_clinician_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_smart_launches")),
    )


def downgrade() -> None:
    op.drop_table("smart_launches")
    op.drop_index(op.f("ix_case_drafts_clinician_user_id"), table_name="case_drafts")
    op.drop_table("case_drafts")
