"""The demo clinic's health packages, and the visit types they need that the clinic lacks.

Called from `clinic.demo.load_demo_clinic`, so `plexcare demo load` (and the first
`make run`) shows a catalogue whose every package can actually be booked.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from plexcare.clinic import repository as clinic_repository
from plexcare.clinic import service as clinic
from plexcare.clinic.service import Specialty
from plexcare.packages import repository
from plexcare.packages.catalogue import DEFAULT_CATALOGUE
from plexcare.packages.service import add_package

EXTRA_TYPES = (
    ("mri_review", "MRI review with the neurologist", 30, (Specialty.neurology,)),
    ("second_opinion_review", "Review of your records", 30, (Specialty.neurology,)),
    (
        "physiotherapy_assessment",
        "Physiotherapy assessment",
        60,
        (Specialty.physical_medicine_rehabilitation,),
    ),
)


def load_demo_packages(*, session: Session) -> None:
    """Add the missing visit types (offered by the right specialists) and the catalogue."""
    known = {kind.code for kind in clinic_repository.appointment_types(session=session)}
    clinicians, _total = clinic_repository.clinicians(
        session=session, specialty=None, limit=1000, offset=0
    )
    for code, name, minutes, specialties in EXTRA_TYPES:
        if code in known:
            continue
        kind = clinic.add_appointment_type(
            session=session, code=code, name=name, duration_minutes=minutes, buffer_minutes=10
        )
        for person in clinicians:
            if person.specialty in specialties:
                clinic.offer_appointment_types(
                    session=session, clinician=person, appointment_types=(kind,)
                )
    for package in DEFAULT_CATALOGUE:
        if repository.package_by_code(session=session, code=package.code) is None:
            add_package(session=session, package=package)
    session.flush()
