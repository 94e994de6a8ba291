"""A version of the booking rules, so the quick booking can remember a clinician's rules and
book in one round trip.

The quick booking read a clinician's rules for the day (hours, breaks, leave, the clinic's
closures, the appointment type) before every write: a second round trip, and a fifth of the
app's and the database's work per booking, for rows that change a few times a day. Now the
app remembers them with the version they were read at, and the write checks that version
first:
- `booking_rules_version` holds one row, the version; every statement that changes a table the
  rules come from (`RULE_TABLES`) moves it to a new value of `booking_rules_versions`, in the
  same transaction, so a version is never seen before the rules it stands for, and never
  repeats (a rolled-back change only skips a value);
- `plexcare_book_appointment` takes the version the app's rules were read at and answers -1,
  writing nothing, when it is no longer the current one; the app then reads the rules again.
  The check sees every change committed before the write began, as the read did before;
- it now also finds the patient itself: a patient with any missed appointment is left to the
  full booking, which judges the pause after missed appointments (the quick path judged it
  from the read), and so is a patient holding a slot, whose hold the full booking turns into
  the appointment (the quick write used to try, and fail on the hold's reservation, every
  time a patient booked what they held); an account that is not a patient's is refused there
  as before;
- the appointment's id comes from its column's sequence, in the write; the answer the app
  sends arrives with id 0 in its first field, and the stored answer has the real id put there
  (the app does the same with the id the function returns);
- after the patient's turn, the limit on open appointments is counted only as far as the
  limit (whether a patient has six upcoming appointments needs six rows, not all of them),
  and everything the booking writes is one statement: migration 0011's function ran eight
  after the turn, each with its executor start and snapshot. The parts of one statement cannot
  see each other's rows, so each takes what it needs from the part before it (`RETURNING`);
  the foreign keys are checked once all of them have run, and a refusal by any constraint
  undoes the whole.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE_TABLES = (
    "weekly_hours",
    "weekly_breaks",
    "availability_exceptions",
    "clinic_days",
    "appointment_types",
    "clinician_appointment_types",
    "appointment_type_resource_kinds",
    "clinicians",
)
"""Every table `quick_booking`'s rules are read from."""

VERSION_CHANGES = """
CREATE FUNCTION plexcare_booking_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO booking_rules_version (id, version)
    VALUES (1, nextval('booking_rules_versions'))
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END
$$
"""

FUNCTION = """
CREATE FUNCTION plexcare_book_appointment(
    p_rules_version bigint, p_uid text, p_patient integer, p_clinician integer, p_type integer,
    p_starts timestamptz, p_ends timestamptz, p_blocked_until timestamptz, p_now timestamptz,
    p_open_limit integer, p_client_ip text, p_reminder_due timestamptz, p_channels text[],
    p_key text, p_fingerprint text, p_answer text
) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    booked integer;
BEGIN
    IF coalesce((SELECT version FROM booking_rules_version WHERE id = 1), 0) <> p_rules_version
    THEN
        RETURN -1;
    END IF;
    PERFORM FROM users WHERE id = p_patient AND role = 'patient' FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    IF EXISTS (SELECT FROM appointments WHERE patient_id = p_patient AND strike)
       OR EXISTS (SELECT FROM slot_holds WHERE patient_id = p_patient)
    THEN
        RETURN 0;
    END IF;
    IF (SELECT count(*) FROM (SELECT FROM appointments
                              WHERE patient_id = p_patient AND status = 'booked'
                                AND starts_at > p_now
                              LIMIT p_open_limit) AS upcoming) >= p_open_limit
    THEN
        RETURN 0;
    END IF;
    WITH reservation AS (
        INSERT INTO clinician_reservations (clinician_id, starts_at, blocked_until)
        VALUES (p_clinician, p_starts, p_blocked_until)
        RETURNING id
    ), appointment AS (
        INSERT INTO appointments (uid, patient_id, clinician_id, appointment_type_id,
                                  starts_at, ends_at, blocked_until, status, sequence,
                                  created_at, updated_at, booked_by_user_id, strike,
                                  reservation_id)
        SELECT p_uid, p_patient, p_clinician, p_type, p_starts, p_ends, p_blocked_until,
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
    ), answer AS (
        INSERT INTO idempotency_records (user_id, key, fingerprint, status_code, response_body,
                                         created_at)
        SELECT p_patient, p_key, p_fingerprint, 201,
               '{"id":' || appointment.id || substr(p_answer, strpos(p_answer, ',')), p_now
        FROM appointment
        WHERE p_key IS NOT NULL
    )
    SELECT id INTO booked FROM appointment;
    RETURN booked;
END
$$
"""

OLD_SIGNATURE = (
    "plexcare_book_appointment(integer, text, integer, integer, integer, timestamptz, "
    "timestamptz, timestamptz, timestamptz, integer, text, timestamptz, text[], text, text, text)"
)
NEW_SIGNATURE = (
    "plexcare_book_appointment(bigint, text, integer, integer, integer, timestamptz, "
    "timestamptz, timestamptz, timestamptz, integer, text, timestamptz, text[], text, text, text)"
)


def _function_of_0011() -> str:
    """Migration 0011's function, read from its file, for stepping down."""
    path = next(Path(__file__).parent.glob("*_0011_*.py"))
    spec = importlib.util.spec_from_file_location("revision_0011", path)
    assert spec is not None and spec.loader is not None
    revision_0011 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision_0011)
    function: str = revision_0011.FUNCTION
    return function


def upgrade() -> None:
    op.create_table(
        "booking_rules_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_booking_rules_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_rules_version")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE booking_rules_versions")
    op.execute(
        "INSERT INTO booking_rules_version (id, version) "
        "VALUES (1, nextval('booking_rules_versions'))"
    )
    op.execute(VERSION_CHANGES)
    for table in RULE_TABLES:
        op.execute(
            f"CREATE TRIGGER booking_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION plexcare_booking_rules_changed()"
        )
    op.execute(f"DROP FUNCTION {OLD_SIGNATURE}")
    op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {NEW_SIGNATURE}")
        op.execute(_function_of_0011())
        for table in RULE_TABLES:
            op.execute(f"DROP TRIGGER booking_rules_changed ON {table}")
        op.execute("DROP FUNCTION plexcare_booking_rules_changed()")
        op.execute("DROP SEQUENCE booking_rules_versions")
    op.drop_table("booking_rules_version")
