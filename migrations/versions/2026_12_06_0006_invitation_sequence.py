"""Calendar invitations ordered: each outbox message keeps the sequence and stamp fixed when
the change was made.

Rows already queued are given the version they announce: the stamp is when they were queued;
the sequence is the appointment's, less one for a request about an appointment cancelled since
(a cancellation raises the sequence on the same row; a reschedule gives the new appointment
the higher one). Messages without an appointment keep NULL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INVITATION_KINDS = ("confirmation", "change", "cancellation", "reminder")


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("calendar_stamp", sa.DateTime(timezone=True), nullable=True))
    outbox = sa.table(
        "outbox_messages",
        sa.column("kind", sa.String()),
        sa.column("appointment_id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("calendar_sequence", sa.Integer()),
        sa.column("calendar_stamp", sa.DateTime(timezone=True)),
    )
    appointments = sa.table(
        "appointments",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("sequence", sa.Integer()),
    )
    announced = (
        sa.select(
            sa.case(
                (
                    sa.and_(appointments.c.status == "cancelled", outbox.c.kind != "cancellation"),
                    appointments.c.sequence - 1,
                ),
                else_=appointments.c.sequence,
            )
        )
        .where(appointments.c.id == outbox.c.appointment_id)
        .scalar_subquery()
    )
    op.execute(
        outbox.update()
        .where(outbox.c.appointment_id.is_not(None), outbox.c.kind.in_(_INVITATION_KINDS))
        .values(calendar_sequence=announced, calendar_stamp=outbox.c.created_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("calendar_stamp")
        batch_op.drop_column("calendar_sequence")
