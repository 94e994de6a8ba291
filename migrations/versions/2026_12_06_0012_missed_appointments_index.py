"""An index for a patient's missed appointments.

Booking reads them for every patient who books (the pause that may follow them); it walked all
of a patient's appointments to find the few that count, and a partial index on `strike` leaves
it those few.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRIKES_INDEX = "ix_appointments_patient_strikes"


def upgrade() -> None:
    op.create_index(
        STRIKES_INDEX,
        "appointments",
        ["patient_id"],
        sqlite_where=sa.text("strike"),
        postgresql_where=sa.text("strike"),
    )


def downgrade() -> None:
    op.drop_index(STRIKES_INDEX, table_name="appointments")
