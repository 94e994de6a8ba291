"""My appointments: the signed-in patient's own upcoming and past visits, the clinic's notice
rule with the patient's own late cancellations and missed visits, and each upcoming visit as a
calendar file (.ics) or a prefilled Google or Outlook event. Cancelling and moving are in
`appointment_changes`.

Only ever that patient's own records: the scheduling services check ownership (someone else's
appointment is "not found", the same as one that does not exist) and write the audit log,
reads included.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.notifications import icalendar
from plexcare.portal import form_values
from plexcare.portal.rendering import Visit, VisitDep, gate, message, render
from plexcare.scheduling import changes, policy
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.pages import views
from plexcare.scheduling.pages.find_a_time import zone_name
from plexcare.scheduling.policy import AppointmentStatus
from plexcare.scheduling.service import NO_SHOW_POLICY, NOTICE_POLICY
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def asked_appointment(
    *, session: DbSession, actor: Actor, appointment_id: str, now: datetime
) -> Appointment:
    """The appointment a page's address names, read through the scheduling service, which lets
    the patient see only their own (the desk, any) and audits the read. NotFound for an id that
    is no number, as for one that is not there or not theirs."""
    chosen = form_values.record_id(appointment_id)
    if chosen is None:
        raise NotFound("no such appointment")
    return changes.appointment_for(session=session, actor=actor, appointment_id=chosen, now=now)


def not_among_yours(request: Request, visit: Visit) -> HTMLResponse:
    """The 404 page for an appointment that is not the patient's (or not there at all: the
    page does not say which)."""
    return message(
        request,
        visit,
        status_code=404,
        heading="Appointment not found",
        text="There is no such appointment among yours.",
        next_href="/me/appointments",
        next_label="See my appointments",
    )


def clinic_place() -> str:
    settings = get_settings()
    return f"{settings.clinic_name}, {settings.clinic_address}"


def notice_rule(*, session: DbSession, patient_id: int, now: datetime) -> views.NoticeRule:
    """The notice rule and where this patient stands against the booking pause."""
    strikes = scheduling_repository.strikes_of_patient(session=session, patient_id=patient_id)
    lookback = NO_SHOW_POLICY.lookback
    recent = [strike for strike in strikes if now - lookback <= strike <= now]
    return views.NoticeRule(
        hours=int(NOTICE_POLICY.cancellation_notice.total_seconds() // 3600),
        strikes_allowed=NO_SHOW_POLICY.strikes_allowed,
        lookback_months=round(lookback.days / 30.4),
        strikes=len(recent),
        paused=policy.is_booking_restricted(strikes=strikes, now=now, policy=NO_SHOW_POLICY),
    )


def lookups(
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
    clinicians, kinds = lookups(session)
    zone = get_settings().clinic_zone
    upcoming: list[views.AppointmentRow] = []
    past: list[views.AppointmentRow] = []
    for row in rows:
        changes.audit_read(session=session, actor=visit.actor, appointment=row, now=now)
        shown = views.appointment_row(
            row, clinicians=clinicians, kinds=kinds, zone=zone, now=now, location=clinic_place()
        )
        is_upcoming = row.starts_at > now and row.status == AppointmentStatus.BOOKED.value
        (upcoming if is_upcoming else past).append(shown)
    assert visit.actor.user_id is not None
    page = views.MyAppointmentsPage(
        frame=visit.frame(title="My appointments", current="/me/appointments"),
        done=views.DONE_MESSAGES.get(done, ""),
        upcoming=tuple(upcoming),
        past=tuple(reversed(past)),
        time_zone=zone_name(),
        rule=notice_rule(session=session, patient_id=visit.actor.user_id, now=now),
    )
    session.commit()
    return render(request, "scheduling/my_appointments.html", page, visit)


@router.get("/me/appointments/{appointment_id}/calendar.ics", name="appointment_calendar_file")
def calendar_file(
    request: Request, appointment_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    """The appointment as an iCalendar file for any calendar program (same UID and sequence as
    the e-mailed invitation, so importing both shows one event)."""
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    try:
        appointment = asked_appointment(
            session=session, actor=visit.actor, appointment_id=appointment_id, now=now
        )
    except ServiceError:
        return not_among_yours(request, visit)
    clinicians, kinds = lookups(session)
    patient = accounts_repository.user_by_id(session=session, user_id=appointment.patient_id)
    settings = get_settings()
    clinician = clinicians.get(appointment.clinician_id)
    kind = kinds.get(appointment.appointment_type_id)
    cancelled = appointment.status != policy.AppointmentStatus.BOOKED.value
    body = icalendar.build_invitation(
        appointment=icalendar.CalendarAppointment(
            appointment_id=appointment.uid,
            sequence=appointment.sequence,
            start=appointment.starts_at,
            end=appointment.ends_at,
            time_zone=settings.clinic_timezone,
            clinic_name=settings.clinic_name,
            clinician_name=clinician.full_name if clinician else "your clinician",
            visit_name=kind.name if kind else "Appointment",
            location=settings.clinic_address,
            organizer=icalendar.CalendarParty(
                email=settings.smtp_sender, name=settings.clinic_name
            ),
            attendee=icalendar.CalendarParty(
                email=patient.email if patient else settings.smtp_sender,
                name=(patient.full_name if patient else "").replace('"', ""),
            ),
        ),
        method=icalendar.CalendarMethod.CANCEL if cancelled else icalendar.CalendarMethod.REQUEST,
        stamp=appointment.updated_at,
        domain=settings.smtp_sender.rpartition("@")[2] or "plexcare.example",
    )
    session.commit()
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="appointment-{appointment.id}.ics"'},
    )
