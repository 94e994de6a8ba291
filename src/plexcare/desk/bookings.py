"""Booking for a caller: find or register the patient, see their appointments, book a free
time for them, move or cancel one (each with a confirmation and a reason).

Front desk and admin accounts only. Everything goes through the scheduling services, which
keep their locks and no-overlap rules (the caller cannot be booked into two places at once)
and write the audit log; the desk is not held to the online limit on open appointments and its
changes never count as the patient's late cancellations.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts.models import User
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.desk import patients, views
from plexcare.desk.schedule import DESK
from plexcare.errors import NotFound, ServiceError
from plexcare.portal import form_values
from plexcare.portal.refusals import as_sentence, refusal_page
from plexcare.portal.rendering import (
    FormDep,
    PostedForm,
    Visit,
    VisitDep,
    gate,
    gate_form,
    message,
    render,
)
from plexcare.scheduling import changes
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling import service as scheduling
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.pages import views as booking_views
from plexcare.scheduling.pages.find_a_time import (
    calendar_of,
    candidate_clinicians,
    find_slots,
    offered_types,
    search_values,
    with_type_chosen,
    zone_name,
)
from plexcare.scheduling.pages.my_appointments import asked_appointment, lookups
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

REASON_LIMIT = 400


def _refused(
    request: Request, visit: Visit, error: ServiceError, back: str, heading: str
) -> HTMLResponse:
    return refusal_page(
        request,
        visit,
        error,
        heading=heading,
        next_href=back,
        next_label="Back",
    )


def _their_appointments(
    session: DbSession, visit: Visit, patient: User, now: datetime
) -> tuple[views.PatientAppointment, ...]:
    rows, _total = scheduling_repository.page_of_appointments(
        session=session,
        query=scheduling_repository.appointments_query(
            patient_id=patient.id,
            clinician_id=None,
            status=None,
            starts_from=now,
            starts_before=None,
        ),
        limit=100,
        offset=0,
    )
    names = lookups(session)
    return tuple(_shown(session, visit, row, now, names) for row in rows)


def _shown(
    session: DbSession,
    visit: Visit,
    row: Appointment,
    now: datetime,
    names: tuple[Mapping[int, Clinician], Mapping[int, AppointmentType]] | None = None,
) -> views.PatientAppointment:
    """How the desk sees one appointment (an audited read)."""
    changes.audit_read(session=session, actor=visit.actor, appointment=row, now=now)
    clinicians, kinds = names or lookups(session)
    clinician = clinicians.get(row.clinician_id)
    kind = kinds.get(row.appointment_type_id)
    return views.patient_appointment(
        row,
        clinician=clinician.full_name if clinician else "",
        visit=kind.name if kind else "",
        zone=get_settings().clinic_zone,
        now=now,
    )


def _register_values(form: Mapping[str, str]) -> dict[str, str]:
    return {name: form.get(name, "")[:300] for name in ("full_name", "email", "phone")}


@router.get("/desk/book", name="desk_book_page")
def desk_book(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    q: str = "",
    patient_id: str = "",
    done: str = "",
) -> Response:
    denied = gate(request, visit, *DESK)
    if denied is not None:
        return denied
    return _book_page(
        request, visit, session, now, query=q, patient_id=patient_id, done=done, register={}
    )


def _book_page(
    request: Request,
    visit: Visit,
    session: DbSession,
    now: datetime,
    *,
    query: str,
    patient_id: str,
    done: str,
    register: dict[str, str],
    register_errors: dict[str, str] | None = None,
    refused_status: int = 422,
) -> Response:
    errors: dict[str, str] = {}
    found: tuple[views.PatientChoice, ...] = ()
    if query:
        try:
            found = tuple(
                views.patient_choice(user)
                for user in patients.find_patients(
                    session=session, actor=visit.actor, text=query, now=now
                )
            )
        except ServiceError as error:
            errors["q"] = as_sentence(error.detail)
    patient = None
    if patient_id:
        chosen = form_values.record_id(patient_id)
        try:
            if chosen is None:
                raise NotFound("no such patient")
            patient = patients.patient_for_desk(
                session=session, actor=visit.actor, patient_id=chosen, now=now
            )
        except ServiceError:
            return message(
                request,
                visit,
                status_code=404,
                heading="Patient not found",
                text="There is no such patient. Search again by name, e-mail or phone.",
                next_href="/desk/book",
                next_label="Find a patient",
            )
    values = search_values(request.query_params)
    every_clinician, _total = clinic_repository.clinicians(
        session=session, specialty=None, limit=200, offset=0
    )
    kinds = offered_types(session, candidate_clinicians(every_clinician, values))
    searched = patient is not None and bool(values.specialty or values.clinician_id)
    extra = {"patient_id": str(patient.id)} if patient else {}
    shown = booking_views.Calendar()
    if searched:
        values = with_type_chosen(values, kinds)
        found_slots = find_slots(session=session, now=now, values=values, errors=errors)
        shown = calendar_of(found=found_slots, values=values, now=now, extra=extra)
    page = views.DeskBookPage(
        frame=visit.frame(title="Book for a caller", current="/desk"),
        query=query,
        found=found,
        searched_patients=bool(query),
        patient=views.patient_choice(patient) if patient else None,
        appointments=_their_appointments(session, visit, patient, now) if patient else (),
        specialties=booking_views.specialty_choices(),
        clinicians=booking_views.clinician_choices(
            [c for c in every_clinician if not values.specialty or c.specialty == values.specialty]
        ),
        appointment_types=booking_views.type_choices(kinds),
        values=values,
        errors=errors,
        searched=searched,
        calendar=shown,
        here="/desk/book",
        register=register,
        register_errors=register_errors or {},
        time_zone=zone_name(),
        done=views.DONE_MESSAGES.get(done, ""),
    )
    session.commit()
    status = refused_status if register_errors else 422 if errors else 200
    return render(request, "desk/book.html", page, visit, status_code=status)


@router.post("/desk/patients")
def register_caller(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, *DESK)
    if denied is not None:
        return denied
    entered = _register_values(form.fields)
    try:
        user = patients.register_caller(
            session=session,
            actor=visit.actor,
            full_name=form.get("full_name"),
            email=form.get("email"),
            phone=form.get("phone"),
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        field = error.field if error.field in entered else "full_name"
        return _book_page(
            request,
            visit,
            session,
            now,
            query="",
            patient_id="",
            done="",
            register=entered,
            register_errors={field: as_sentence(error.detail)},
            refused_status=error.status,
        )
    session.commit()
    return RedirectResponse(f"/desk/book?patient_id={user.id}&done=registered", status_code=303)


@router.post("/desk/book")
def book_for_caller(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, *DESK)
    if denied is not None:
        return denied
    patient_id = form_values.record_id(form.get("patient_id"))
    starts_at = form_values.instant(form.get("starts_at"))
    clinician_id = form_values.record_id(form.get("clinician_id"))
    type_id = form_values.record_id(form.get("appointment_type_id"))
    back = f"/desk/book?patient_id={patient_id}" if patient_id else "/desk/book"
    if None in (patient_id, starts_at, clinician_id, type_id):
        return message(
            request,
            visit,
            status_code=422,
            heading="That time cannot be booked",
            text="The patient or the time was not understood. Choose them again.",
            next_href=back,
            next_label="Back",
        )
    assert patient_id is not None and starts_at is not None
    assert clinician_id is not None and type_id is not None
    try:
        appointment = scheduling.book(
            session=session,
            actor=visit.actor,
            clinician_id=clinician_id,
            appointment_type_id=type_id,
            starts_at=starts_at,
            now=now,
            patient_id=patient_id,
        )
    except ServiceError as error:
        session.rollback()
        return _refused(request, visit, error, back, "That time cannot be booked")
    session.commit()
    return RedirectResponse(
        f"/desk/book?patient_id={patient_id}&done=booked#appointment-{appointment.id}",
        status_code=303,
    )


def _appointment_or_message(
    request: Request, visit: Visit, session: DbSession, appointment_id: str, now: datetime
) -> tuple[Appointment, User] | Response:
    try:
        appointment = asked_appointment(
            session=session, actor=visit.actor, appointment_id=appointment_id, now=now
        )
        patient = patients.patient_for_desk(
            session=session, actor=visit.actor, patient_id=appointment.patient_id, now=now
        )
    except ServiceError:
        return message(
            request,
            visit,
            status_code=404,
            heading="Appointment not found",
            text="There is no such appointment.",
            next_href="/desk",
            next_label="Back to the day",
        )
    return appointment, patient


def _appointment_to_change(
    request: Request,
    visit: Visit,
    form: PostedForm,
    session: DbSession,
    appointment_id: str,
    now: datetime,
) -> tuple[Appointment, User] | Response:
    """Check a desk form was sent by desk staff, then find the appointment it changes."""
    denied = gate_form(request, visit, form, *DESK)
    if denied is not None:
        return denied
    return _appointment_or_message(request, visit, session, appointment_id, now)


@router.get("/desk/appointments/{appointment_id}/move", name="desk_move_page")
def move_page(
    request: Request, appointment_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    denied = gate(request, visit, *DESK)
    if denied is not None:
        return denied
    found = _appointment_or_message(request, visit, session, appointment_id, now)
    if isinstance(found, Response):
        return found
    appointment, patient = found
    values = search_values(
        request.query_params,
        specialty="",
        clinician_id=request.query_params.get("clinician_id", "").strip()
        or str(appointment.clinician_id),
        appointment_type_id=str(appointment.appointment_type_id),
    )
    errors: dict[str, str] = {}
    slots = find_slots(session=session, now=now, values=values, errors=errors)
    page = views.DeskMovePage(
        frame=visit.frame(title="Move an appointment", current="/desk"),
        appointment=_shown(session, visit, appointment, now),
        patient=views.patient_choice(patient),
        values=values,
        errors=errors,
        calendar=calendar_of(found=slots, values=values, now=now),
        here=f"/desk/appointments/{appointment.id}/move",
        time_zone=zone_name(),
    )
    session.commit()
    return render(request, "desk/move.html", page, visit, status_code=422 if errors else 200)


@router.post("/desk/appointments/{appointment_id}/move")
def move_appointment(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    found = _appointment_to_change(request, visit, form, session, appointment_id, now)
    if isinstance(found, Response):
        return found
    appointment, patient = found
    starts_at = form_values.instant(form.get("starts_at"))
    back = f"/desk/appointments/{appointment.id}/move"
    if starts_at is None:
        return message(
            request,
            visit,
            status_code=422,
            heading="That time cannot be booked",
            text="The chosen time was not understood. Please choose it again.",
            next_href=back,
            next_label="Choose another time",
        )
    try:
        changes.reschedule(
            session=session,
            actor=visit.actor,
            appointment_id=appointment.id,
            starts_at=starts_at,
            now=now,
            clinician_id=form_values.record_id(form.get("clinician_id")),
            reason=form.get("reason")[:REASON_LIMIT] or "Moved by the front desk",
        )
    except ServiceError as error:
        session.rollback()
        return _refused(request, visit, error, back, "The appointment cannot be moved")
    session.commit()
    return RedirectResponse(f"/desk/book?patient_id={patient.id}&done=moved", status_code=303)


@router.get("/desk/appointments/{appointment_id}/cancel", name="desk_cancel_page")
def cancel_page(
    request: Request, appointment_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    denied = gate(request, visit, *DESK)
    if denied is not None:
        return denied
    found = _appointment_or_message(request, visit, session, appointment_id, now)
    if isinstance(found, Response):
        return found
    appointment, patient = found
    page = views.DeskCancelPage(
        frame=visit.frame(title="Cancel an appointment", current="/desk"),
        appointment=_shown(session, visit, appointment, now),
        patient=views.patient_choice(patient),
    )
    session.commit()
    return render(request, "desk/cancel.html", page, visit)


@router.post("/desk/appointments/{appointment_id}/cancel")
def cancel_appointment(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    found = _appointment_to_change(request, visit, form, session, appointment_id, now)
    if isinstance(found, Response):
        return found
    appointment, patient = found
    reason = form.get("reason")[:REASON_LIMIT]
    if not reason:
        page = views.DeskCancelPage(
            frame=visit.frame(title="Cancel an appointment", current="/desk"),
            appointment=_shown(session, visit, appointment, now),
            patient=views.patient_choice(patient),
            error="Write why the appointment is cancelled.",
        )
        session.commit()
        return render(request, "desk/cancel.html", page, visit, status_code=422)
    try:
        changes.cancel(
            session=session,
            actor=visit.actor,
            appointment_id=appointment.id,
            now=now,
            reason=reason,
        )
    except ServiceError as error:
        session.rollback()
        back = f"/desk/book?patient_id={patient.id}"
        return _refused(request, visit, error, back, "The appointment cannot be cancelled")
    session.commit()
    return RedirectResponse(f"/desk/book?patient_id={patient.id}&done=cancelled", status_code=303)
