"""Scheduling made atomic: holds and appointments share one no-overlap rule; per-patient caps.

Holds and active appointments each point at a row of `clinician_reservations`, whose times
never overlap for one clinician (an exclusion constraint on PostgreSQL; a unique start on
SQLite, whose transactions are serialized). The holds' own rule (`uq_slot_holds_start`,
`ex_slot_holds_overlap`) goes: the shared one replaces it. An active appointment must hold a
reservation (a CHECK on PostgreSQL; triggers on SQLite, which cannot add a CHECK to a table
without rebuilding it). On PostgreSQL one patient's active appointments may no longer overlap.

Existing rows are carried over: every active appointment and every hold gets its reservation.
A hold that overlaps an active appointment (possible under the old separate rules) is dropped,
and a waitlist entry left offered without a hold goes back to waiting. If one patient already
has overlapping appointments, the upgrade stops and names them: which to cancel is the
clinic's decision, not a migration's.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "('booked', 'completed', 'no_show')"
OVERLAPS_APPOINTMENT = (
    "EXISTS (SELECT 1 FROM appointments a WHERE a.clinician_id = slot_holds.clinician_id "
    f"AND a.status IN {ACTIVE} AND a.starts_at < slot_holds.blocked_until "
    "AND a.blocked_until > slot_holds.starts_at)"
)
SQLITE_TRIGGERS = {
    "tr_appointments_reserved_on_insert": "BEFORE INSERT ON appointments",
    "tr_appointments_reserved_on_update": (
        "BEFORE UPDATE OF status, reservation_id ON appointments"
    ),
}


def _reservation_of(table: str) -> str:
    """The reservation made for a row of `table` (a clinician's reservations start at
    different instants, so the start names it)."""
    return (
        "(SELECT r.id FROM clinician_reservations r "
        f"WHERE r.clinician_id = {table}.clinician_id AND r.starts_at = {table}.starts_at)"
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "clinician_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["clinicians.id"],
            name=op.f("fk_clinician_reservations_clinician_id_clinicians"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_reservations")),
        sa.UniqueConstraint("clinician_id", "starts_at", name="uq_clinician_reservations_start"),
    )
    if postgres:
        op.execute(
            "ALTER TABLE clinician_reservations ADD CONSTRAINT ex_clinician_reservations_overlap "
            "EXCLUDE USING gist (clinician_id WITH =, "
            "tstzrange(starts_at, blocked_until, '[)') WITH &&)"
        )
    _reserve_for_appointments(postgres)
    _reserve_for_holds(postgres)
    _require_reservation_while_active(postgres)
    if postgres:
        _refuse_overlap_for_one_patient()


def _reserve_for_appointments(postgres: bool) -> None:
    if postgres:
        op.add_column("appointments", sa.Column("reservation_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_appointments_reservation_id_clinician_reservations"),
            "appointments",
            "clinician_reservations",
            ["reservation_id"],
            ["id"],
        )
    else:
        # A plain ADD COLUMN: rebuilding `appointments` with foreign keys on would cascade
        # deletes into the tables that reference it. (No ON DELETE clause: SQLite's reflection
        # cannot read one back from a column constraint, and NO ACTION refuses the same.)
        op.execute(
            "ALTER TABLE appointments ADD COLUMN reservation_id INTEGER "
            "CONSTRAINT fk_appointments_reservation_id_clinician_reservations "
            "REFERENCES clinician_reservations (id)"
        )
    op.create_index(
        op.f("ix_appointments_reservation_id"), "appointments", ["reservation_id"], unique=True
    )
    op.execute(
        "INSERT INTO clinician_reservations (clinician_id, starts_at, blocked_until) "
        f"SELECT clinician_id, starts_at, blocked_until FROM appointments WHERE status IN {ACTIVE}"
    )
    op.execute(
        f"UPDATE appointments SET reservation_id = {_reservation_of('appointments')} "
        f"WHERE status IN {ACTIVE}"
    )


def _reserve_for_holds(postgres: bool) -> None:
    op.execute(f"DELETE FROM slot_holds WHERE {OVERLAPS_APPOINTMENT}")
    op.execute(
        "UPDATE waitlist_entries SET status = 'waiting' WHERE status = 'offered' AND id NOT IN "
        "(SELECT waitlist_entry_id FROM slot_holds WHERE waitlist_entry_id IS NOT NULL)"
    )
    op.execute(
        "INSERT INTO clinician_reservations (clinician_id, starts_at, blocked_until) "
        "SELECT clinician_id, starts_at, blocked_until FROM slot_holds"
    )
    with op.batch_alter_table("slot_holds") as batch:
        batch.add_column(sa.Column("reservation_id", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_slot_holds_start", type_="unique")
    op.execute(f"UPDATE slot_holds SET reservation_id = {_reservation_of('slot_holds')}")
    with op.batch_alter_table("slot_holds") as batch:
        batch.alter_column("reservation_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            batch.f("fk_slot_holds_reservation_id_clinician_reservations"),
            "clinician_reservations",
            ["reservation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(batch.f("ix_slot_holds_reservation_id"), ["reservation_id"], unique=True)
    if postgres:
        op.execute("ALTER TABLE slot_holds DROP CONSTRAINT ex_slot_holds_overlap")


def _require_reservation_while_active(postgres: bool) -> None:
    if postgres:
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ck_appointments_reserved_while_active "
            f"CHECK (status NOT IN {ACTIVE} OR reservation_id IS NOT NULL)"
        )
        return
    for name, event in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {event} "
            f"WHEN NEW.status IN {ACTIVE} AND NEW.reservation_id IS NULL "
            "BEGIN SELECT RAISE(ABORT, "
            "'CHECK constraint failed: ck_appointments_reserved_while_active'); END"
        )


def _refuse_overlap_for_one_patient() -> None:
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
    op.execute(
        "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_patient_overlap "
        "EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        f"WHERE (status IN {ACTIVE})"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE appointments DROP CONSTRAINT ex_appointments_patient_overlap")
        op.execute("ALTER TABLE appointments DROP CONSTRAINT ck_appointments_reserved_while_active")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("slot_holds") as batch:
        batch.drop_index(batch.f("ix_slot_holds_reservation_id"))
        batch.drop_constraint(
            batch.f("fk_slot_holds_reservation_id_clinician_reservations"), type_="foreignkey"
        )
        batch.drop_column("reservation_id")
        batch.create_unique_constraint("uq_slot_holds_start", ["clinician_id", "starts_at"])
    if postgres:
        op.execute(
            "ALTER TABLE slot_holds ADD CONSTRAINT ex_slot_holds_overlap "
            "EXCLUDE USING gist (clinician_id WITH =, "
            "tstzrange(starts_at, blocked_until, '[)') WITH &&)"
        )
    op.drop_index(op.f("ix_appointments_reservation_id"), table_name="appointments")
    if postgres:
        op.drop_constraint(
            op.f("fk_appointments_reservation_id_clinician_reservations"),
            "appointments",
            type_="foreignkey",
        )
        op.drop_column("appointments", "reservation_id")
    else:
        op.execute("ALTER TABLE appointments DROP COLUMN reservation_id")
    op.drop_table("clinician_reservations")
