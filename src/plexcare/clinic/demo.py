"""The demo clinic `plexcare demo load` (and the first `make run`) creates.

Six clinicians across the four specialties a patient with lumbosacral plexopathy meets, weekly
hours with a lunch break, an EMG room and machine, the visit types, and one login per role.
The demo logins use fixed, published passwords: they exist only in a demo database, and they
are the only passwords plexcare ever prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.roles import Role
from plexcare.clinic import repository
from plexcare.clinic import service as clinic
from plexcare.clinic.service import Specialty
from plexcare.packages.demo import load_demo_packages


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    password: str


DEMO_LOGINS = (
    DemoLogin(Role.admin, "admin@demo.plexcare.example", "demo-admin-password"),
    DemoLogin(Role.front_desk, "desk@demo.plexcare.example", "demo-desk-password"),
    DemoLogin(Role.clinician, "okafor@demo.plexcare.example", "demo-clinician-password"),
    DemoLogin(Role.patient, "patient@demo.plexcare.example", "demo-patient-password"),
)

CLINICIANS = (
    ("Dr Ada Okafor", Specialty.neurology, "Neuromuscular neurologist; nerve conduction and EMG."),
    ("Dr Tomas Lind", Specialty.neurology, "Peripheral nerve and plexus disorders."),
    ("Ms Priya Raman", Specialty.neurosurgery, "Spine and peripheral nerve surgery."),
    (
        "Dr Grace Mensah",
        Specialty.physical_medicine_rehabilitation,
        "Rehabilitation after nerve injury; orthoses and gait.",
    ),
    (
        "Dr Luis Ortega",
        Specialty.physical_medicine_rehabilitation,
        "Electrodiagnosis and rehabilitation.",
    ),
    ("Dr Hannah Weiss", Specialty.pain_medicine, "Neuropathic pain management."),
)

PROFILES = {
    "Dr Ada Okafor": (
        "English, Yoruba",
        "Leg weakness, numbness or pain that may come from the nerves of the lower back and "
        "pelvis; nerve conduction studies and EMG.",
    ),
    "Dr Tomas Lind": (
        "English, Swedish",
        "Plexus and peripheral nerve problems, including after surgery, childbirth or injury.",
    ),
    "Ms Priya Raman": (
        "English, Tamil, Hindi",
        "Nerve compression that may need an operation: spinal canal narrowing, disc problems, "
        "nerve tumours.",
    ),
    "Dr Grace Mensah": (
        "English, French",
        "Getting walking again after nerve injury: exercise plans, foot drop splints, aids.",
    ),
    "Dr Luis Ortega": (
        "English, Spanish, Portuguese",
        "Rehabilitation with nerve testing, for weakness that is slow to recover.",
    ),
    "Dr Hannah Weiss": (
        "English, German",
        "Burning, shooting or constant nerve pain that ordinary painkillers do not help.",
    ),
}
"""Languages and what each demo clinician sees patients for, for the specialists pages."""


def load_demo_clinic(*, session: Session, now: datetime) -> bool:
    """Create the demo clinic unless clinicians already exist; True when it was created.

    A demo clinic created before the specialists' profiles existed gets them filled in."""
    if not repository.clinic_is_empty(session=session):
        fill_demo_profiles(session=session)
        return False
    room = clinic.add_resource(session=session, name="EMG room 1", kind="emg_room")
    clinic.add_resource(session=session, name="EMG machine 1", kind="emg_machine")
    del room
    consultation = clinic.add_appointment_type(
        session=session,
        code="new_consultation",
        name="New patient consultation",
        duration_minutes=45,
        buffer_minutes=15,
    )
    follow_up = clinic.add_appointment_type(
        session=session,
        code="follow_up",
        name="Follow-up visit",
        duration_minutes=20,
        buffer_minutes=10,
    )
    emg = clinic.add_appointment_type(
        session=session,
        code="emg_ncs",
        name="Nerve conduction study and EMG",
        duration_minutes=60,
        buffer_minutes=15,
        minimum_notice_minutes=24 * 60,
        resource_kinds=("emg_room", "emg_machine"),
    )
    logins = {login.role: login for login in DEMO_LOGINS}
    users = {
        role: accounts.create_user(
            session=session,
            email=login.email,
            password=login.password,
            full_name=f"Demo {role.value.replace('_', ' ')}",
            role=role,
            now=now,
            phone="+442079460018" if role is Role.patient else None,
        )
        for role, login in logins.items()
    }
    for index, (name, specialty, biography) in enumerate(CLINICIANS):
        languages, sees = PROFILES.get(name, ("", ""))
        person = clinic.add_clinician(
            session=session,
            full_name=name,
            specialty=specialty,
            biography=biography,
            user_id=users[Role.clinician].id if index == 0 else None,
            languages=languages,
            sees=sees,
        )
        offered = [consultation, follow_up]
        if specialty in (Specialty.neurology, Specialty.physical_medicine_rehabilitation):
            offered.append(emg)
        clinic.offer_appointment_types(session=session, clinician=person, appointment_types=offered)
        for weekday in range(5):
            if (weekday + index) % 5 == 4:
                continue  # each clinician has one weekday off
            clinic.add_weekly_hours(
                session=session, clinician=person, weekday=weekday, starts=time(9), ends=time(17)
            )
            clinic.add_weekly_break(
                session=session,
                clinician=person,
                weekday=weekday,
                starts=time(12, 30),
                ends=time(13, 30),
            )
    load_demo_packages(session=session)
    session.flush()
    return True


def fill_demo_profiles(*, session: Session) -> None:
    """Languages and what they see for demo clinicians whose profile is still empty."""
    clinicians, _total = repository.clinicians(
        session=session, specialty=None, limit=1000, offset=0
    )
    for person in clinicians:
        if person.full_name in PROFILES and not person.languages and not person.sees:
            person.languages, person.sees = PROFILES[person.full_name]
    session.flush()
