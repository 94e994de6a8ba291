"""Front desk and clinic calendar: arrivals, clinic days, one patient in one place on SQLite.

- `appointments.arrived_at`: when the front desk saw the patient arrive (the status stays
  booked until the visit is marked attended or missed).
- `clinic_days`: the days the clinic departs from its calendar, closed or (a public holiday,
  closed by default) opened after all.
- On SQLite, triggers named like PostgreSQL's exclusion constraint
  (`ex_appointments_patient_overlap`, migration 0004) refuse a patient's second active
  appointment overlapping the first, whatever writes it: the booking service's guarded insert
  is no longer the only line. The upgrade stops and names the pairs if a patient already holds
  overlapping appointments, as 0004 does on PostgreSQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "('booked', 'completed', 'no_show')"
OVERLAPPING = (
    "EXISTS (SELECT 1 FROM appointments AS other WHERE other.patient_id = NEW.patient_id "
    f"AND other.id IS NOT NEW.id AND other.status IN {ACTIVE} "
    "AND other.starts_at < NEW.ends_at AND NEW.starts_at < other.ends_at)"
)
SQLITE_TRIGGERS = {
    "ex_appointments_patient_overlap_insert": "BEFORE INSERT ON appointments",
    "ex_appointments_patient_overlap_update": (
        "BEFORE UPDATE OF patient_id, status, starts_at, ends_at ON appointments"
    ),
}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.add_column(
            "appointments", sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True)
        )
    else:
        # A plain ADD COLUMN: rebuilding `appointments` would cascade deletes (see 0004).
        op.execute("ALTER TABLE appointments ADD COLUMN arrived_at DATETIME")
    op.create_table(
        "clinic_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"],
            ["users.id"],
            name=op.f("fk_clinic_days_changed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_days")),
        sa.UniqueConstraint("day", name=op.f("uq_clinic_days_day")),
    )
    if not postgres:
        _refuse_overlap_for_one_patient_on_sqlite()


def _refuse_overlap_for_one_patient_on_sqlite() -> None:
    overlapping = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT a.id, b.id FROM appointments a JOIN appointments b "
                "ON a.patient_id = b.patient_id AND a.id < b.id "
                f"AND a.status IN {ACTIVE} AND b.status IN {ACTIVE} "
                "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
                "ORDER BY a.id, b.id LIMIT 20"
            )
        )
        .all()
    )
    if overlapping:
        pairs = ", ".join(f"{first}/{second}" for first, second in overlapping)
        raise RuntimeError(
            "one patient holds overlapping appointments (ids, at most 20 pairs shown): "
            f"{pairs}; cancel or move one of each pair, then upgrade again"
        )
    for name, event in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {event} "
            f"WHEN NEW.status IN {ACTIVE} AND {OVERLAPPING} "
            "BEGIN SELECT RAISE(ABORT, "
            "'exclusion constraint failed: ex_appointments_patient_overlap'); END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("clinic_days")
    if postgres:
        op.drop_column("appointments", "arrived_at")
    else:
        op.execute("ALTER TABLE appointments DROP COLUMN arrived_at")
