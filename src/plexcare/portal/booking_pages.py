"""Find a specialist and book: search free slots, hold one, confirm; and "My appointments"
with cancel and reschedule.

Searching is public (anyone may see when the clinic is free); holding, booking and changing
need a signed-in patient, and only ever touch that patient's own records: the scheduling
services check ownership (someone else's appointment is "not found") and write the audit log.
Times are shown in the clinic's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.portal import booking_views as views
from plexcare.portal import form_values
from plexcare.portal.layout import clock_label, when_label
from plexcare.portal.rendering import (
    FormDep,
    Visit,
    VisitDep,
    gate,
    gate_form,
    message,
    render,
)
from plexcare.scheduling import changes, search
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling import service as scheduling
from plexcare.scheduling.models import SlotHold
from plexcare.scheduling.policy import AppointmentStatus
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

DEFAULT_DAYS = 14
SLOTS_SHOWN = 60
SEARCH_FIELDS = {"from_date": "from", "to_date": "to"}


def _zone_name() -> str:
    return get_settings().clinic_timezone


def _chosen_id(raw: str, name: str, errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    chosen = form_values.record_id(raw)
    if chosen is None:
        errors[name] = "Choose from the list."
    return chosen


def _day(raw: str, name: str, fallback: date, errors: dict[str, str]) -> date:
    if not raw:
        return fallback
    day = form_values.calendar_day(raw)
    if day is None:
        errors[name] = "Enter a date like 2026-03-02, between 1900 and 2100."
        return fallback
    return day


def _date_range(
    values: views.SearchValues, now: datetime, errors: dict[str, str]
) -> tuple[date, date]:
    today = now.astimezone(get_settings().clinic_zone).date()
    first = _day(values.first_day, "from", today, errors)
    last = _day(values.last_day, "to", first + timedelta(days=DEFAULT_DAYS), errors)
    return first, last


def _find(
    *,
    session: DbSession,
    now: datetime,
    values: views.SearchValues,
    errors: dict[str, str],
) -> tuple[search.FoundSlot, ...]:
    clinician_id = _chosen_id(values.clinician_id, "clinician_id", errors)
    type_id = _chosen_id(values.appointment_type_id, "appointment_type_id", errors)
    if values.specialty and values.specialty not in views.SPECIALTY_LABELS:
        errors["specialty"] = "Choose a specialty from the list."
    first, last = _date_range(values, now, errors)
    if errors:
        return ()
    try:
        found = search.search(
            session=session,
            now=now,
            first_day=first,
            last_day=last,
            specialty=values.specialty or None,
            clinician_id=clinician_id,
            appointment_type_id=type_id,
            limit=SLOTS_SHOWN,
        )
    except ServiceError as error:
        errors[SEARCH_FIELDS.get(error.field or "", error.field or "specialty")] = error.detail
        return ()
    return tuple(found)


@router.get("/book", name="book_page")
def book(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    specialty: str = "",
    clinician_id: str = "",
    appointment_type_id: str = "",
) -> HTMLResponse:
    params = request.query_params
    values = views.SearchValues(
        specialty=specialty.strip(),
        clinician_id=clinician_id.strip(),
        appointment_type_id=appointment_type_id.strip(),
        first_day=params.get("from", "").strip(),
        last_day=params.get("to", "").strip(),
    )
    errors: dict[str, str] = {}
    searched = bool(values.specialty or values.clinician_id)
    found = _find(session=session, now=now, values=values, errors=errors) if searched else ()
    clinicians, _total = clinic_repository.clinicians(
        session=session, specialty=None, limit=200, offset=0
    )
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    page = views.BookPage(
        frame=visit.frame(title="Find a specialist and book", current="/book"),
        specialties=views.specialty_choices(),
        clinicians=views.clinician_choices(clinicians),
        appointment_types=views.type_choices(clinic_repository.appointment_types(session=session)),
        values=values,
        errors=errors,
        searched=searched,
        days=views.days_of(found, get_settings().clinic_zone),
        time_zone=_zone_name(),
        can_book=visit.actor.role == Role.patient.value and visit.actor.user_id is not None,
        sign_in_href="/login?" + urlencode({"next": here}),
    )
    return render(request, "portal/book.html", page, visit, status_code=422 if errors else 200)


def _slot_gone(request: Request, visit: Visit, error: ServiceError, back: str) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=error.status,
        heading="That time cannot be booked",
        text=f"{error.detail[:1].upper()}{error.detail[1:]}.",
        next_href=back,
        next_label="Choose another time",
    )


@router.post("/book/hold")
def hold_slot(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    starts_at = form_values.instant(form.get("starts_at"))
    clinician_id = form_values.record_id(form.get("clinician_id"))
    type_id = form_values.record_id(form.get("appointment_type_id"))
    back = "/book?" + urlencode({"clinician_id": clinician_id or ""})
    if starts_at is None or clinician_id is None or type_id is None:
        return message(
            request,
            visit,
            status_code=422,
            heading="That time cannot be booked",
            text="The chosen time was not understood. Please choose it again from the list.",
            next_href="/book",
            next_label="Find a time",
        )
    try:
        hold = scheduling.place_hold(
            session=session,
            actor=visit.actor,
            clinician_id=clinician_id,
            appointment_type_id=type_id,
            starts_at=starts_at,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _slot_gone(request, visit, error, back)
    session.commit()
    return RedirectResponse(f"/book/hold/{hold.id}", status_code=303)


def _own_hold(*, session: DbSession, visit: Visit, hold_id: int | None, now: datetime) -> SlotHold:
    hold = None if hold_id is None else scheduling_repository.hold(session=session, hold_id=hold_id)
    if hold is None or hold.patient_id != visit.actor.user_id or hold.expires_at <= now:
        raise NotFound("this time is no longer held for you")
    return hold


def _hold_lapsed(request: Request, visit: Visit) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=404,
        heading="This time is no longer held for you",
        text="Held times are kept for a few minutes only. Please choose a time again.",
        next_href="/book",
        next_label="Find a time",
    )


@router.get("/book/hold/{hold_id}", name="held_slot_page")
def held_slot(
    request: Request, hold_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    try:
        hold = _own_hold(
            session=session, visit=visit, hold_id=form_values.record_id(hold_id), now=now
        )
    except NotFound:
        return _hold_lapsed(request, visit)
    clinician = clinic_repository.clinician(session=session, clinician_id=hold.clinician_id)
    kind = clinic_repository.appointment_type(
        session=session, appointment_type_id=hold.appointment_type_id
    )
    zone = get_settings().clinic_zone
    page = views.HoldPage(
        frame=visit.frame(title="Confirm your appointment", current="/book"),
        hold_id=hold.id,
        when=when_label(hold.starts_at, zone),
        clinician=clinician.full_name if clinician else "",
        visit=kind.name if kind else "",
        expires=clock_label(hold.expires_at, zone),
    )
    return render(request, "portal/hold.html", page, visit)


@router.post("/book/confirm")
def confirm_booking(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    hold_id = form_values.record_id(form.get("hold_id"))
    try:
        hold = _own_hold(session=session, visit=visit, hold_id=hold_id, now=now)
    except NotFound:
        return _hold_lapsed(request, visit)
    try:
        appointment = scheduling.book(
            session=session,
            actor=visit.actor,
            clinician_id=hold.clinician_id,
            appointment_type_id=hold.appointment_type_id,
            starts_at=hold.starts_at,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _slot_gone(request, visit, error, "/book")
    session.commit()
    return RedirectResponse(f"/me/appointments?done=booked#appointment-{appointment.id}", 303)


@router.post("/book/hold/{hold_id}/release")
def release_hold(
    request: Request, hold_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    held = form_values.record_id(hold_id)
    if held is None:
        return _hold_lapsed(request, visit)
    try:
        scheduling.release_hold(session=session, actor=visit.actor, hold_id=held, now=now)
    except ServiceError:
        return _hold_lapsed(request, visit)
    session.commit()
    return RedirectResponse("/book", status_code=303)


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
        time_zone=_zone_name(),
    )
    session.commit()
    return render(request, "portal/my_appointments.html", page, visit)


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
    found = _find(session=session, now=now, values=values, errors=errors)
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
        time_zone=_zone_name(),
    )
    session.commit()
    return render(
        request, "portal/reschedule.html", page, visit, status_code=422 if errors else 200
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
