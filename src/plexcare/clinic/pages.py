"""Find our specialists: the public pages with each clinician's profile (specialty, languages,
what they see patients for) and their next free time, filtered by specialty.

Deliberately public, like the hospital page they serve: a profile holds nothing about any
patient. The next free time comes from the same slot search the booking pages use, so the
time a profile promises is one the booking page offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from plexcare.clinic import repository
from plexcare.clinic.models import Clinician
from plexcare.config import get_settings
from plexcare.portal import form_values
from plexcare.portal.layout import PortalPage, when_label
from plexcare.portal.rendering import VisitDep, message, render
from plexcare.scheduling import search
from plexcare.scheduling.pages.views import SPECIALTY_LABELS
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
HOME = "/specialists"


@dataclass(frozen=True)
class SpecialistView:
    id: int
    name: str
    specialty: str
    specialty_label: str
    biography: str
    languages: str
    sees: str
    next_free: str
    book_href: str
    profile_href: str


@dataclass(frozen=True, kw_only=True)
class SpecialistsPage(PortalPage):
    specialists: tuple[SpecialistView, ...]
    specialties: tuple[tuple[str, str], ...]
    chosen: str
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class SpecialistPage(PortalPage):
    specialist: SpecialistView


def specialist_view(
    person: Clinician, *, found: search.FoundSlot | None, zone: ZoneInfo
) -> SpecialistView:
    """The profile as a patient reads it, with `found`, the next free time of any visit type
    they offer (`search.earliest_by_clinician`)."""
    query = urlencode({"specialty": person.specialty, "clinician_id": person.id})
    return SpecialistView(
        id=person.id,
        name=person.full_name,
        specialty=person.specialty,
        specialty_label=SPECIALTY_LABELS.get(person.specialty, person.specialty),
        biography=person.biography,
        languages=person.languages,
        sees=person.sees,
        next_free=when_label(found.slot.start, zone) if found else "",
        book_href=f"/book?{query}",
        profile_href=f"{HOME}/{person.id}",
    )


@router.get(HOME, name="specialists")
def specialists(
    request: Request, visit: VisitDep, session: DbSession, now: Now, specialty: str = ""
) -> Response:
    error = ""
    chosen = specialty
    if chosen and chosen not in SPECIALTY_LABELS:
        error = "Choose a specialty from the list."
        chosen = ""
    rows, _total = repository.clinicians(
        session=session, specialty=chosen or None, limit=200, offset=0
    )
    zone = get_settings().clinic_zone
    # One search for every clinician listed, not one per profile.
    next_free = search.earliest_by_clinician(session=session, now=now, specialty=chosen or None)
    page = SpecialistsPage(
        frame=visit.frame(title="Find our specialists", current=HOME),
        specialists=tuple(
            specialist_view(row, found=next_free.get(row.id), zone=zone) for row in rows
        ),
        specialties=tuple(SPECIALTY_LABELS.items()),
        chosen=chosen,
        error=error,
    )
    session.commit()
    return render(
        request, "clinic/specialists.html", page, visit, status_code=422 if error else 200
    )


@router.get(HOME + "/{clinician_id}", name="specialist")
def specialist(
    request: Request, clinician_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    chosen = form_values.record_id(clinician_id)
    person = (
        repository.clinician(session=session, clinician_id=chosen) if chosen is not None else None
    )
    if person is None:
        return message(
            request,
            visit,
            status_code=404,
            heading="Specialist not found",
            text="There is no such specialist at the clinic.",
            next_href=HOME,
            next_label="See all our specialists",
        )
    page = SpecialistPage(
        frame=visit.frame(title=person.full_name, current=HOME),
        specialist=specialist_view(
            person,
            found=search.earliest(session=session, now=now, clinician_id=person.id),
            zone=get_settings().clinic_zone,
        ),
    )
    session.commit()
    return render(request, "clinic/specialist.html", page, visit)
