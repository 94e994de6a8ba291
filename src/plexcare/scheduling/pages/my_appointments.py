"""My appointments: the signed-in patient's own upcoming and past visits, and cancelling or
moving one of them.

Only ever that patient's own records: the scheduling services check ownership (someone else's
appointment is "not found", the same as one that does not exist) and write the audit log,
reads included.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.portal import form_values
from plexcare.portal.rendering import FormDep, Visit, VisitDep, gate, gate_form, message, render
from plexcare.scheduling import changes
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.pages import views
from plexcare.scheduling.pages.find_a_time import find_slots, zone_name
from plexcare.scheduling.policy import AppointmentStatus
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _lookups(
    session: DbSession,
) -> tuple[Mapping[int, Clinician], Mapping[int, AppointmentType]]:
    clinicians, _total = clinic_repository.clinicians(
        session=session, specialty=None, limit=1000, offset=0
    )
    kinds = clinic_repository.appointment_types(session=session)
    return {c.id: c for c in clinicians}, {k.id: k for k in kinds}


@router.get("/me/appointments", name="my_appointments_page")
def my_appointments(
    request: Request, visit: VisitDep, session: DbSession, now: Now, done: str = ""
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    query = scheduling_repository.appointments_query(
        patient_id=visit.actor.user_id,
        clinician_id=None,
        status=None,
        starts_from=None,
        starts_before=None,
    )
    rows, _total = scheduling_repository.page_of_appointments(
        session=session, query=query, limit=200, offset=0
    )
    clinicians, kinds = _lookups(session)
    zone = get_settings().clinic_zone
    upcoming: list[views.AppointmentRow] = []
    past: list[views.AppointmentRow] = []
    for row in rows:
        changes.audit_read(session=session, actor=visit.actor, appointment=row, now=now)
        shown = views.appointment_row(row, clinicians=clinicians, kinds=kinds, zone=zone, now=now)
        is_upcoming = row.starts_at > now and row.status == AppointmentStatus.BOOKED.value
        (upcoming if is_upcoming else past).append(shown)
    page = views.MyAppointmentsPage(
        frame=visit.frame(title="My appointments", current="/me/appointments"),
        done=views.DONE_MESSAGES.get(done, ""),
        upcoming=tuple(upcoming),
        past=tuple(reversed(past)),
        time_zone=zone_name(),
    )
    session.commit()
    return render(request, "scheduling/my_appointments.html", page, visit)


def _not_yours(request: Request, visit: Visit) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=404,
        heading="Appointment not found",
        text="There is no such appointment among yours.",
        next_href="/me/appointments",
        next_label="See my appointments",
    )


def _change_refused(request: Request, visit: Visit, error: ServiceError) -> HTMLResponse:
    if isinstance(error, NotFound):
        return _not_yours(request, visit)
    return message(
        request,
        visit,
        status_code=error.status,
        heading="This appointment cannot be changed",
        text=f"{error.detail[:1].upper()}{error.detail[1:]}.",
        next_href="/me/appointments",
        next_label="See my appointments",
    )


@router.post("/me/appointments/{appointment_id}/cancel")
def cancel_appointment(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    chosen = form_values.record_id(appointment_id)
    if chosen is None:
        return _not_yours(request, visit)
    try:
        changes.cancel(
            session=session,
            actor=visit.actor,
            appointment_id=chosen,
            now=now,
            reason=form.get("reason")[:500] or None,
        )
    except ServiceError as error:
        session.rollback()
        return _change_refused(request, visit, error)
    session.commit()
    return RedirectResponse("/me/appointments?done=cancelled", status_code=303)


@router.get("/me/appointments/{appointment_id}/reschedule", name="reschedule_page")
def reschedule_page(
    request: Request, appointment_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    chosen = form_values.record_id(appointment_id)
    if chosen is None:
        return _not_yours(request, visit)
    try:
        appointment = changes.appointment_for(
            session=session, actor=visit.actor, appointment_id=chosen, now=now
        )
    except ServiceError as error:
        return _change_refused(request, visit, error)
    params = request.query_params
    values = views.SearchValues(
        clinician_id=str(appointment.clinician_id),
        appointment_type_id=str(appointment.appointment_type_id),
        first_day=params.get("from", "").strip(),
        last_day=params.get("to", "").strip(),
    )
    errors: dict[str, str] = {}
    found = find_slots(session=session, now=now, values=values, errors=errors)
    clinicians, kinds = _lookups(session)
    zone = get_settings().clinic_zone
    page = views.ReschedulePage(
        frame=visit.frame(title="Move my appointment", current="/me/appointments"),
        appointment=views.appointment_row(
            appointment, clinicians=clinicians, kinds=kinds, zone=zone, now=now
        ),
        values=values,
        errors=errors,
        days=views.days_of(found, zone),
        time_zone=zone_name(),
    )
    session.commit()
    return render(
        request, "scheduling/reschedule.html", page, visit, status_code=422 if errors else 200
    )


@router.post("/me/appointments/{appointment_id}/reschedule")
def reschedule(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    chosen = form_values.record_id(appointment_id)
    if chosen is None:
        return _not_yours(request, visit)
    starts_at = form_values.instant(form.get("starts_at"))
    if starts_at is None:
        return message(
            request,
            visit,
            status_code=422,
            heading="That time cannot be booked",
            text="The chosen time was not understood. Please choose it again from the list.",
            next_href=f"/me/appointments/{chosen}/reschedule",
            next_label="Choose another time",
        )
    try:
        changes.reschedule(
            session=session,
            actor=visit.actor,
            appointment_id=chosen,
            starts_at=starts_at,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _change_refused(request, visit, error)
    session.commit()
    return RedirectResponse("/me/appointments?done=moved", status_code=303)
