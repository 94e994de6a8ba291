"""Queries for the package catalogue and package bookings."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.packages.models import (
    HealthPackageItemRow,
    HealthPackageRow,
    PackageBooking,
    PackageBookingAppointment,
)
from plexcare.scheduling.models import Appointment


def packages(*, session: Session) -> Sequence[HealthPackageRow]:
    return session.scalars(
        select(HealthPackageRow)
        .where(HealthPackageRow.active.is_(True))
        .order_by(HealthPackageRow.id)
    ).all()


def package_by_code(*, session: Session, code: str) -> HealthPackageRow | None:
    return session.scalar(select(HealthPackageRow).where(HealthPackageRow.code == code))


def package_by_id(*, session: Session, package_id: int) -> HealthPackageRow | None:
    return session.get(HealthPackageRow, package_id)


def items_of(*, session: Session, package_id: int) -> Sequence[HealthPackageItemRow]:
    return session.scalars(
        select(HealthPackageItemRow)
        .where(HealthPackageItemRow.package_id == package_id)
        .order_by(HealthPackageItemRow.position)
    ).all()


def bookings(
    *, session: Session, patient_id: int | None, limit: int, offset: int
) -> tuple[Sequence[PackageBooking], int]:
    query = select(PackageBooking)
    if patient_id is not None:
        query = query.where(PackageBooking.patient_id == patient_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(PackageBooking.created_at.desc(), PackageBooking.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def appointments_by_booking(
    *, session: Session, booking_ids: Sequence[int]
) -> dict[int, list[Appointment]]:
    """Each booking's appointments in package order, for a whole page in one query."""
    found: dict[int, list[Appointment]] = {}
    if not booking_ids:
        return found
    rows = session.execute(
        select(PackageBookingAppointment.package_booking_id, Appointment)
        .select_from(PackageBookingAppointment)
        .join(Appointment, PackageBookingAppointment.appointment_id == Appointment.id)
        .where(PackageBookingAppointment.package_booking_id.in_(booking_ids))
        .order_by(PackageBookingAppointment.package_booking_id, PackageBookingAppointment.position)
    ).all()
    for booking_id, appointment in rows:
        found.setdefault(booking_id, []).append(appointment)
    return found


def booking_by_id(*, session: Session, booking_id: int) -> PackageBooking | None:
    return session.get(PackageBooking, booking_id)
