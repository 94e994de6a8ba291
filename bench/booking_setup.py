"""A throw-away PostgreSQL clinic for the booking benchmark: database, schema, clinicians,
patients with bearer tokens, and the free slots the clients will book.

Everything here goes through plexcare's migrations and services (not hand-written SQL), so the
benchmark measures the schema and indexes production runs with. Setup runs in-process rather
than over HTTP because only the booking requests are being measured.
"""

from __future__ import annotations

import bisect
import os
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare import migrate
from plexcare.accounts import service as accounts
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.clinic import service as clinic
from plexcare.clinic.demo import load_demo_clinic
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.clinic.service import Specialty
from plexcare.config import Settings
from plexcare.db import engine_for, session_factory, utc_now
from plexcare.scheduling import search

SERVER = os.environ.get("PLEXCARE_BENCH_SERVER", "postgres@127.0.0.1:5432")
"""user@host:port of the PostgreSQL server (trust authentication) the benchmark may use."""

EXTRA_CLINICIANS = 122
"""Generated clinicians on top of the demo six, each with ~1,200 follow-up slots in the 90-day
booking window: 128 on one grid, so each of the 128 hands dealt without overlap holds a slot
at nearly every time (about 150,000 in all), and neither group of 32 clients runs dry at
2,000 bookings a second."""

CONTESTED_HOURS = 4
"""Hours of one clinician that every client races for in the contention phase."""

OPEN_APPOINTMENTS_LIMIT = Settings.model_fields["max_open_appointments"].default
"""`PLEXCARE_MAX_OPEN_APPOINTMENTS` for the bench server: the app's own default (6), set
explicitly so the environment cannot change it."""
BOOKINGS_PER_PATIENT = OPEN_APPOINTMENTS_LIMIT
"""Each booking patient books this many slots, up to the limit and never past it: as in the
clinic, many patients with a few upcoming appointments each, so the limit's count reads what
it reads in production (about 25,000 patients for the two groups of 32 clients)."""

TOKEN_LIFETIME = timedelta(hours=6)
SEARCH_DAYS = 60


def admin_dsn(database: str = "postgres") -> str:
    return f"postgresql://{SERVER}/{database}"


def sqlalchemy_url(database: str) -> str:
    return f"postgresql+psycopg://{SERVER}/{database}"


