"""Slot search: free slots by specialty, clinician, appointment type and date range, and the
earliest available one. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.clinic import repository as clinic_repository
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import InvalidInput, NotFound
from plexcare.scheduling import availability, closures
from plexcare.scheduling import repository as scheduling_repository

MAX_SEARCH_DAYS = 62


@dataclass(frozen=True)
class FoundSlot:
    clinician: Clinician
    appointment_type: AppointmentType
    slot: availability.Slot


def _pairs(
    *,
    session: Session,
    specialty: str | None,
    clinician_id: int | None,
    appointment_type_id: int | None,
) -> list[tuple[Clinician, AppointmentType]]:
    if clinician_id is not None:
        one = clinic_repository.clinician(session=session, clinician_id=clinician_id)
        if one is None:
            raise NotFound("no such clinician", field="clinician_id")
        clinicians = [one]
    else:
        query = select(Clinician).order_by(Clinician.id)
        if specialty is not None:
            query = query.where(Clinician.specialty == specialty)
        clinicians = list(session.scalars(query))
    types = {kind.id: kind for kind in clinic_repository.appointment_types(session=session)}
    if appointment_type_id is not None and appointment_type_id not in types:
        raise NotFound("no such appointment type", field="appointment_type_id")
    pairs = []
    for clinician in clinicians:
        if specialty is not None and clinician.specialty != specialty:
            continue
        for type_id in sorted(
            clinic_repository.offered_type_ids(session=session, clinician_id=clinician.id)
        ):
            if appointment_type_id is None or type_id == appointment_type_id:
                pairs.append((clinician, types[type_id]))
    return pairs


def _slots_for(
    *,
    session: Session,
    clinician: Clinician,
    kind: AppointmentType,
    first_day: date | None,
    last_day: date | None,
    now: datetime,
    zone: str,
    earliest_only: bool,
) -> list[availability.Slot]:
    schedule = clinic.schedule_for(session=session, clinician=clinician, time_zone=zone)
    domain_type = clinic.domain_appointment_type(session=session, appointment_type=kind)
    window = clinic.booking_window(kind)
    local_today = now.astimezone(schedule.zone).date()
    schedule = closures.with_closures(
        session=session,
        schedule=schedule,
        first_day=(first_day or local_today) - timedelta(days=1),
        last_day=(last_day or (now + window.horizon).astimezone(schedule.zone).date())
        + timedelta(days=1),
    )
    start = (
        datetime.combine(first_day, time(0), tzinfo=UTC) - timedelta(days=1) if first_day else now
    )
    end = (
        datetime.combine(last_day, time(0), tzinfo=UTC) + timedelta(days=2)
        if last_day
        else now + window.horizon + timedelta(days=1)
    )
    busy = scheduling_repository.clinician_busy(
        session=session, clinician_id=clinician.id, start=start, end=end, now=now
    )
    resource_busy = scheduling_repository.resource_busy(
        session=session,
        resource_ids=[int(rid) for need in domain_type.resource_needs for rid in need.candidates],
        start=start,
        end=end,
    )
    if earliest_only:
        found = availability.earliest_slot(
            schedule=schedule,
            appointment_type=domain_type,
            now=now,
            window=window,
            clinician_busy=busy,
            resource_busy=resource_busy,
        )
        return [found] if found else []
    assert first_day is not None and last_day is not None
    return list(
        availability.find_slots(
            schedule=schedule,
            appointment_type=domain_type,
            first_day=first_day,
            last_day=last_day,
            now=now,
            window=window,
            clinician_busy=busy,
            resource_busy=resource_busy,
        )
    )


def search(
    *,
    session: Session,
    now: datetime,
    first_day: date,
    last_day: date,
    specialty: str | None = None,
    clinician_id: int | None = None,
    appointment_type_id: int | None = None,
    limit: int = 50,
) -> list[FoundSlot]:
    """Free slots on local dates first_day..last_day, earliest first."""
    if last_day < first_day:
        raise InvalidInput("must not be before from_date", field="to_date")
    if (last_day - first_day).days > MAX_SEARCH_DAYS:
        raise InvalidInput(f"search at most {MAX_SEARCH_DAYS} days at once", field="to_date")
    zone = get_settings().clinic_timezone
    found: list[FoundSlot] = []
    for clinician, kind in _pairs(
        session=session,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
    ):
        for slot in _slots_for(
            session=session,
            clinician=clinician,
            kind=kind,
            first_day=first_day,
            last_day=last_day,
            now=now,
            zone=zone,
            earliest_only=False,
        ):
            found.append(FoundSlot(clinician=clinician, appointment_type=kind, slot=slot))
    found.sort(key=lambda item: (item.slot.start, item.clinician.id, item.appointment_type.id))
    return found[:limit]


def earliest(
    *,
    session: Session,
    now: datetime,
    specialty: str | None = None,
    clinician_id: int | None = None,
    appointment_type_id: int | None = None,
) -> FoundSlot | None:
    """The first free slot anywhere in the booking window ("earliest available")."""
    zone = get_settings().clinic_timezone
    best: FoundSlot | None = None
    for clinician, kind in _pairs(
        session=session,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
    ):
        for slot in _slots_for(
            session=session,
            clinician=clinician,
            kind=kind,
            first_day=None,
            last_day=None,
            now=now,
            zone=zone,
            earliest_only=True,
        ):
            if best is None or slot.start < best.slot.start:
                best = FoundSlot(clinician=clinician, appointment_type=kind, slot=slot)
    return best
