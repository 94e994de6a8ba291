"""Which slot a booking or hold may take: the target (clinician, appointment type, the rooms
and machines it needs) and the opening (the free slot at the requested start, the booking
patient's own holds over it, and lapsed holds still reserving part of it). Reads only.

This is the precise answer a request gets before it writes (422 for a time the rules do not
offer, 409 for one already taken); the database decides between requests that race past it
(`reservations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from plexcare.clinic import repository as clinic_repository
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import Conflict, InvalidInput, NotFound
from plexcare.scheduling import availability, closures, reservations
from plexcare.scheduling import repository as scheduling_repository

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class BookingTarget:
    clinician: Clinician
    appointment_type: AppointmentType
    kind: availability.AppointmentType
    """The type as availability sees it, with its resource needs."""


def _clinic_zone() -> str:
    return get_settings().clinic_timezone


def load_target(*, session: Session, clinician_id: int, appointment_type_id: int) -> BookingTarget:
    """The clinician and appointment type to book, checked, with the type's resource needs:
    one query (`scheduling_repository.booking_target`); the failure paths ask again to name
    what is missing."""
    rows = scheduling_repository.booking_target(
        session=session, clinician_id=clinician_id, appointment_type_id=appointment_type_id
    )
    if not rows:
        if clinic_repository.clinician(session=session, clinician_id=clinician_id) is None:
            raise NotFound("no such clinician", field="clinician_id")
        raise NotFound("no such appointment type", field="appointment_type_id")
    clinician_row, kind, offered = rows[0][0], rows[0][1], rows[0][2]
    if not offered:
        raise InvalidInput(
            "this clinician does not offer this appointment type", field="appointment_type_id"
        )
    needs = [(resource_kind, rid) for *_, resource_kind, rid in rows if resource_kind is not None]
    return BookingTarget(
        clinician=clinician_row,
        appointment_type=kind,
        kind=clinic.appointment_type_needing(kind, needs),
    )


@dataclass(frozen=True)
class Opening:
    """A free slot, the booking patient's own holds that overlap it, and lapsed holds that
    still reserve part of it."""

    slot: availability.Slot
    own_holds: list[scheduling_repository.OwnHold]
    lapsed_holds: list[scheduling_repository.OwnHold]


def find_opening(
    *,
    session: Session,
    target: BookingTarget,
    starts_at: datetime,
    now: datetime,
    patient_id: int | None,
) -> Opening:
    """The slot starting at `starts_at` if the rules offer it and it is free; else 422 or 409.

    Only what decides that one slot is read: the schedule of its local day, and busy time a
    day either side of it.
    """
    zone = _clinic_zone()
    day = starts_at.astimezone(ZoneInfo(zone)).date()
    schedule = closures.with_closures(
        session=session,
        schedule=clinic.schedule_for_day(
            session=session, clinician_id=target.clinician.id, time_zone=zone, day=day
        ),
        first_day=day,
        last_day=day,
    )
    window = clinic.booking_window(target.appointment_type)
    around = (starts_at - _DAY, starts_at + _DAY)
    calendar = scheduling_repository.clinician_calendar(
        session=session,
        clinician_id=target.clinician.id,
        start=around[0],
        end=around[1],
        now=now,
        patient_id=patient_id,
    )
    resource_ids = [int(rid) for need in target.kind.resource_needs for rid in need.candidates]
    slot = availability.slot_starting_at(
        schedule=schedule,
        appointment_type=target.kind,
        start=starts_at,
        now=now,
        window=window,
        clinician_busy=calendar.busy,
        resource_busy=scheduling_repository.resource_busy(
            session=session, resource_ids=resource_ids, start=around[0], end=around[1]
        ),
    )
    if slot is not None:
        return Opening(
            slot=slot,
            own_holds=[own for own in calendar.own_holds if _overlaps(own, slot)],
            lapsed_holds=[lapsed for lapsed in calendar.lapsed_holds if _overlaps(lapsed, slot)],
        )
    if day in schedule.closed_days:
        raise InvalidInput("the clinic is closed on this day", field="starts_at")
    offered = availability.slot_starting_at(
        schedule=schedule, appointment_type=target.kind, start=starts_at, now=now, window=window
    )
    if offered is None:
        raise InvalidInput(
            "no slot of this type starts at this time (outside the clinician's hours, "
            "the booking window, or not on the slot grid)",
            field="starts_at",
        )
    raise Conflict(reservations.SLOT_TAKEN, field="starts_at")


def _overlaps(hold: scheduling_repository.OwnHold, slot: availability.Slot) -> bool:
    return hold.starts_at < slot.occupied_until and hold.blocked_until > slot.start
