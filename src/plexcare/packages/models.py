"""The health-package catalogue and package bookings (ORM only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class HealthPackageRow(Base):
    """A bundle of appointments sold together; prices in minor units so nothing rounds."""

    __tablename__ = "health_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    price_minor_units: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HealthPackageItemRow(Base):
    """One included appointment and how it must sit after the one before it."""

    __tablename__ = "health_package_items"
    __table_args__ = (
        UniqueConstraint("package_id", "position", name="uq_health_package_items_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("health_packages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    appointment_type_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    min_gap_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_days_after_previous: Mapped[int | None] = mapped_column(Integer, default=None)


class PackageBooking(Base):
    """A package booked for a patient; its appointments are booked in the same transaction."""

    __tablename__ = "package_bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("health_packages.id", ondelete="RESTRICT"), index=True
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    booked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    price_minor_units: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PackageBookingAppointment(Base):
    __tablename__ = "package_booking_appointments"

    package_booking_id: Mapped[int] = mapped_column(
        ForeignKey("package_bookings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="RESTRICT"), unique=True
    )
