"""`make bench`, slot search: 50 clinicians over 90 days, on SQLite and on PostgreSQL.

Target (issue 14): p99 < 50 ms for a search over 50 clinicians and 90 days.

The clinic: 50 clinicians in three specialties, each offering a 30-minute consultation, a
20-minute follow-up (10 minutes' buffer) and, for the neurologists, a 60-minute EMG (15 minutes'
buffer) that needs one of two rooms and one of two machines; Monday to Friday 09:00-17:00 with a
lunch break, a week of leave each, an evening extra session now and then, the public holidays and
one admin closure. About 60 % of every clinician's consultation grid over the 90 days is booked
(appointments, some with a room and a machine), plus a few live and lapsed holds: the calendar
the search has to read is the full one, not an empty clinic.

Measured, each in a fresh session as a request has it, in a process whose long-lived objects
are kept out of the cycle collector as a server's are once it starts (`web.long_lived`),
p50/p99 over `RUNS` runs:
- search: `search.slots_between` over all 50 clinicians and 90 days, first 50 slots (what the
  booking page and `GET /slots` ask, over the whole window);
- every slot: the same, every free slot of the 90 days (the whole expansion);
- next free per clinician: `search.earliest_by_clinician`, the specialists page;
- and the search as it was (one read per clinician and type), a few runs, for comparison.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time as clock
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench.booking_setup import scratch_database, server_problem, sqlalchemy_url
from sqlalchemy import insert
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType
from plexcare.clinic.service import Specialty
from plexcare.db import engine_for, session_factory
from plexcare.migrate import upgrade
from plexcare.scheduling import availability, search
from plexcare.scheduling.models import (
    Appointment,
    AppointmentResource,
    ClinicDay,
    ClinicianReservation,
    SlotHold,
)
from plexcare.schema import load_all_models
from plexcare.web.long_lived import keep_out_of_collection

CLINICIANS = 50
DAYS = 90
RUNS = 60
OLD_RUNS = 3
BOOKED_SHARE = 0.6
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""Monday morning, GMT; the 90 days reach past the clocks going forward and Easter."""


def _build(session: Session, seed: int = 20261206) -> None:
    rng = random.Random(seed)
    rooms = [
        clinic.add_resource(session=session, name=f"EMG room {n}", kind="emg_room") for n in (1, 2)
    ]
    machines = [
        clinic.add_resource(session=session, name=f"EMG machine {n}", kind="emg_machine")
        for n in (1, 2)
    ]
    consult = clinic.add_appointment_type(
        session=session, code="consult", name="Consultation", duration_minutes=30
    )
    follow_up = clinic.add_appointment_type(
        session=session, code="follow_up", name="Follow-up", duration_minutes=20, buffer_minutes=10
    )
    emg = clinic.add_appointment_type(
        session=session,
        code="emg",
        name="EMG",
        duration_minutes=60,
        buffer_minutes=15,
        resource_kinds=("emg_room", "emg_machine"),
    )
    patients = []
    for number in range(CLINICIANS):
        user = User(
            email=f"slot-bench-{number}@bench.plexcare.example",
            password_hash="not-a-password",
            role="patient",
            full_name=f"Bench Patient {number}",
            consent_email=False,
            consent_sms=False,
            is_active=True,
            created_at=NOW,
        )
        session.add(user)
        patients.append(user)
    session.flush()
    specialties = (
        Specialty.neurology,
        Specialty.pain_medicine,
        Specialty.physical_medicine_rehabilitation,
    )
    reservations: list[dict[str, Any]] = []
    appointments: list[dict[str, Any]] = []
    resource_rows: list[dict[str, Any]] = []
    holds: list[dict[str, Any]] = []
    resource_taken: set[tuple[int, datetime]] = set()
    for number in range(CLINICIANS):
        specialty = specialties[number % len(specialties)]
        person = clinic.add_clinician(
            session=session, full_name=f"Dr Slot Bench {number:02d}", specialty=specialty
        )
        offered: list[AppointmentType] = [consult, follow_up]
        if specialty is Specialty.neurology:
            offered.append(emg)
        clinic.offer_appointment_types(session=session, clinician=person, appointment_types=offered)
        for weekday in range(5):
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
        leave = NOW.date() + timedelta(days=rng.randrange(7, 80))
        clinic.add_exception(
            session=session,
            clinician_id=person.id,
            kind=availability.ExceptionKind.LEAVE,
            first_day=leave,
            last_day=leave + timedelta(days=6),
        )
        if number % 5 == 0:
            extra = NOW.date() + timedelta(days=rng.randrange(3, 80))
            clinic.add_exception(
                session=session,
                clinician_id=person.id,
                kind=availability.ExceptionKind.EXTRA_SESSION,
                first_day=extra,
                last_day=extra,
                starts=time(17, 30),
                ends=time(20),
            )
        for offset in range(DAYS):
            day = NOW.date() + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for hour, minute in [(h, m) for h in range(9, 17) for m in (0, 30)]:
                if (hour, minute) in ((12, 30), (13, 0)) or rng.random() >= BOOKED_SHARE:
                    continue
                starts = availability.wall_clock_to_utc(
                    day=day, wall_time=time(hour, minute), time_zone="Europe/London"
                )
                ends = starts + timedelta(minutes=30)
                reservation_id = len(reservations) + 1
                reservations.append(
                    {
                        "id": reservation_id,
                        "clinician_id": person.id,
                        "starts_at": starts,
                        "blocked_until": ends,
                    }
                )
                if rng.random() < 0.01:
                    holds.append(
                        {
                            "reservation_id": reservation_id,
                            "patient_id": patients[number].id,
                            "clinician_id": person.id,
                            "appointment_type_id": consult.id,
                            "starts_at": starts,
                            "blocked_until": ends,
                            "expires_at": NOW + timedelta(minutes=rng.choice((-5, 10))),
                        }
                    )
                    continue
                appointment_id = len(appointments) + 1
                appointments.append(
                    {
                        "id": appointment_id,
                        "uid": uuid.uuid4().hex,
                        "patient_id": patients[number].id,
                        "clinician_id": person.id,
                        "appointment_type_id": consult.id,
                        "starts_at": starts,
                        "ends_at": ends,
                        "blocked_until": ends,
                        "status": "booked",
                        "sequence": 0,
                        "created_at": NOW,
                        "updated_at": NOW,
                        "strike": False,
                        "reservation_id": reservation_id,
                    }
                )
                if specialty is Specialty.neurology and rng.random() < 0.2:
                    for pool in (rooms, machines):
                        for resource in pool:
                            if (resource.id, starts) not in resource_taken:
                                resource_taken.add((resource.id, starts))
                                resource_rows.append(
                                    {
                                        "appointment_id": appointment_id,
                                        "resource_id": resource.id,
                                        "starts_at": starts,
                                        "blocked_until": ends,
                                    }
                                )
                                break
    session.flush()
    session.execute(insert(ClinicianReservation), reservations)
    session.execute(insert(Appointment), appointments)
    session.execute(insert(AppointmentResource), resource_rows)
    session.execute(insert(SlotHold), holds)
    session.add(ClinicDay(day=date(2026, 4, 14), is_open=False, note="Away day", changed_at=NOW))
    session.commit()
    print(
        f"  clinic: {CLINICIANS} clinicians, {len(appointments)} appointments, "
        f"{len(holds)} holds over {DAYS} days"
    )


