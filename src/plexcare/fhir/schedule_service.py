"""The `/fhir` use-cases over the clinic's time: schedules, slots (computed from the
clinicians' hours and bookings), appointments, and booking through the scheduling service
(`POST Appointment`, `$find`, `$hold`, `$book`). Never commits; every read of an appointment
is audited and patients see only their own, as in the JSON API.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from plexcare.fhir import scheduling_resources as mapping
from plexcare.fhir.booking_request import AppointmentAsked
from plexcare.fhir.search_params import TimeRange
from plexcare.scheduling import changes, search
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import ACTIVE_STATUSES, Appointment, SlotHold

SLOT_SEARCH_DAYS = 14
"""How far a slot search without an end looks ahead."""


def clinician_or_404(session: Session, clinician_id: int, field: str = "id") -> Clinician:
    found = clinic_repository.clinician(session=session, clinician_id=clinician_id)
    if found is None:
        raise NotFound("no such practitioner", field=field)
    return found


def _types(session: Session) -> dict[int, AppointmentType]:
    return {kind.id: kind for kind in clinic_repository.appointment_types(session=session)}


def schedule(*, session: Session, clinician: Clinician) -> dict[str, Any]:
    types = _types(session)
    offered = sorted(clinic_repository.offered_type_ids(session=session, clinician_id=clinician.id))
    return mapping.schedule_resource(
        clinician_id=clinician.id,
        name=clinician.full_name,
        specialty=clinician.specialty,
        offered=[(types[i].code, types[i].name) for i in offered if i in types],
    )


def read_schedule(*, session: Session, schedule_id: int) -> dict[str, Any]:
    return schedule(session=session, clinician=clinician_or_404(session, schedule_id))


def search_schedules(*, session: Session, clinician_id: int | None) -> list[dict[str, Any]]:
    if clinician_id is not None:
        return [
            schedule(session=session, clinician=clinician_or_404(session, clinician_id, "actor"))
        ]
    return [
        schedule(session=session, clinician=row)
        for row in session.scalars(select(Clinician).order_by(Clinician.id))
    ]


@dataclass(frozen=True)
class SlotQuery:
    clinician_id: int | None
    appointment_type_id: int | None
    specialty: str | None
    window: TimeRange
    statuses: frozenset[str]


def _local_days(window: TimeRange, now: datetime) -> tuple[date, date]:
    local = ZoneInfo(get_settings().clinic_timezone)
    first = max(window.starts_from or now, now).astimezone(local).date()
    if window.starts_before is not None:
        last = (window.starts_before - timedelta(microseconds=1)).astimezone(local).date()
    else:
        last = first + timedelta(days=SLOT_SEARCH_DAYS - 1)
    return first, last


def free_slots(
    *, session: Session, query: SlotQuery, now: datetime, limit: int
) -> list[dict[str, Any]]:
    first, last = _local_days(query.window, now)
    if last < first:
        return []
    found = search.search(
        session=session,
        now=now,
        first_day=first,
        last_day=last,
        specialty=query.specialty,
        clinician_id=query.clinician_id,
        appointment_type_id=query.appointment_type_id,
        limit=10_000,
    )
    slots = []
    for item in found:
        if not query.window.contains(item.slot.start):
            continue
        slots.append(
            mapping.slot_resource(
                key=mapping.SlotKey(item.clinician.id, item.appointment_type.id, item.slot.start),
                ends_at=item.slot.end,
                status="free",
                type_code=item.appointment_type.code,
                type_name=item.appointment_type.name,
            )
        )
        if len(slots) >= limit:
            break
    return slots


def busy_slots(*, session: Session, query: SlotQuery, limit: int) -> list[dict[str, Any]]:
    """Booked time as busy slots: when, with whom and for what, never for whom."""
    statement = select(Appointment).where(Appointment.status.in_(ACTIVE_STATUSES))
    if query.clinician_id is not None:
        statement = statement.where(Appointment.clinician_id == query.clinician_id)
    if query.appointment_type_id is not None:
        statement = statement.where(Appointment.appointment_type_id == query.appointment_type_id)
    if query.window.starts_from is not None:
        statement = statement.where(Appointment.starts_at >= query.window.starts_from)
    if query.window.starts_before is not None:
        statement = statement.where(Appointment.starts_at < query.window.starts_before)
    types = _types(session)
    rows = session.scalars(statement.order_by(Appointment.starts_at, Appointment.id).limit(limit))
    return [
        mapping.slot_resource(
            key=mapping.SlotKey(row.clinician_id, row.appointment_type_id, row.starts_at),
            ends_at=row.ends_at,
            status="busy",
            type_code=types[row.appointment_type_id].code,
            type_name=types[row.appointment_type_id].name,
        )
        for row in rows
    ]


def search_slots(
    *, session: Session, query: SlotQuery, now: datetime, limit: int
) -> list[dict[str, Any]]:
    unknown = query.statuses - {"free", "busy"}
    if unknown:
        raise InvalidInput("search slots by status free or busy", field="status")
    slots: list[dict[str, Any]] = []
    if "free" in query.statuses:
        slots += free_slots(session=session, query=query, now=now, limit=limit)
    if "busy" in query.statuses:
        slots += busy_slots(session=session, query=query, limit=limit)
    slots.sort(key=lambda slot: (slot["start"], slot["id"]))
    return slots[:limit]


def read_slot(*, session: Session, slot_id: str, now: datetime) -> dict[str, Any]:
    key = mapping.parse_slot_id(slot_id)
    clinician = clinician_or_404(session, key.clinician_id)
    kind = _types(session).get(key.appointment_type_id)
    if kind is None:
        raise NotFound("no such slot")
    window = TimeRange(key.starts_at, key.starts_at + timedelta(minutes=1))
    query = SlotQuery(clinician.id, kind.id, None, window, frozenset({"free", "busy"}))
    found = search_slots(session=session, query=query, now=now, limit=5)
    for slot in found:
        if slot["id"] == key.id:
            return slot
    raise NotFound("no such slot: it is not in the clinician's bookable hours")


def appointment_out(session: Session, row: Appointment) -> dict[str, Any]:
    clinician = clinician_or_404(session, row.clinician_id)
    kind = _types(session)[row.appointment_type_id]
    return mapping.appointment_resource(
        id=str(row.id),
        status=mapping.STATUS.get(row.status, "booked"),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        patient_id=row.patient_id,
        clinician_id=row.clinician_id,
        clinician_name=clinician.full_name,
        appointment_type_id=row.appointment_type_id,
        type_code=kind.code,
        type_name=kind.name,
        created=row.created_at,
        cancel_reason=row.cancel_reason,
    )


def hold_out(session: Session, hold: SlotHold) -> dict[str, Any]:
    clinician = clinician_or_404(session, hold.clinician_id)
    kind = _types(session)[hold.appointment_type_id]
    return mapping.appointment_resource(
        id=f"hold-{hold.id}",
        status="pending",
        starts_at=hold.starts_at,
        ends_at=hold.starts_at + timedelta(minutes=kind.duration_minutes),
        patient_id=hold.patient_id,
        clinician_id=hold.clinician_id,
        clinician_name=clinician.full_name,
        appointment_type_id=hold.appointment_type_id,
        type_code=kind.code,
        type_name=kind.name,
    )


def read_appointment(
    *, session: Session, actor: Actor, appointment_id: int, now: datetime
) -> dict[str, Any]:
    row = changes.appointment_for(
        session=session, actor=actor, appointment_id=appointment_id, now=now
    )
    return appointment_out(session, row)


def search_appointments(
    *,
    session: Session,
    actor: Actor,
    patient_id: int | None,
    clinician_id: int | None,
    statuses: Sequence[str],
    window: TimeRange,
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], int]:
    """Patients see their own appointments; staff the clinic's, filtered."""
    if actor.is_patient:
        if patient_id is not None and patient_id != actor.user_id:
            return [], 0
        patient_id = actor.user_id
    ours = [s for status in statuses for s in mapping.OUR_STATUS.get(status, [])]
    if statuses and not ours:
        raise InvalidInput(
            "search appointments by status booked, fulfilled, noshow or cancelled", field="status"
        )
    query = scheduling_repository.appointments_query(
        patient_id=patient_id,
        clinician_id=clinician_id,
        status=None,
        starts_from=window.starts_from,
        starts_before=window.starts_before,
    )
    if ours:
        query = query.where(Appointment.status.in_(ours))
    rows, total = scheduling_repository.page_of_appointments(
        session=session, query=query, limit=limit, offset=offset
    )
    for row in rows:
        changes.audit_read(session=session, actor=actor, appointment=row, now=now)
    return [appointment_out(session, row) for row in rows], total


