"""The booking's write as one PostgreSQL function, so a patient's plain booking is one round trip
after its read (`plexcare.scheduling.quick_booking`). Nothing on SQLite, where every booking
takes the full path.

The function takes the patient's turn first (their row, `FOR NO KEY UPDATE`, as
`reservations.lock_patient` does), and each statement after that sees the database as it is
once the turn is held: a PL/pgSQL function's statements take a fresh snapshot each, which one
statement with CTEs cannot do, so the limit on open appointments counts every booking of
theirs committed before this one. Then it writes what exists exactly when the booking does:
the clinician's reservation (an exclusion constraint refuses an overlap), the appointment (so
does `ex_appointments_patient_overlap`, for the patient's own time), its audit entry, the
confirmation and the reminder on each channel, and the answer under the idempotency key. It
answers false, having written nothing, when the limit refuses; a constraint's refusal raises,
and the caller leaves both to the full booking, which names the reason.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION plexcare_book_appointment(
    p_id integer, p_uid text, p_patient integer, p_clinician integer, p_type integer,
    p_starts timestamptz, p_ends timestamptz, p_blocked_until timestamptz, p_now timestamptz,
    p_open_limit integer, p_client_ip text, p_reminder_due timestamptz, p_channels text[],
    p_key text, p_fingerprint text, p_answer text
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    reservation integer;
BEGIN
    PERFORM 1 FROM users WHERE id = p_patient FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF (SELECT count(*) FROM appointments
        WHERE patient_id = p_patient AND status = 'booked' AND starts_at > p_now) >= p_open_limit
    THEN
        RETURN false;
    END IF;
    INSERT INTO clinician_reservations (clinician_id, starts_at, blocked_until)
    VALUES (p_clinician, p_starts, p_blocked_until)
    RETURNING id INTO reservation;
    INSERT INTO appointments (id, uid, patient_id, clinician_id, appointment_type_id, starts_at,
                              ends_at, blocked_until, status, sequence, created_at, updated_at,
                              booked_by_user_id, strike, reservation_id)
    VALUES (p_id, p_uid, p_patient, p_clinician, p_type, p_starts, p_ends, p_blocked_until,
            'booked', 0, p_now, p_now, p_patient, false, reservation);
    INSERT INTO audit_events (occurred_at, actor_user_id, actor_role, action, subject_type,
                              subject_id, patient_user_id, client_ip)
    VALUES (p_now, p_patient, 'patient', 'create', 'appointment', p_id::text, p_patient,
            p_client_ip);
    INSERT INTO outbox_messages (kind, channel, recipient_user_id, appointment_id, status,
                                 attempts, due_at, created_at, calendar_sequence, calendar_stamp)
    SELECT 'confirmation', channel, p_patient, p_id, 'pending', 0, p_now, p_now, 0, p_now
    FROM unnest(p_channels) WITH ORDINALITY AS channels(channel, rank) ORDER BY rank;
    INSERT INTO outbox_messages (kind, channel, recipient_user_id, appointment_id, status,
                                 attempts, due_at, created_at, calendar_sequence, calendar_stamp)
    SELECT 'reminder', channel, p_patient, p_id, 'pending', 0, p_reminder_due, p_now, 0, p_now
    FROM unnest(p_channels) WITH ORDINALITY AS channels(channel, rank) ORDER BY rank;
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_records (user_id, key, fingerprint, status_code, response_body,
                                         created_at)
        VALUES (p_patient, p_key, p_fingerprint, 201, p_answer, p_now);
    END IF;
    RETURN true;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION plexcare_book_appointment(integer, text, integer, integer, integer, "
            "timestamptz, timestamptz, timestamptz, timestamptz, integer, text, timestamptz, "
            "text[], text, text, text)"
        )
