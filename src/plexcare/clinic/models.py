"""Clinicians, resources, appointment types and stored availability (ORM only)."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import Column, Date, ForeignKey, Integer, SmallInteger, String, Table, Time
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base

clinician_appointment_types = Table(
    "clinician_appointment_types",
    Base.metadata,
    Column("clinician_id", ForeignKey("clinicians.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "appointment_type_id",
        ForeignKey("appointment_types.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)
"""Which appointment types each clinician offers."""

appointment_type_resource_kinds = Table(
    "appointment_type_resource_kinds",
    Base.metadata,
    Column(
        "appointment_type_id",
        ForeignKey("appointment_types.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("resource_kind", String(40), primary_key=True),
)
"""Kinds of room or machine an appointment type needs besides the clinician (an EMG/NCS study
needs an EMG room and an EMG machine); any free resource of that kind will do."""


class Clinician(Base):
    __tablename__ = "clinicians"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, default=None
    )
    full_name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(40), index=True)
    biography: Mapped[str] = mapped_column(String(2000), default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    """The languages the clinician consults in, as patients read them ("English, Yoruba")."""
    sees: Mapped[str] = mapped_column(String(1000), default="")
    """What the clinician sees patients for, in plain words, for the specialists page."""


class Resource(Base):
    """A room or machine that two appointments cannot use at once."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)


class AppointmentType(Base):
    __tablename__ = "appointment_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    minimum_notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    horizon_days: Mapped[int] = mapped_column(Integer, default=90)


class WeeklyHours(Base):
    """A recurring working window in the clinic's wall-clock time (weekday 0 = Monday)."""

    __tablename__ = "weekly_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class WeeklyBreak(Base):
    """A recurring pause inside working hours (lunch, ward round)."""

    __tablename__ = "weekly_breaks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class AvailabilityException(Base):
    """Leave, a holiday, or an extra session, on local dates (whole days when no times)."""

    __tablename__ = "availability_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    starts: Mapped[time | None] = mapped_column(Time, default=None)
    ends: Mapped[time | None] = mapped_column(Time, default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
