"""Find a time: search the clinic's free slots by specialty, specialist, visit type and dates.

Searching is public (anyone may see when the clinic is free); the page offers the booking
buttons only to a signed-in patient. The same search shows the free times for moving an
appointment (`my_appointments`) and for the front desk. Times are shown in the clinic's time
zone.

One type of appointment at a time: an EMG, an MRI review and a consultation are different
visits, so the list has no "Any"; without a choice the page shows the first type the chosen
specialists offer, named beside the calendar. Four weeks show as a calendar with the days that
have free times; one day's times show in full beneath it, and the weeks page on, so no search
ends at a cap with times still hidden.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.portal import form_values
from plexcare.portal.rendering import VisitDep, render
from plexcare.scheduling import search
from plexcare.scheduling.pages import views
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

DEFAULT_DAYS = 27
"""Four weeks, the calendar's page, when only the first day is given."""
SLOTS_SHOWN = 5000
"""Enough for every slot of a search's days: the calendar pages instead of cutting off."""
SEARCH_KEYS = ("specialty", "clinician_id", "appointment_type_id", "from", "to", "day")
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


def search_query(
    values: views.SearchValues, extra: Mapping[str, str] | None = None, **changes: str
) -> str:
    """The search as a query string, with `changes` applied (empty values dropped); `extra`
    comes first (the patient the front desk books for)."""
    fields = {
        **(extra or {}),
        "specialty": values.specialty,
        "clinician_id": values.clinician_id,
        "appointment_type_id": values.appointment_type_id,
        "from": values.first_day,
        "to": values.last_day,
        "day": values.chosen_day,
    }
    fields.update(changes)
    return urlencode({key: value for key, value in fields.items() if value})


def kept_search(raw: str) -> str:
    """A search carried through holding a slot, as a query string of the search's own keys
    only, so "Choose another time" comes back to it and nothing else rides along."""
    kept = [(key, value[:40]) for key, value in parse_qsl(raw[:1000]) if key in SEARCH_KEYS]
    return urlencode(kept)


def offered_types(session: DbSession, clinicians: Sequence[Clinician]) -> list[AppointmentType]:
    """The types any of these clinicians offer, in the clinic's order."""
    offered: set[int] = set()
    for clinician in clinicians:
        offered |= clinic_repository.offered_type_ids(session=session, clinician_id=clinician.id)
    return [
        kind for kind in clinic_repository.appointment_types(session=session) if kind.id in offered
    ]


def with_type_chosen(
    values: views.SearchValues, kinds: Sequence[AppointmentType]
) -> views.SearchValues:
    """The search with a type: the visitor's, or the first the specialists offer."""
    if values.appointment_type_id or not kinds:
        return values
    return dataclasses.replace(values, appointment_type_id=str(kinds[0].id))


def candidate_clinicians(
    clinicians: Sequence[Clinician], values: views.SearchValues
) -> list[Clinician]:
    """Who the search is about: the chosen clinician, else the chosen specialty's."""
    if values.clinician_id:
        return [c for c in clinicians if str(c.id) == values.clinician_id]
    if values.specialty:
        return [c for c in clinicians if c.specialty == values.specialty]
    return list(clinicians)


def outside_specialty(clinicians: Sequence[Clinician], values: views.SearchValues) -> str:
    """Why the chosen clinician does not fit the chosen specialty, or nothing: the search
    honours both, so a mismatch would only ever find no times."""
    if not (values.specialty and values.clinician_id):
        return ""
    chosen = next((c for c in clinicians if str(c.id) == values.clinician_id), None)
    if chosen is None or chosen.specialty == values.specialty:
        return ""
    wanted = views.SPECIALTY_LABELS.get(values.specialty, values.specialty)
    return f"{chosen.full_name} is not in {wanted}: choose anyone in it, or another specialty."