def require_booker(actor: Actor) -> None:
    if actor.user_id is None:
        raise NotAuthenticated("sign in first")
    if actor.role not in (Role.patient, Role.front_desk, Role.admin):
        raise Forbidden("your role may not do this")


def _target(session: Session, asked: AppointmentAsked) -> tuple[int, int, datetime]:
    """(clinician, appointment type, start) of what was asked for."""
    if asked.slot is not None:
        return asked.slot.clinician_id, asked.slot.appointment_type_id, asked.slot.starts_at
    assert asked.clinician_id is not None and asked.starts_at is not None
    kind = next((k for k in _types(session).values() if k.code == asked.type_code), None)
    if kind is None:
        raise NotFound("no such appointment type", field="Appointment.serviceType")
    return asked.clinician_id, kind.id, asked.starts_at


def book(
    *, session: Session, actor: Actor, asked: AppointmentAsked, now: datetime
) -> dict[str, Any]:
    """Book through the scheduling service: the same rules, the same database guard against
    double booking, the same audit and notifications as `POST /api/v1/appointments`."""
    require_booker(actor)
    clinician_id, type_id, starts_at = _target(session, asked)
    appointment = booking.book(
        session=session,
        actor=actor,
        clinician_id=clinician_id,
        appointment_type_id=type_id,
        starts_at=starts_at,
        now=now,
        patient_id=asked.patient_id,
    )
    return appointment_out(session, appointment)


