"""Find a time: search the clinic's free slots by specialty, specialist, visit type and dates.

Searching is public (anyone may see when the clinic is free); the page offers the booking
buttons only to a signed-in patient. The same search shows the free times for moving an
appointment (`my_appointments`). Times are shown in the clinic's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.portal import form_values
from plexcare.portal.rendering import VisitDep, render
from plexcare.scheduling import search
from plexcare.scheduling.pages import views
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

DEFAULT_DAYS = 14
SLOTS_SHOWN = 60
SEARCH_FIELDS = {"from_date": "from", "to_date": "to"}


def zone_name() -> str:
    """The clinic's zone as the pages name it beside every list of times."""
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


def find_slots(
    *,
    session: DbSession,
    now: datetime,
    values: views.SearchValues,
    errors: dict[str, str],
) -> tuple[search.FoundSlot, ...]:
    """The free slots the search form asks for, shared by booking and moving an appointment;
    a value that cannot be read goes into `errors` under its form field, and nothing is
    searched."""
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
    found = find_slots(session=session, now=now, values=values, errors=errors) if searched else ()
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
        time_zone=zone_name(),
        can_book=visit.actor.role == Role.patient.value and visit.actor.user_id is not None,
        sign_in_href="/login?" + urlencode({"next": here}),
    )
    return render(request, "scheduling/book.html", page, visit, status_code=422 if errors else 200)
