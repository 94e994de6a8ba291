"""The slot search reads the rota once and expands it in memory; it must answer exactly what the
per-clinician rules answered when every clinician and type was read on its own.

`per_clinician_search` and `per_clinician_earliest` below are the search as it was before
(one schedule, closure, busy-time and resource read per clinician and type, then
`availability.find_slots` / `earliest_slot`), kept here as the reference. Hypothesis builds
random clinics (weekly hours and breaks, leave, holidays and extra sessions, the clinic's
closures and openings around the public holidays, appointments in every status, live and
lapsed holds, rooms and machines, types with their own length, buffer, notice and horizon) and
random searches, and the two must agree slot for slot, or fail with the same error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic import service as clinic
from plexcare.clinic.models import (
    AppointmentType,
    AvailabilityException,
    Clinician,
    WeeklyBreak,
    WeeklyHours,
)
from plexcare.config import get_settings
from plexcare.db import engine_for, session_factory
from plexcare.errors import NotFound, ServiceError
from plexcare.scheduling import availability, closures, search
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.models import (
    Appointment,
    AppointmentResource,
    ClinicDay,
    ClinicianReservation,
    SlotHold,
)
from tests.conftest_db import TEST_NOW, SmallClinic, add_user, empty_tables, make_app

T = TypeVar("T")

# --- the search as it was: one read of everything per clinician and appointment type ----------


def _pairs(
    *,
    session: Session,
    specialty: str | None,
    clinician_id: int | None,
    appointment_type_id: int | None,
) -> list[tuple[Clinician, AppointmentType]]:
    if clinician_id is not None:
        one = clinic_repository.clinician(session=session, clinician_id=clinician_id)
        if one is None:
            raise NotFound("no such clinician", field="clinician_id")
        clinicians = [one]
    else:
        query = select(Clinician).order_by(Clinician.id)
        if specialty is not None:
            query = query.where(Clinician.specialty == specialty)
        clinicians = list(session.scalars(query))
    types = {kind.id: kind for kind in clinic_repository.appointment_types(session=session)}
    if appointment_type_id is not None and appointment_type_id not in types:
        raise NotFound("no such appointment type", field="appointment_type_id")
    pairs = []
    for person in clinicians:
        if specialty is not None and person.specialty != specialty:
            continue
        for type_id in sorted(
            clinic_repository.offered_type_ids(session=session, clinician_id=person.id)
        ):
            if appointment_type_id is None or type_id == appointment_type_id:
                pairs.append((person, types[type_id]))
    return pairs


def _slots_for(
    *,
    session: Session,
    person: Clinician,
    kind: AppointmentType,
    first_day: date | None,
    last_day: date | None,
    now: datetime,
) -> list[availability.Slot]:
    zone = get_settings().clinic_timezone
    schedule = clinic.schedule_for(session=session, clinician=person, time_zone=zone)
    domain_type = clinic.domain_appointment_type(session=session, appointment_type=kind)
    window = clinic.booking_window(kind)
    local_today = now.astimezone(schedule.zone).date()
    schedule = closures.with_closures(
        session=session,
        schedule=schedule,
        first_day=(first_day or local_today) - timedelta(days=1),
        last_day=(last_day or (now + window.horizon).astimezone(schedule.zone).date())
        + timedelta(days=1),
    )
    start = (
        datetime.combine(first_day, time(0), tzinfo=UTC) - timedelta(days=1) if first_day else now
    )
    end = (
        datetime.combine(last_day, time(0), tzinfo=UTC) + timedelta(days=2)
        if last_day
        else now + window.horizon + timedelta(days=1)
    )
    busy = scheduling_repository.clinician_busy(
        session=session, clinician_id=person.id, start=start, end=end, now=now
    )
    resource_busy = scheduling_repository.resource_busy(
        session=session,
        resource_ids=[int(rid) for need in domain_type.resource_needs for rid in need.candidates],
        start=start,
        end=end,
    )
    if first_day is None or last_day is None:
        found = availability.earliest_slot(
            schedule=schedule,
            appointment_type=domain_type,
            now=now,
            window=window,
            clinician_busy=busy,
            resource_busy=resource_busy,
        )
        return [found] if found else []
    return list(
        availability.find_slots(
            schedule=schedule,
            appointment_type=domain_type,
            first_day=first_day,
            last_day=last_day,
            now=now,
            window=window,
            clinician_busy=busy,
            resource_busy=resource_busy,
        )
    )


def per_clinician_search(
    *,
    session: Session,
    now: datetime,
    first_day: date,
    last_day: date,
    specialty: str | None,
    clinician_id: int | None,
    appointment_type_id: int | None,
    limit: int,
) -> list[search.FoundSlot]:
    found = [
        search.FoundSlot(clinician=person, appointment_type=kind, slot=slot)
        for person, kind in _pairs(
            session=session,
            specialty=specialty,
            clinician_id=clinician_id,
            appointment_type_id=appointment_type_id,
        )
        for slot in _slots_for(
            session=session,
            person=person,
            kind=kind,
            first_day=first_day,
            last_day=last_day,
            now=now,
        )
    ]
    found.sort(key=lambda item: (item.slot.start, item.clinician.id, item.appointment_type.id))
    return found[:limit]


def per_clinician_earliest(
    *,
    session: Session,
    now: datetime,
    specialty: str | None,
    clinician_id: int | None,
    appointment_type_id: int | None,
) -> search.FoundSlot | None:
    best: search.FoundSlot | None = None
    for person, kind in _pairs(
        session=session,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
    ):
        for slot in _slots_for(
            session=session, person=person, kind=kind, first_day=None, last_day=None, now=now
        ):
            if best is None or slot.start < best.slot.start:
                best = search.FoundSlot(clinician=person, appointment_type=kind, slot=slot)
    return best


# --- random clinics ----------------------------------------------------------------------------

SPECIALTIES = (clinic.Specialty.neurology, clinic.Specialty.pain_medicine)
RESOURCE_KINDS = ("room", "machine")
BASE_DAY = date(2026, 3, 2)
"""TEST_NOW's date. The searches reach past the clocks going forward (29 March), Good Friday,
Easter Monday and the May bank holidays."""
HOLIDAY_DAYS = (date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25))


@dataclass(frozen=True)
class TypePlan:
    duration: int
    buffer: int
    notice: int
    horizon: int
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    weekday: int
    start: time
    minutes: int


@dataclass(frozen=True)
class LeavePlan:
    kind: availability.ExceptionKind
    first: int
    days: int
    window: Window | None


@dataclass(frozen=True)
class BusyPlan:
    day: int
    minute: int
    minutes: int
    what: str
    resource: int | None


@dataclass(frozen=True)
class ClinicianPlan:
    specialty: str
    offers: tuple[int, ...]
    hours: tuple[Window, ...]
    breaks: tuple[Window, ...]
    leave: tuple[LeavePlan, ...]
    busy: tuple[BusyPlan, ...]


@dataclass(frozen=True)
class ClinicPlan:
    types: tuple[TypePlan, ...]
    rooms: int
    machines: int
    clinicians: tuple[ClinicianPlan, ...]
    clinic_days: tuple[tuple[date, bool], ...]
    now: datetime


def _window() -> st.SearchStrategy[Window]:
    return st.builds(
        Window,
        weekday=st.integers(0, 6),
        start=st.builds(time, st.integers(0, 20), st.sampled_from((0, 15, 30, 45))),
        minutes=st.integers(2, 40).map(lambda quarters: quarters * 15),
    )


_TYPES = st.builds(
    TypePlan,
    duration=st.sampled_from((15, 20, 30, 45, 60, 90)),
    buffer=st.sampled_from((0, 0, 5, 15)),
    notice=st.sampled_from((0, 60, 120, 1440, 4320)),
    horizon=st.integers(4, 90),  # longer than the longest notice (3 days)
    kinds=st.lists(st.sampled_from(RESOURCE_KINDS), max_size=2, unique=True).map(tuple),
)
_LEAVE = st.builds(
    LeavePlan,
    kind=st.sampled_from(tuple(availability.ExceptionKind)),
    first=st.integers(-3, 80),
    days=st.integers(0, 10),
    window=st.none() | _window(),
)
_BUSY = st.builds(
    BusyPlan,
    day=st.integers(-1, 75),
    minute=st.integers(24, 80).map(lambda quarters: quarters * 15),
    minutes=st.sampled_from((15, 30, 45, 60, 75, 90)),
    what=st.sampled_from(("booked", "completed", "no_show", "cancelled", "live", "lapsed")),
    resource=st.none() | st.integers(0, 3),
)


@st.composite
def clinic_plans(draw: st.DrawFn) -> ClinicPlan:
    types = tuple(draw(st.lists(_TYPES, min_size=1, max_size=3)))
    people = draw(
        st.lists(
            st.builds(
                ClinicianPlan,
                specialty=st.sampled_from(SPECIALTIES),
                offers=st.lists(st.integers(0, len(types) - 1), max_size=3, unique=True).map(tuple),
                hours=st.lists(_window(), max_size=6).map(tuple),
                breaks=st.lists(_window(), max_size=3).map(tuple),
                leave=st.lists(_LEAVE, max_size=3).map(tuple),
                busy=st.lists(_BUSY, max_size=12).map(tuple),
            ),
            min_size=1,
            max_size=3,
        )
    )
    days = draw(
        st.lists(
            st.tuples(st.sampled_from(HOLIDAY_DAYS) | st.integers(0, 80).map(_day), st.booleans()),
            max_size=4,
            unique_by=lambda item: item[0],
        )
    )
    return ClinicPlan(
        types=types,
        rooms=draw(st.sampled_from((0, 1, 1, 2, 2, 2))),
        machines=draw(st.integers(1, 2)),
        clinicians=tuple(people),
        clinic_days=tuple(days),
        now=TEST_NOW + timedelta(minutes=draw(st.integers(0, 40 * 24 * 4)) * 15),
    )


def _day(offset: int) -> date:
    return BASE_DAY + timedelta(days=offset)


def _wall(window: Window) -> tuple[time, time]:
    start = datetime.combine(BASE_DAY, window.start)
    end = min(start + timedelta(minutes=window.minutes), datetime.combine(BASE_DAY, time(23, 59)))
    return window.start, end.time()


@dataclass
class BuiltClinic:
    clinicians: list[Clinician]
    types: list[AppointmentType]


def build(session: Session, plan: ClinicPlan) -> BuiltClinic:
    """The plan as rows; busy time that would overlap what is already there is left out, as
    the database would refuse it."""
    resources = [
        clinic.add_resource(session=session, name=f"room {n}", kind="room")
        for n in range(plan.rooms)
    ] + [
        clinic.add_resource(session=session, name=f"machine {n}", kind="machine")
        for n in range(plan.machines)
    ]
    types = [
        clinic.add_appointment_type(
            session=session,
            code=f"type_{n}",
            name=f"Type {n}",
            duration_minutes=kind.duration,
            buffer_minutes=kind.buffer,
            minimum_notice_minutes=kind.notice,
            horizon_days=kind.horizon,
            resource_kinds=kind.kinds,
        )
        for n, kind in enumerate(plan.types)
    ]
    taken: dict[tuple[str, int], list[tuple[datetime, datetime]]] = {}

    def free(owner: tuple[str, int], start: datetime, end: datetime) -> bool:
        return all(end <= s or start >= e for s, e in taken.get(owner, []))

    people = []
    for number, person in enumerate(plan.clinicians):
        row = clinic.add_clinician(
            session=session, full_name=f"Dr {number}", specialty=clinic.Specialty(person.specialty)
        )
        people.append(row)
        clinic.offer_appointment_types(
            session=session, clinician=row, appointment_types=[types[n] for n in person.offers]
        )
        for model, windows in ((WeeklyHours, person.hours), (WeeklyBreak, person.breaks)):
            for window in windows:
                starts, ends = _wall(window)
                session.add(
                    model(clinician_id=row.id, weekday=window.weekday, starts=starts, ends=ends)
                )
        for leave in person.leave:
            bounds = _wall(leave.window) if leave.window else (None, None)
            if leave.kind is availability.ExceptionKind.EXTRA_SESSION and leave.window is None:
                bounds = (time(18), time(20))
            session.add(
                AvailabilityException(
                    clinician_id=row.id,
                    kind=leave.kind.value,
                    first_day=_day(leave.first),
                    last_day=_day(leave.first + leave.days),
                    starts=bounds[0],
                    ends=bounds[1],
                )
            )
        for index, busy in enumerate(person.busy):
            start = datetime.combine(_day(busy.day), time(0), tzinfo=UTC) + timedelta(
                minutes=busy.minute
            )
            end = start + timedelta(minutes=busy.minutes)
            resource = (
                resources[busy.resource]
                if busy.resource is not None and busy.resource < len(resources)
                else None
            )
            active = busy.what not in ("cancelled",)
            if active and not free(("clinician", row.id), start, end):
                continue
            if resource is not None and not free(("resource", resource.id), start, end):
                resource = None
            patient = add_user(session, email=f"p{number}-{index}@example.org", role=Role.patient)
            reservation = None
            if active:
                taken.setdefault(("clinician", row.id), []).append((start, end))
                reservation = ClinicianReservation(
                    clinician_id=row.id, starts_at=start, blocked_until=end
                )
                session.add(reservation)
                session.flush()
            if busy.what in ("live", "lapsed"):
                assert reservation is not None
                expires = plan.now + timedelta(minutes=10 if busy.what == "live" else -1)
                session.add(
                    SlotHold(
                        reservation_id=reservation.id,
                        patient_id=patient.id,
                        clinician_id=row.id,
                        appointment_type_id=types[0].id,
                        starts_at=start,
                        blocked_until=end,
                        expires_at=expires,
                    )
                )
                continue
            appointment = Appointment(
                uid=f"plan-{number}-{index}",
                patient_id=patient.id,
                clinician_id=row.id,
                appointment_type_id=types[0].id,
                starts_at=start,
                ends_at=end,
                blocked_until=end,
                status=busy.what,
                sequence=0,
                created_at=TEST_NOW,
                updated_at=TEST_NOW,
                strike=False,
                reservation_id=reservation.id if reservation else None,
            )
            session.add(appointment)
            session.flush()
            if resource is not None and busy.what != "cancelled":
                taken.setdefault(("resource", resource.id), []).append((start, end))
                session.add(
                    AppointmentResource(
                        appointment_id=appointment.id,
                        resource_id=resource.id,
                        starts_at=start,
                        blocked_until=end,
                    )
                )
    for day, is_open in plan.clinic_days:
        session.add(ClinicDay(day=day, is_open=is_open, note="", changed_at=TEST_NOW))
    session.flush()
    return BuiltClinic(clinicians=people, types=types)


@dataclass(frozen=True)
class Query:
    first: int
    days: int
    specialty: str | None
    clinician: int | None
    """An index into the built clinicians; past their end, an id that does not exist."""
    appointment_type: int | None
    limit: int


_QUERIES = st.builds(
    Query,
    first=st.integers(-2, 70),
    days=st.integers(0, search.MAX_SEARCH_DAYS),
    specialty=st.none() | st.sampled_from(SPECIALTIES),
    clinician=st.none() | st.integers(0, 3),
    appointment_type=st.none() | st.integers(0, 3),
    limit=st.sampled_from((1, 5, 50, 10_000)),
)


def _ids(built: BuiltClinic, query: Query) -> tuple[int | None, int | None]:
    def pick(rows: list[Clinician] | list[AppointmentType], index: int | None) -> int | None:
        if index is None:
            return None
        return rows[index].id if index < len(rows) else 10_000 + index

    return pick(built.clinicians, query.clinician), pick(built.types, query.appointment_type)


def outcome(call: Callable[..., T], **arguments: Any) -> T | tuple[str, str | None, str]:
    """The answer, or the refusal as (error class, field, detail) to compare refusals."""
    try:
        return call(**arguments)
    except ServiceError as error:
        return (type(error).__name__, error.field, error.detail)


def plain(found: Any) -> Any:
    """Slots as comparable values (ORM rows by id)."""
    if isinstance(found, search.FoundSlot):
        return (found.clinician.id, found.appointment_type.id, found.slot)
    if isinstance(found, list):
        return [plain(item) for item in found]
    if isinstance(found, dict):
        return {key: plain(value) for key, value in found.items()}
    return found


@pytest.fixture
def fresh_clinic(
    db_url: str,
) -> Callable[[ClinicPlan], AbstractContextManager[tuple[Session, BuiltClinic]]]:
    """A way to rebuild the database from a plan inside one test (one per Hypothesis example)."""

    @contextlib.contextmanager
    def rebuild(plan: ClinicPlan) -> Iterator[tuple[Session, BuiltClinic]]:
        empty_tables(db_url)
        with session_factory(db_url)() as session:
            built = build(session, plan)
            session.commit()
            yield session, built

    return rebuild


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=clinic_plans(), queries=st.lists(_QUERIES, min_size=1, max_size=3))
def test_the_search_offers_exactly_the_slots_the_per_clinician_rules_offer(
    fresh_clinic: Callable[[ClinicPlan], AbstractContextManager[tuple[Session, BuiltClinic]]],
    plan: ClinicPlan,
    queries: list[Query],
) -> None:
    with fresh_clinic(plan) as (session, built):
        for query in queries:
            clinician_id, type_id = _ids(built, query)
            first_day = plan.now.date() + timedelta(days=query.first)
            arguments: dict[str, Any] = {
                "session": session,
                "now": plan.now,
                "first_day": first_day,
                "last_day": first_day + timedelta(days=query.days),
                "specialty": query.specialty,
                "clinician_id": clinician_id,
                "appointment_type_id": type_id,
                "limit": query.limit,
            }
            expected = plain(outcome(per_clinician_search, **arguments))
            assert plain(outcome(search.search, **arguments)) == expected
            for_earliest = {
                "session": session,
                "now": plan.now,
                "specialty": query.specialty,
                "clinician_id": clinician_id,
                "appointment_type_id": type_id,
            }
            expected = plain(outcome(per_clinician_earliest, **for_earliest))
            assert plain(outcome(search.earliest, **for_earliest)) == expected


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=clinic_plans(), specialty=st.none() | st.sampled_from(SPECIALTIES))
def test_each_specialists_next_free_time_is_their_own_earliest_slot(
    fresh_clinic: Callable[[ClinicPlan], AbstractContextManager[tuple[Session, BuiltClinic]]],
    plan: ClinicPlan,
    specialty: str | None,
) -> None:
    with fresh_clinic(plan) as (session, built):

        def one_by_one(session: Session, built: BuiltClinic) -> dict[int, search.FoundSlot]:
            found = {}
            for person in built.clinicians:
                if specialty is not None and person.specialty != specialty:
                    continue
                first = per_clinician_earliest(
                    session=session,
                    now=plan.now,
                    specialty=None,
                    clinician_id=person.id,
                    appointment_type_id=None,
                )
                if first is not None:
                    found[person.id] = first
            return found

        expected = plain(outcome(one_by_one, session=session, built=built))
        answer = outcome(
            search.earliest_by_clinician, session=session, now=plan.now, specialty=specialty
        )
        assert plain(answer) == expected


def test_a_clinician_booked_up_in_the_first_week_is_offered_the_next_week_as_before(
    fresh_clinic: Callable[[ClinicPlan], AbstractContextManager[tuple[Session, BuiltClinic]]],
) -> None:
    """Mondays 09:00-09:30 only, this Monday's slot booked: the earliest slot is next Monday,
    which the search reads in its second span; the first Monday's appointment must still
    count there."""
    plan = ClinicPlan(
        types=(TypePlan(duration=30, buffer=0, notice=60, horizon=90, kinds=()),),
        rooms=0,
        machines=1,
        clinicians=(
            ClinicianPlan(
                specialty=clinic.Specialty.neurology,
                offers=(0,),
                hours=(Window(weekday=0, start=time(9), minutes=30),),
                breaks=(),
                leave=(),
                busy=(BusyPlan(day=0, minute=9 * 60, minutes=30, what="booked", resource=None),),
            ),
        ),
        clinic_days=(),
        now=TEST_NOW,
    )
    with fresh_clinic(plan) as (session, built):
        first = search.earliest(session=session, now=TEST_NOW)
        each = search.earliest_by_clinician(session=session, now=TEST_NOW)
        expected = per_clinician_earliest(
            session=session,
            now=TEST_NOW,
            specialty=None,
            clinician_id=None,
            appointment_type_id=None,
        )
    assert first is not None and expected is not None
    assert first.slot.start == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert plain(first) == plain(expected)
    assert plain(each) == {built.clinicians[0].id: plain(expected)}


# --- what a search costs in statements --------------------------------------------------------


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, *args: Any) -> None:
        self.statements.append(str(args[2]))


STATEMENTS_PER_SEARCH = 2
"""Who offers what (clinicians, their types and the resources each needs), then the rota of
the first week: weekly hours, breaks, leave, the clinic's closures, appointments, live holds
and resource bookings, in one UNION ALL."""

STATEMENTS_FOR_EVERY_SLOT_OF_62_DAYS = 5
"""Who offers what, then the rota in spans of 7, 14, 28 and the last 13 days."""


def _more_clinicians(session: Session, clinic_people: SmallClinic, count: int) -> None:
    for number in range(count):
        person = clinic.add_clinician(
            session=session, full_name=f"Dr Extra {number}", specialty=clinic.Specialty.neurology
        )
        clinic.offer_appointment_types(
            session=session,
            clinician=person,
            appointment_types=(clinic_people.consultation, clinic_people.emg),
        )
        for weekday in range(5):
            clinic.add_weekly_hours(
                session=session, clinician=person, weekday=weekday, starts=time(9), ends=time(17)
            )
    session.commit()


@pytest.mark.parametrize("extra_clinicians", [0, 12])
def test_a_search_costs_the_same_few_statements_whatever_the_number_of_clinicians(
    session: Session, db_url: str, small_clinic: SmallClinic, extra_clinicians: int
) -> None:
    _more_clinicians(session, small_clinic, extra_clinicians)
    log = StatementLog()
    engine = engine_for(db_url)

    def statements(call: Callable[..., Any], **arguments: Any) -> tuple[Any, list[str]]:
        log.statements.clear()
        answer = call(**arguments)
        return answer, [line for line in log.statements if not line.startswith("BEGIN")]

    event.listen(engine, "before_cursor_execute", log)
    try:
        with session_factory(db_url)() as reading:
            days = {"first_day": TEST_NOW.date(), "last_day": TEST_NOW.date() + timedelta(days=62)}
            fifty, fifty_read = statements(search.search, session=reading, now=TEST_NOW, **days)
            every, every_read = statements(
                search.search, session=reading, now=TEST_NOW, limit=100_000, **days
            )
            first, earliest_read = statements(search.earliest, session=reading, now=TEST_NOW)
            each, each_read = statements(
                search.earliest_by_clinician, session=reading, now=TEST_NOW
            )
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert len(fifty) == 50 and len(every) > 50 * (3 + extra_clinicians)
    assert first is not None and len(each) == 3 + extra_clinicians
    assert len(fifty_read) == STATEMENTS_PER_SEARCH, fifty_read
    assert len(every_read) == STATEMENTS_FOR_EVERY_SLOT_OF_62_DAYS, every_read
    assert len(earliest_read) == STATEMENTS_PER_SEARCH, earliest_read
    assert len(each_read) == STATEMENTS_PER_SEARCH, each_read


def test_the_specialists_page_asks_the_same_few_statements_for_three_or_fifteen_clinicians(
    session: Session, db_url: str, small_clinic: SmallClinic
) -> None:
    """One slot search for every profile on the page, not one per clinician."""

    def statements_of_the_page() -> tuple[int, str]:
        log = StatementLog()
        engine = engine_for(db_url)
        with TestClient(make_app(db_url)) as client:
            event.listen(engine, "before_cursor_execute", log)
            try:
                page = client.get("/specialists")
            finally:
                event.remove(engine, "before_cursor_execute", log)
        assert page.status_code == 200
        return len(log.statements), page.text

    few, page = statements_of_the_page()
    assert page.count("Next free appointment") == 3
    assert "None in the booking window" not in page
    _more_clinicians(session, small_clinic, 12)
    many, page = statements_of_the_page()
    assert many == few
    assert page.count("Next free appointment") == 15
    assert "None in the booking window" not in page