def hold(
    *, session: Session, actor: Actor, asked: AppointmentAsked, now: datetime
) -> dict[str, Any]:
    """Keep the slot for a few minutes (`$hold`): an Appointment with status pending."""
    require_booker(actor)
    clinician_id, type_id, starts_at = _target(session, asked)
    placed = booking.place_hold(
        session=session,
        actor=actor,
        clinician_id=clinician_id,
        appointment_type_id=type_id,
        starts_at=starts_at,
        now=now,
        patient_id=asked.patient_id,
    )
    return hold_out(session, placed)


def find(
    *,
    session: Session,
    window: TimeRange,
    clinician_id: int | None,
    specialty: str | None,
    type_code: str | None,
    limit: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """`$find`: free slots as proposed Appointments, earliest first."""
    type_id = find_type(session=session, code=type_code) if type_code is not None else None
    query = SlotQuery(clinician_id, type_id, specialty, window, frozenset({"free"}))
    types_by_code = {kind.code: kind for kind in _types(session).values()}
    names = {row.id: row.full_name for row in session.scalars(select(Clinician))}
    proposed = []
    for slot in free_slots(session=session, query=query, now=now, limit=limit):
        key = mapping.parse_slot_id(slot["id"])
        kind = types_by_code[slot["serviceType"][0]["coding"][0]["code"]]
        proposed.append(
            mapping.appointment_resource(
                id=f"proposed-{key.id}",
                status="proposed",
                starts_at=key.starts_at,
                ends_at=key.starts_at + timedelta(minutes=kind.duration_minutes),
                patient_id=None,
                clinician_id=key.clinician_id,
                clinician_name=names.get(key.clinician_id, ""),
                appointment_type_id=kind.id,
                type_code=kind.code,
                type_name=kind.name,
            )
        )
    return proposed


def find_type(*, session: Session, code: str) -> int:
    kind = next((k for k in _types(session).values() if k.code == code), None)
    if kind is None:
        raise NotFound("no such appointment type", field="service-type")
    return kind.id
