"""The quick booking's write with fewer statements, and an index for a patient's missed
appointments.

Migration 0011's function ran eight statements after taking the patient's turn; PostgreSQL
starts an executor, takes a snapshot and queues foreign-key checks for each, and that fixed
cost was most of the function's time. Now there are three:
1. the patient's turn (`FOR NO KEY UPDATE` on their row), as before;
2. the limit on open appointments, counted in a fresh snapshot once the turn is held, and
   stopped at the limit: whether a patient has six upcoming appointments needs six rows, not
   all of them;
3. one statement whose data-modifying parts write the reservation, the appointment (holding the
   reservation's id), its audit entry, the confirmation and reminder on each channel, and the
   answer under the idempotency key. The parts of one statement cannot see each other's rows,
   so each takes what it needs from the part before it (`RETURNING`), and the foreign keys are
   checked once all of them have run, as they were before; a refusal by any constraint undoes
   the whole.

The read before the write asks for the patient's missed appointments (`strike`); it walked all
of a patient's appointments to find them, and a partial index on `strike` leaves it the few
there are.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION plexcare_book_appointment(
    p_id integer, p_uid text, p_patient integer, p_clinician integer, p_type integer,
    p_starts timestamptz, p_ends timestamptz, p_blocked_until timestamptz, p_now timestamptz,
    p_open_limit integer, p_client_ip text, p_reminder_due timestamptz, p_channels text[],
    p_key text, p_fingerprint text, p_answer text
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM users WHERE id = p_patient FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF (SELECT count(*) FROM (SELECT FROM appointments
                              WHERE patient_id = p_patient AND status = 'booked'
                                AND starts_at > p_now
                              LIMIT p_open_limit) AS upcoming) >= p_open_limit
    THEN
        RETURN false;
    END IF;
    WITH reservation AS (
        INSERT INTO clinician_reservations (clinician_id, starts_at, blocked_until)
        VALUES (p_clinician, p_starts, p_blocked_until)
        RETURNING id
    ), appointment AS (
        INSERT INTO appointments (id, uid, patient_id, clinician_id, appointment_type_id,
                                  starts_at, ends_at, blocked_until, status, sequence,
                                  created_at, updated_at, booked_by_user_id, strike,
                                  reservation_id)
        SELECT p_id, p_uid, p_patient, p_clinician, p_type, p_starts, p_ends, p_blocked_until,
               'booked', 0, p_now, p_now, p_patient, false, reservation.id
        FROM reservation
        RETURNING id
    ), audit AS (
        INSERT INTO audit_events (occurred_at, actor_user_id, actor_role, action, subject_type,
                                  subject_id, patient_user_id, client_ip)
        SELECT p_now, p_patient, 'patient', 'create', 'appointment', appointment.id::text,
               p_patient, p_client_ip
        FROM appointment
    ), messages AS (
        INSERT INTO outbox_messages (kind, channel, recipient_user_id, appointment_id, status,
                                     attempts, due_at, created_at, calendar_sequence,
                                     calendar_stamp)
        SELECT message.kind, channels.channel, p_patient, appointment.id, 'pending', 0,
               message.due_at, p_now, 0, p_now
        FROM appointment
        CROSS JOIN (VALUES (1, 'confirmation', p_now), (2, 'reminder', p_reminder_due))
            AS message(rank, kind, due_at)
        CROSS JOIN unnest(p_channels) WITH ORDINALITY AS channels(channel, rank)
        ORDER BY message.rank, channels.rank
    )
    INSERT INTO idempotency_records (user_id, key, fingerprint, status_code, response_body,
                                     created_at)
    SELECT p_patient, p_key, p_fingerprint, 201, p_answer, p_now
    FROM appointment
    WHERE p_key IS NOT NULL;
    RETURN true;
END
$$
"""

STRIKES_INDEX = "ix_appointments_patient_strikes"


def _function_of_0011() -> str:
    """Migration 0011's function, read from its file: stepping down restores it word for word."""
    path = next(Path(__file__).parent.glob("*_0011_*.py"))
    spec = importlib.util.spec_from_file_location("revision_0011", path)
    assert spec is not None and spec.loader is not None
    revision_0011 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision_0011)
    function: str = revision_0011.FUNCTION
    return function


def upgrade() -> None:
    op.create_index(
        STRIKES_INDEX,
        "appointments",
        ["patient_id"],
        sqlite_where=sa.text("strike"),
        postgresql_where=sa.text("strike"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function_of_0011().replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.drop_index(STRIKES_INDEX, table_name="appointments")
