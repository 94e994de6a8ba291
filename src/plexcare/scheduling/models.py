"""Appointments, holds, the clinician time they reserve, idempotency records and the waitlist
(ORM only).

Double booking is refused by the database, not only by Python. An active appointment and a hold
each occupy one `ClinicianReservation`, and reservations never overlap: one rule for both, so a
hold and a booking of the same time cannot both succeed. On PostgreSQL that is an exclusion
constraint over `[starts_at, blocked_until)` per clinician (migration 0004); on SQLite, where
every transaction is `BEGIN IMMEDIATE` (serialized), a unique start per clinician backs up the
overlap check made inside that same transaction. Appointments keep their own older guards too
(per clinician and per resource), and on PostgreSQL one patient's active appointments cannot
overlap either (`ex_appointments_patient_overlap`; on SQLite a trigger of that name, migration
0007).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime

ACTIVE_STATUSES = ("booked", "completed", "no_show")
"""Appointments that occupy their clinician and resources; cancelled and rescheduled ones free
them."""

ACTIVE_PREDICATE = text("status IN ('booked', 'completed', 'no_show')")


class ClinicianReservation(Base):
    """A stretch of a clinician's time taken by one active appointment or one hold.

    The owner points here (`Appointment.reservation_id`, `SlotHold.reservation_id`), not the
    other way round, so a reservation can pass from owner to owner without being touched: a
    held slot becomes the appointment, a cancelled appointment's slot becomes a waitlist offer.
    Rewriting or re-inserting the row instead would let a concurrent booking of the same time
    slip in between, or deadlock with it. Deleting a reservation frees the time (and deletes the
    hold that owns it); an appointment must let go of it first.
    """

    __tablename__ = "clinician_reservations"
    __table_args__ = (
        UniqueConstraint("clinician_id", "starts_at", name="uq_clinician_reservations_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appointments_active_clinician_start",
            "clinician_id",
            "starts_at",
            unique=True,
            sqlite_where=ACTIVE_PREDICATE,
            postgresql_where=ACTIVE_PREDICATE,
        ),
        Index(
            "ix_appointments_patient_strikes",
            "patient_id",
            sqlite_where=text("strike"),
            postgresql_where=text("strike"),
        ),
        # SQLite cannot add a CHECK to an existing table; migration 0004 gives it triggers.
        CheckConstraint(
            "status NOT IN ('booked', 'completed', 'no_show') OR reservation_id IS NOT NULL",
            name="reserved_while_active",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), index=True)
    """Calendar identity: kept across a reschedule so the patient's calendar moves the event."""
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinicians.id", ondelete="RESTRICT"), index=True
    )
    appointment_type_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_types.id", ondelete="RESTRICT")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    """End of the appointment plus the type's buffer: the clinician is busy until then."""
    status: Mapped[str] = mapped_column(String(20), default="booked")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    """iCalendar SEQUENCE: raised on every change so calendars replace the old invitation."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    rescheduled_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), default=None
    )
    booked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    strike: Mapped[bool] = mapped_column(Boolean, default=False)
    """A no-show or a late cancellation that counts toward pausing online booking."""
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinician_reservations.id"),
        index=True,
        unique=True,
        default=None,
    )
    """The clinician time this appointment occupies while active; none once it is freed. The
    reservation cannot be deleted while an appointment points at it."""
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When the front desk saw the patient arrive; the status stays booked until the visit is
    marked attended or missed, so arrival never frees or takes time."""


class AppointmentResource(Base):
    """A room or machine reserved for an active appointment; deleted when it is freed."""

    __tablename__ = "appointment_resources"
    __table_args__ = (
        UniqueConstraint("resource_id", "starts_at", name="uq_appointment_resources_start"),
    )

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="RESTRICT"), primary_key=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())


class SlotHold(Base):
    """A slot kept for one patient for a few minutes while they finish booking."""

    __tablename__ = "slot_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("clinician_reservations.id", ondelete="CASCADE"), index=True, unique=True
    )
    """The clinician time held; the hold is deleted with it."""
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"))
    appointment_type_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_types.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    waitlist_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("waitlist_entries.id", ondelete="SET NULL"), default=None
    )


class IdempotencyRecord(Base):
    """The answer given to a request with an `Idempotency-Key`, replayed on a retry."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WaitlistEntry(Base):
    """A patient waiting for an earlier slot with a specialty or one clinician."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    specialty: Mapped[str] = mapped_column(String(40))
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), default=None
    )
    appointment_type_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_types.id", ondelete="CASCADE")
    )
    urgency: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="waiting", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClinicDay(Base):
    """A day the clinic departs from its calendar: closed (a staff away-day, a burst pipe) or,
    on a public holiday that is closed by default, opened after all.

    Only departures are stored; a public holiday with no row stays closed, so next year's
    holidays close without anyone entering them. A closed day offers no slot to anyone.
    """

    __tablename__ = "clinic_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(200), default="")
    changed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BookingRulesVersion(Base):
    """One row: the version of the rules a booking is checked against (hours, breaks, leave,
    closures, appointment types). On PostgreSQL every change to them moves it (migration 0013),
    and the quick booking's write refuses rules remembered at another version."""

    __tablename__ = "booking_rules_version"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