def server_problem() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    try:
        with psycopg.connect(admin_dsn(), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"no PostgreSQL server at {SERVER} ({str(error).strip().splitlines()[0]})"
    return None


def run_admin(statement: str) -> None:
    """CREATE/DROP DATABASE and CHECKPOINT cannot run inside a transaction: autocommit."""
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        connection.execute(statement.encode())


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A new, empty database for the run, dropped afterwards whatever happened."""
    run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run_admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Patient:
    user_id: int
    token: str


@dataclass(frozen=True)
class SlotToBook:
    clinician_id: int
    appointment_type_id: int
    starts_at: datetime
    ends_at: datetime
    """End of the patient's time (no buffer): one patient's appointments may not overlap."""

    def body(self) -> dict[str, object]:
        return {
            "clinician_id": self.clinician_id,
            "appointment_type_id": self.appointment_type_id,
            "starts_at": self.starts_at.isoformat(),
        }


@dataclass(frozen=True)
class ContestedHour:
    """One hour of the contested clinician and the three bookings that compete for it: a
    60-minute consultation (45 + 15 buffer) at the top of the hour, and two 30-minute follow-ups
    (20 + 10) at :00 and :30, each of which overlaps the consultation."""

    starts_at: datetime
    contenders: tuple[SlotToBook, ...]


@dataclass(frozen=True)
class BenchClinic:
    database_url: str
    patients: list[Patient]
    free_slots: list[SlotToBook]
    """Shuffled, pairwise non-overlapping follow-up slots for the uncontended phases."""
    contested_clinician_id: int
    contested_hours: list[ContestedHour]


def _add_generated_clinicians(*, session: Session, follow_up: AppointmentType) -> None:
    for number in range(EXTRA_CLINICIANS):
        person = clinic.add_clinician(
            session=session,
            full_name=f"Dr Bench Clinician {number:02d}",
            specialty=Specialty.neurology,
            biography="Generated for the booking benchmark.",
        )
        clinic.offer_appointment_types(
            session=session, clinician=person, appointment_types=[follow_up]
        )
        for weekday in range(5):
            clinic.add_weekly_hours(
                session=session, clinician=person, weekday=weekday, starts=time(8), ends=time(18)
            )
    session.flush()


def _add_patients(
    *, session: Session, count: int, now: datetime, first_number: int = 0
) -> list[Patient]:
    """The first patient through `create_user`; the rest reuse its Argon2 hash, because one
    hash costs ~0.2 s here and no benchmark patient ever signs in with a password."""
    if first_number == 0:
        first = accounts.create_user(
            session=session,
            email="bench-patient-0@bench.plexcare.example",
            password="bench-patient-password",
            full_name="Bench Patient 0",
            role=Role.patient,
            now=now,
        )
        users, password_hash = [first], first.password_hash
    else:
        users, password_hash = (
            [],
            session.scalars(
                select(User.password_hash).where(
                    User.email == "bench-patient-0@bench.plexcare.example"
                )
            ).one(),
        )
    for number in range(first_number + len(users), first_number + count):
        user = User(
            email=f"bench-patient-{number}@bench.plexcare.example",
            password_hash=password_hash,
            role=Role.patient.value,
            full_name=f"Bench Patient {number}",
            consent_email=True,
            consent_sms=False,
            is_active=True,
            created_at=now,
        )
        session.add(user)
        users.append(user)
    session.flush()
    patients = []
    for user in users:
        raw, _ = accounts.issue_token(
            session=session, user=user, kind="bearer", now=now, lifetime=TOKEN_LIFETIME
        )
        patients.append(Patient(user_id=user.id, token=raw))
    return patients


def add_patients(*, database_url: str, count: int, first_number: int) -> list[Patient]:
    """`count` more patients with bearer tokens, after `build_clinic` (numbered on from
    `first_number`, the number it made)."""
    with session_factory(database_url)() as session:
        patients = _add_patients(
            session=session, count=count, now=utc_now(), first_number=first_number
        )
        session.commit()
    engine_for(database_url).dispose()
    return patients


def _follow_up_slots(
    *, session: Session, clinician: Clinician, follow_up: AppointmentType, now: datetime
) -> list[SlotToBook]:
    """Every free follow-up slot in the booking window, as the public slot search finds them.
    Follow-ups step by their own occupied time, so they never overlap one another."""
    slots: list[SlotToBook] = []
    first = now.date()
    while first <= (now + timedelta(days=follow_up.horizon_days)).date():
        found = search.search(
            session=session,
            now=now,
            first_day=first,
            last_day=first + timedelta(days=SEARCH_DAYS - 1),
            clinician_id=clinician.id,
            appointment_type_id=follow_up.id,
            limit=100_000,
        )
        slots.extend(
            SlotToBook(clinician.id, follow_up.id, item.slot.start, item.slot.end) for item in found
        )
        first += timedelta(days=SEARCH_DAYS)
    return slots


def _contested_hours(
    *,
    session: Session,
    clinician: Clinician,
    consultation: AppointmentType,
    follow_up: AppointmentType,
    now: datetime,
) -> list[ContestedHour]:
    """The clinician's first consultation slots at least two days out, so the minimum notice
    cannot close them during the run."""
    first_day = (now + timedelta(days=2)).date()
    found = search.search(
        session=session,
        now=now,
        first_day=first_day,
        last_day=first_day + timedelta(days=14),
        clinician_id=clinician.id,
        appointment_type_id=consultation.id,
        limit=CONTESTED_HOURS,
    )
    half_hour = timedelta(minutes=30)
    follow_up_length = timedelta(minutes=follow_up.duration_minutes)
    hours = []
    for item in found:
        half_past = item.slot.start + half_hour
        hours.append(
            ContestedHour(
                starts_at=item.slot.start,
                contenders=(
                    SlotToBook(clinician.id, consultation.id, item.slot.start, item.slot.end),
                    SlotToBook(
                        clinician.id,
                        follow_up.id,
                        item.slot.start,
                        item.slot.start + follow_up_length,
                    ),
                    SlotToBook(clinician.id, follow_up.id, half_past, half_past + follow_up_length),
                ),
            )
        )
    return hours


class PatientCalendar:
    """The times one patient has been dealt, to keep any two of them from overlapping (the
    app refuses a patient two appointments at once, front desk included)."""

    def __init__(self) -> None:
        self._starts: list[datetime] = []
        self._ends: list[datetime] = []

    def fits(self, slot: SlotToBook) -> bool:
        """Sorted, non-overlapping intervals: only the neighbours around `slot` can clash."""
        at = bisect.bisect_left(self._starts, slot.starts_at)
        if at < len(self._starts) and self._starts[at] < slot.ends_at:
            return False
        return at == 0 or self._ends[at - 1] <= slot.starts_at

    def add(self, slot: SlotToBook) -> None:
        at = bisect.bisect_left(self._starts, slot.starts_at)
        self._starts.insert(at, slot.starts_at)
        self._ends.insert(at, slot.ends_at)


def deal_without_overlap(slots: Sequence[SlotToBook], hands: int) -> list[list[SlotToBook]]:
    """Deal the slots in order, round-robin, into `hands` lists so that no hand holds two
    slots whose times overlap; a slot goes to the next hand free at that time. Each hand
    keeps the shuffled order, so every client still books all over the calendar. A slot no
    hand is free for is left out (few, with as many hands as clinicians on the shared grid:
    at most one free slot per clinician starts at any time)."""
    calendars = [PatientCalendar() for _ in range(hands)]
    dealt: list[list[SlotToBook]] = [[] for _ in range(hands)]
    turn = 0
    for slot in slots:
        for step in range(hands):
            hand = (turn + step) % hands
            if calendars[hand].fits(slot):
                calendars[hand].add(slot)
                dealt[hand].append(slot)
                turn = hand + 1
                break
    return dealt


def build_clinic(*, database: str, patient_count: int, seed: int = 20261126) -> BenchClinic:
    """Migrate the scratch database and fill it; returns what the clients need."""
    url = sqlalchemy_url(database)
    migrate.upgrade(url)
    now = utc_now()
    with session_factory(url)() as session:
        load_demo_clinic(session=session, now=now)
        types = {kind.code: kind for kind in session.scalars(select(AppointmentType))}
        follow_up, consultation = types["follow_up"], types["new_consultation"]
        _add_generated_clinicians(session=session, follow_up=follow_up)
        patients = _add_patients(session=session, count=patient_count, now=now)
        session.commit()
        clinicians = list(session.scalars(select(Clinician).order_by(Clinician.id)))
        contested = next(c for c in clinicians if c.specialty == Specialty.pain_medicine)
        free_slots = [
            slot
            for person in clinicians
            if person.id != contested.id
            for slot in _follow_up_slots(
                session=session, clinician=person, follow_up=follow_up, now=now
            )
        ]
        hours = _contested_hours(
            session=session,
            clinician=contested,
            consultation=consultation,
            follow_up=follow_up,
            now=now,
        )
    engine_for(url).dispose()
    random.Random(seed).shuffle(free_slots)
    # Slots in the next few hours could pass their minimum notice mid-run; leave them out.
    soon = datetime.now(UTC) + timedelta(hours=6)
    free_slots = [slot for slot in free_slots if slot.starts_at > soon]
    return BenchClinic(
        database_url=url,
        patients=patients,
        free_slots=free_slots,
        contested_clinician_id=contested.id,
        contested_hours=hours,
    )


@dataclass(frozen=True)
class Turn:
    """One booking an uncontended client makes: whose, and which slot."""

    patient: Patient
    slot: SlotToBook


def turns_of(
    dealt: Sequence[Sequence[SlotToBook]], patients: Sequence[Patient]
) -> list[list[Turn]]:
    """Each hand's slots (pairwise non-overlapping) given out `BOOKINGS_PER_PATIENT` at a time
    to patients of its own, so no patient has two overlapping slots or one over the limit."""
    supply = iter(patients)
    hands = []
    for hand in dealt:
        turns = []
        for first in range(0, len(hand), BOOKINGS_PER_PATIENT):
            patient = next(supply)
            turns += [Turn(patient, slot) for slot in hand[first : first + BOOKINGS_PER_PATIENT]]
        hands.append(turns)
    return hands


def patients_needed(dealt: Sequence[Sequence[SlotToBook]]) -> int:
    return sum(-(-len(hand) // BOOKINGS_PER_PATIENT) for hand in dealt)
