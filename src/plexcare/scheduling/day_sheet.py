"""The front desk's day sheet: every appointment of one clinic day, by clinician and by room,
with the patient's name and contact. Read-only; every appointment shown is an audited read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.clinic.models import AppointmentType, Clinician, Resource
from plexcare.scheduling import changes
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.models import Appointment, AppointmentResource


@dataclass(frozen=True)
class SheetEntry:
    """One appointment of the day with what the desk needs to greet the patient."""

    appointment: Appointment
    patient_name: str
    patient_phone: str
    clinician: str
    visit: str
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class DaySheet:
    day: date
    entries: tuple[SheetEntry, ...]
    clinicians: tuple[Clinician, ...]
    rooms: tuple[Resource, ...]


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local day runs between (23 or 25 hours on a clock-change day)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def _names(session: Session, ids: Sequence[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}


def _rooms(session: Session, appointment_ids: Sequence[int]) -> dict[int, list[str]]:
    if not appointment_ids:
        return {}
    rows = session.execute(
        select(AppointmentResource.appointment_id, Resource.name)
        .join(Resource, Resource.id == AppointmentResource.resource_id)
        .where(AppointmentResource.appointment_id.in_(list(appointment_ids)))
        .order_by(Resource.name)
    ).all()
    found: dict[int, list[str]] = {}
    for appointment_id, name in rows:
        found.setdefault(appointment_id, []).append(name)
    return found


def day_sheet(
    *, session: Session, actor: Actor, day: date, zone: ZoneInfo, now: datetime
) -> DaySheet:
    """Every appointment starting on the local `day` (cancelled and moved ones included, so
    the desk can answer "I was booked at ten"), earliest first, each read audited."""
    actor.require_role(Role.clinician, Role.front_desk, Role.admin)
    start, end = local_day_bounds(day, zone)
    rows, _total = scheduling_repository.page_of_appointments(
        session=session,
        query=scheduling_repository.appointments_query(
            patient_id=None,
            clinician_id=None,
            status=None,
            starts_from=start,
            starts_before=end,
        ),
        limit=2000,
        offset=0,
    )
    people = _names(session, sorted({row.patient_id for row in rows}))
    clinicians = {c.id: c for c in session.scalars(select(Clinician).order_by(Clinician.id))}
    kinds = {k.id: k for k in session.scalars(select(AppointmentType))}
    rooms = _rooms(session, [row.id for row in rows])
    entries = []
    for row in rows:
        changes.audit_read(session=session, actor=actor, appointment=row, now=now)
        person = people.get(row.patient_id)
        entries.append(
            SheetEntry(
                appointment=row,
                patient_name=person.full_name if person else "",
                patient_phone=(person.phone or "") if person else "",
                clinician=clinicians[row.clinician_id].full_name
                if row.clinician_id in clinicians
                else "",
                visit=kinds[row.appointment_type_id].name
                if row.appointment_type_id in kinds
                else "",
                rooms=tuple(rooms.get(row.id, ())),
            )
        )
    session.flush()
    return DaySheet(
        day=day,
        entries=tuple(entries),
        clinicians=tuple(clinicians.values()),
        rooms=tuple(session.scalars(select(Resource).order_by(Resource.name))),
    )
