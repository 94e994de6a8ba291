"""Clinic directory endpoints: public lists of clinicians and appointment types, staff-only
resources, and the weekly hours, breaks and leave/holiday exceptions managed by the front desk."""

from __future__ import annotations

from fastapi import APIRouter, status

from plexcare.clinic import repository, service
from plexcare.clinic.schemas import (
    AppointmentTypeOut,
    AvailabilityOut,
    AvailabilityRequest,
    ClinicianOut,
    ClinicianPage,
    ExceptionOut,
    ExceptionRequest,
    ResourceOut,
    WeeklyWindowOut,
)
from plexcare.config import get_settings
from plexcare.errors import NotFound
from plexcare.web.dependencies import DbSession, Desk, Now, Paging, Staff

router = APIRouter(prefix="/api/v1", tags=["clinic"])


@router.get("/clinicians", response_model=ClinicianPage)
def list_clinicians(
    session: DbSession, page: Paging, specialty: service.Specialty | None = None
) -> ClinicianPage:
    """Public: find a specialist."""
    rows, total = repository.clinicians(
        session=session,
        specialty=specialty.value if specialty else None,
        limit=page.limit,
        offset=page.offset,
    )
    return ClinicianPage(
        items=[ClinicianOut.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/clinicians/{clinician_id}", response_model=ClinicianOut)
def get_clinician(clinician_id: int, session: DbSession) -> ClinicianOut:
    row = repository.clinician(session=session, clinician_id=clinician_id)
    if row is None:
        raise NotFound("no such clinician")
    return ClinicianOut.model_validate(row)


def _availability(session: DbSession, clinician_id: int) -> AvailabilityOut:
    return AvailabilityOut(
        clinician_id=clinician_id,
        time_zone=get_settings().clinic_timezone,
        hours=[
            WeeklyWindowOut(weekday=row.weekday, starts=row.starts, ends=row.ends)
            for row in repository.weekly_hours(session=session, clinician_id=clinician_id)
        ],
        breaks=[
            WeeklyWindowOut(weekday=row.weekday, starts=row.starts, ends=row.ends)
            for row in repository.weekly_breaks(session=session, clinician_id=clinician_id)
        ],
    )


@router.get("/clinicians/{clinician_id}/availability", response_model=AvailabilityOut)
def get_availability(clinician_id: int, session: DbSession) -> AvailabilityOut:
    """Public: the weekly pattern in the clinic's wall-clock time."""
    if repository.clinician(session=session, clinician_id=clinician_id) is None:
        raise NotFound("no such clinician")
    return _availability(session, clinician_id)


@router.put("/clinicians/{clinician_id}/availability", response_model=AvailabilityOut)
def set_availability(
    clinician_id: int, body: AvailabilityRequest, actor: Desk, session: DbSession
) -> AvailabilityOut:
    """Front desk: replace the weekly hours and breaks (clinic wall-clock time) in one step.
    Appointments already booked stay booked."""
    service.replace_weekly_pattern(
        session=session,
        clinician_id=clinician_id,
        hours=[(window.weekday, window.starts, window.ends) for window in body.hours],
        breaks=[(window.weekday, window.starts, window.ends) for window in body.breaks],
    )
    answer = _availability(session, clinician_id)
    session.commit()
    return answer


@router.get("/clinicians/{clinician_id}/exceptions", response_model=list[ExceptionOut])
def list_exceptions(clinician_id: int, actor: Staff, session: DbSession) -> list[ExceptionOut]:
    """Staff: the clinician's leave, holidays and extra sessions, earliest first."""
    if repository.clinician(session=session, clinician_id=clinician_id) is None:
        raise NotFound("no such clinician", field="clinician_id")
    return [
        ExceptionOut.model_validate(row)
        for row in repository.exceptions(session=session, clinician_id=clinician_id)
    ]


@router.post(
    "/clinicians/{clinician_id}/exceptions",
    response_model=ExceptionOut,
    status_code=status.HTTP_201_CREATED,
)
def add_exception(
    clinician_id: int, body: ExceptionRequest, actor: Desk, session: DbSession, now: Now
) -> ExceptionOut:
    """Front desk: record leave, a holiday or an extra session."""
    body.refuse_far_days(today=now.astimezone(get_settings().clinic_zone).date())
    row = service.add_exception(
        session=session,
        clinician_id=clinician_id,
        kind=body.kind,
        first_day=body.first_day,
        last_day=body.last_day,
        starts=body.starts,
        ends=body.ends,
        note=body.note,
    )
    answer = ExceptionOut.model_validate(row)
    session.commit()
    return answer


@router.delete(
    "/clinicians/{clinician_id}/exceptions/{exception_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def remove_exception(clinician_id: int, exception_id: int, actor: Desk, session: DbSession) -> None:
    """Front desk: take back leave, a holiday or an extra session entered by mistake."""
    service.remove_exception(session=session, clinician_id=clinician_id, exception_id=exception_id)
    session.commit()


@router.get("/appointment-types", response_model=list[AppointmentTypeOut])
def list_appointment_types(session: DbSession) -> list[AppointmentTypeOut]:
    """Public: what can be booked, how long it takes and what it needs."""
    needs = repository.needed_resource_kinds_by_type(session=session)
    return [
        AppointmentTypeOut(
            id=row.id,
            code=row.code,
            name=row.name,
            duration_minutes=row.duration_minutes,
            buffer_minutes=row.buffer_minutes,
            minimum_notice_minutes=row.minimum_notice_minutes,
            horizon_days=row.horizon_days,
            resource_kinds=needs.get(row.id, []),
        )
        for row in repository.appointment_types(session=session)
    ]


@router.get("/resources", response_model=list[ResourceOut])
def list_resources(actor: Staff, session: DbSession) -> list[ResourceOut]:
    return [ResourceOut.model_validate(row) for row in repository.resources(session=session)]
