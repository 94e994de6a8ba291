"""Login throttling per account and per client address; atomic rate-limit counters.

`login_throttles` holds the failed sign-ins of each account (by a keyed hash of the e-mail
address) and each client address, shared by every app process. `callback_rate_keys` holds one
row per client and per phone number that a callback request locks before counting, so counting
and saving a request is one step per key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("streak_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttles_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "callback_rate_keys",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_callback_rate_keys")),
    )
    with op.batch_alter_table("callback_rate_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_rate_keys_touched_at"), ["touched_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("callback_rate_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_rate_keys_touched_at"))
    op.drop_table("callback_rate_keys")
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_updated_at"))
    op.drop_table("login_throttles")