def _timed(url: str, runs: int, call: Callable[[Session], int]) -> tuple[list[float], int]:
    times = []
    found = 0
    make = session_factory(url)
    for _ in range(runs):
        with make() as session:
            started = clock.perf_counter()
            found = call(session)
            times.append((clock.perf_counter() - started) * 1000)
    return times, found


def _report(label: str, times: list[float], found: int) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"  {label:<34} p50 {statistics.median(ordered):7.1f} ms   p99 {p99:7.1f} ms   "
        f"({len(ordered)} runs, {found} found)"
    )


def _measure(url: str) -> None:
    upgrade(url)
    with session_factory(url)() as session:
        _build(session)
    last = NOW.date() + timedelta(days=DAYS - 1)

    def first_fifty(session: Session) -> int:
        return len(
            search.slots_between(session=session, now=NOW, first_day=NOW.date(), last_day=last)
        )

    def every_slot(session: Session) -> int:
        return len(
            search.slots_between(
                session=session, now=NOW, first_day=NOW.date(), last_day=last, limit=1_000_000
            )
        )

    def per_clinician(session: Session) -> int:
        return len(search.earliest_by_clinician(session=session, now=NOW))

    _timed(url, 3, first_fifty)  # warm the statement cache and the holiday calendar
    keep_out_of_collection()
    _report("search, first 50 slots", *_timed(url, RUNS, first_fifty))
    _report("every free slot of the 90 days", *_timed(url, max(RUNS // 4, 5), every_slot))
    _report("next free time of each clinician", *_timed(url, RUNS, per_clinician))
    try:
        from tests.scheduling.test_slot_search import per_clinician_search
    except ImportError:
        return

    def before(session: Session) -> int:
        return len(
            per_clinician_search(
                session=session,
                now=NOW,
                first_day=NOW.date(),
                last_day=last,
                specialty=None,
                clinician_id=None,
                appointment_type_id=None,
                limit=50,
            )
        )

    _report("before: one read per clinician, 50", *_timed(url, OLD_RUNS, before))


def main() -> None:
    load_all_models()
    print(f"slot search over {CLINICIANS} clinicians x {DAYS} days (target p99 < 50 ms)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'slots.db'}"
        print("SQLite:")
        _measure(url)
        engine_for(url).dispose()
    problem = server_problem()
    if problem:
        print(f"PostgreSQL: skipped, {problem}")
        return
    with scratch_database(f"plexcare_slot_bench_{uuid.uuid4().hex[:8]}") as name:
        url = sqlalchemy_url(name)
        print("PostgreSQL:")
        try:
            _measure(url)
        finally:
            engine_for(url).dispose()


if __name__ == "__main__":
    main()
