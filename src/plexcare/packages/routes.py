"""Health-package endpoints: the public catalogue and itinerary, and booking a package whole."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.config import get_settings
from plexcare.packages import repository, service
from plexcare.packages.models import HealthPackageRow, PackageBooking
from plexcare.packages.schemas import (
    ItineraryOut,
    PackageBookingOut,
    PackageBookingPage,
    PackageBookingRequest,
    PackageItemOut,
    PackageOut,
)
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.routes import rolled_back_if_refused
from plexcare.scheduling.schemas import AppointmentOut, SlotOut
from plexcare.web.dependencies import DbSession, Now, Paging, SignedIn, require_roles

router = APIRouter(prefix="/api/v1", tags=["health packages"])
Booker = Annotated[Actor, Depends(require_roles(Role.patient, Role.front_desk, Role.admin))]


def _package_out(row: HealthPackageRow, session: DbSession) -> PackageOut:
    return PackageOut(
        code=row.code,
        name=row.name,
        description=row.description,
        price_minor_units=row.price_minor_units,
        currency=row.currency,
        items=[
            PackageItemOut(
                position=item.position,
                appointment_type=item.appointment_type_code,
                name=item.name,
                duration_minutes=item.duration_minutes,
                min_gap_minutes=item.min_gap_minutes,
                max_days_after_previous=item.max_days_after_previous,
            )
            for item in repository.items_of(session=session, package_id=row.id)
        ],
    )


def _booking_out(
    row: PackageBooking, package: HealthPackageRow, appointments: list[Appointment]
) -> PackageBookingOut:
    zone = get_settings().clinic_timezone
    return PackageBookingOut(
        id=row.id,
        package=package.code,
        patient_id=row.patient_id,
        price_minor_units=row.price_minor_units,
        currency=row.currency,
        created_at=row.created_at,
        appointments=[AppointmentOut.of(item, zone) for item in appointments],
    )


@router.get("/packages", response_model=list[PackageOut])
def list_packages(session: DbSession) -> list[PackageOut]:
    """Public: the health packages, what each includes and its price."""
    return [_package_out(row, session) for row in repository.packages(session=session)]


@router.get("/packages/{code}/itinerary", response_model=ItineraryOut)
def propose_itinerary(
    code: str,
    session: DbSession,
    now: Now,
    from_date: Annotated[date | None, Query(description="first local date")] = None,
) -> ItineraryOut:
    """Public: the earliest slots that fit every appointment of the package."""
    _row, chosen = service.propose_itinerary(
        session=session, code=code, now=now, first_day=from_date
    )
    return ItineraryOut(
        package=code,
        slots=[
            SlotOut(
                clinician_id=slot.found.clinician.id,
                clinician_name=slot.found.clinician.full_name,
                specialty=slot.found.clinician.specialty,
                appointment_type_id=slot.found.appointment_type.id,
                appointment_type=slot.found.appointment_type.code,
                starts_at=slot.found.slot.start,
                ends_at=slot.found.slot.end,
                local_start=slot.found.slot.local_start,
                time_zone=slot.found.slot.time_zone,
            )
            for slot in chosen
        ],
    )


@router.post(
    "/packages/{code}/bookings",
    response_model=PackageBookingOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "a slot was taken: nothing was booked"}},
)
def book_package(
    code: str, body: PackageBookingRequest, actor: Booker, session: DbSession, now: Now
) -> PackageBookingOut:
    """Book every appointment of the package in one transaction: all or none."""
    chosen = (
        [
            service.Chosen(
                clinician_id=item.clinician_id,
                appointment_type_id=item.appointment_type_id,
                starts_at=item.starts_at,
            )
            for item in body.items
        ]
        if body.items is not None
        else None
    )
    with rolled_back_if_refused(session):
        record, appointments = service.book_package(
            session=session,
            actor=actor,
            code=code,
            chosen=chosen,
            now=now,
            patient_id=body.patient_id,
        )
    package = repository.package_by_id(session=session, package_id=record.package_id)
    assert package is not None
    answer = _booking_out(record, package, appointments)
    session.commit()
    return answer


@router.get("/package-bookings", response_model=PackageBookingPage)
def list_package_bookings(
    actor: SignedIn,
    session: DbSession,
    now: Now,
    page: Paging,
    patient_id: Annotated[int | None, Query()] = None,
) -> PackageBookingPage:
    """Patients see their own package bookings; staff see the clinic's."""
    found, total = service.list_bookings(
        session=session,
        actor=actor,
        patient_id=patient_id,
        limit=page.limit,
        offset=page.offset,
        now=now,
    )
    answer = PackageBookingPage(
        items=[_booking_out(row, package, items) for row, package, items in found],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
    session.commit()
    return answer