def search_values(params: Mapping[str, str], **fixed: str) -> views.SearchValues:
    """The search a calendar page was opened with: the query's fields, stripped, except those
    the page fixes (moving an appointment keeps its clinician and its type of visit)."""
    asked = {
        "specialty": params.get("specialty", "").strip(),
        "clinician_id": params.get("clinician_id", "").strip(),
        "appointment_type_id": params.get("appointment_type_id", "").strip(),
        "first_day": params.get("from", "").strip(),
        "last_day": params.get("to", "").strip(),
        "chosen_day": params.get("day", "").strip(),
    }
    return views.SearchValues(**(asked | fixed))


def calendar_of(
    *,
    found: Sequence[search.FoundSlot],
    values: views.SearchValues,
    now: datetime,
    extra: Mapping[str, str] | None = None,
) -> views.Calendar:
    """The found slots as a calendar of their days and the chosen day's times in full."""
    zone = get_settings().clinic_zone
    today = now.astimezone(zone).date()
    first = form_values.calendar_day(values.first_day) or today
    last = form_values.calendar_day(values.last_day) or first + timedelta(days=DEFAULT_DAYS)
    counts: dict[date, int] = {}
    for item in found:
        local = item.slot.start.astimezone(zone).date()
        counts[local] = counts.get(local, 0) + 1
    chosen = form_values.calendar_day(values.chosen_day)
    if chosen is None or chosen not in counts:
        chosen = min(counts) if counts else None
    on_chosen = [
        item for item in found if chosen and item.slot.start.astimezone(zone).date() == chosen
    ]
    span = (last - first).days + 1
    earlier = first - timedelta(days=span)
    return views.Calendar(
        weeks=views.calendar_weeks(
            first=first,
            last=last,
            counts=counts,
            chosen=chosen,
            link=lambda day: search_query(values, extra, day=day.isoformat()),
        ),
        days=views.days_of(on_chosen, zone),
        chosen_label=views.day_label(chosen) if chosen else "",
        earlier_query=(
            search_query(
                values,
                extra,
                **{
                    "from": max(earlier, today).isoformat(),
                    "to": (max(earlier, today) + timedelta(days=span - 1)).isoformat(),
                    "day": "",
                },
            )
            if first > today
            else ""
        ),
        later_query=search_query(
            values,
            extra,
            **{
                "from": (last + timedelta(days=1)).isoformat(),
                "to": (last + timedelta(days=span)).isoformat(),
                "day": "",
            },
        ),
    )


@router.get("/book", name="book_page")
def book(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
) -> HTMLResponse:
    values = search_values(request.query_params)
    errors: dict[str, str] = {}
    every_clinician, _total = clinic_repository.clinicians(
        session=session, specialty=None, limit=200, offset=0
    )
    searched = bool(values.specialty or values.clinician_id)
    in_specialty = [
        c for c in every_clinician if not values.specialty or c.specialty == values.specialty
    ]
    kinds = offered_types(session, candidate_clinicians(every_clinician, values))
    if searched:
        values = with_type_chosen(values, kinds)
        mismatch = outside_specialty(every_clinician, values)
        if mismatch:
            errors["clinician_id"] = mismatch
    found = find_slots(session=session, now=now, values=values, errors=errors) if searched else ()
    shown = calendar_of(found=found, values=values, now=now)
    back = search_query(values)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    page = views.BookPage(
        frame=visit.frame(title="Find a specialist and book", current="/book"),
        specialties=views.specialty_choices(),
        clinicians=views.clinician_choices(in_specialty),
        appointment_types=views.type_choices(kinds),
        values=values,
        errors=errors,
        searched=searched,
        calendar=shown,
        here="/book",
        back=back,
        time_zone=zone_name(),
        can_book=visit.actor.role == Role.patient.value and visit.actor.user_id is not None,
        sign_in_href="/login?" + urlencode({"next": here}),
    )
    return render(request, "scheduling/book.html", page, visit, status_code=422 if errors else 200)
