"""A patient's plain booking on PostgreSQL goes the quick way (`scheduling.quick_booking`):
what it writes, that it writes what the full booking writes, and that whatever it leaves to the
full booking gets the full booking's answer with nothing of its own left behind."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, WeeklyHours
from plexcare.config import get_settings
from plexcare.notifications.models import OutboxMessage
from plexcare.postgres_pools import APPLICATION_NAME, PostgresPools, asyncpg_dsn
from plexcare.scheduling import availability, quick_booking, routes
from plexcare.scheduling.booking_rounds import BookingRounds
from plexcare.scheduling.models import (
    Appointment,
    AppointmentResource,
    ClinicDay,
    ClinicianReservation,
    IdempotencyRecord,
    SlotHold,
)
from plexcare.scheduling.quick_booking import RULES_SPAN
from plexcare.scheduling.reservations import PATIENT_BUSY, SLOT_TAKEN
from tests.conftest_db import TEST_NOW, Personas, SmallClinic, make_app
from tests.scheduling.test_booking import TUESDAY_10, booking_body

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_client(postgres_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(postgres_url)) as test_client:
        yield test_client


@pytest.fixture
def full_booking_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The full booking fails loudly: whatever is booked now, the quick path booked."""

    def refuse(**_: Any) -> None:
        raise AssertionError("the full booking ran")

    monkeypatch.setattr(routes, "_book_in_full", refuse)


def _key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def _book(
    client: TestClient, people: Personas, body: dict[str, object], who: str = "patient_a"
) -> Any:
    """`who` books through the API, as their app does (the test client's response)."""
    return client.post("/api/v1/appointments", json=body, headers=people.headers[who])


def _rows(session: Session, appointment_id: int) -> dict[str, Any]:
    """Everything a booking writes, without ids and the moments and uids each run draws."""
    session.expire_all()
    appointment = session.get(Appointment, appointment_id)
    assert appointment is not None
    reservation = session.get(ClinicianReservation, appointment.reservation_id)
    assert reservation is not None
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == str(appointment_id))
    ).all()
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.appointment_id == appointment_id)
        .order_by(OutboxMessage.id)
    ).all()
    return {
        "appointment": {
            column: getattr(appointment, column)
            for column in (
                "patient_id",
                "clinician_id",
                "appointment_type_id",
                "starts_at",
                "ends_at",
                "blocked_until",
                "status",
                "sequence",
                "created_at",
                "booked_by_user_id",
                "strike",
                "rescheduled_to_id",
            )
        },
        "reservation": (reservation.clinician_id, reservation.starts_at, reservation.blocked_until),
        "audit": [
            (
                e.actor_user_id,
                e.actor_role,
                e.action,
                e.subject_type,
                e.patient_user_id,
                e.client_ip,
            )
            for e in audit
        ],
        "messages": [
            (m.kind, m.channel, m.recipient_user_id, m.status, m.due_at, m.calendar_sequence)
            for m in messages
        ],
    }


@pytest.mark.usefixtures("full_booking_refused")
def test_the_quick_path_writes_the_booking_whole(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    answer = pg_client.post(
        "/api/v1/appointments",
        json=booking_body(clinic_people),
        headers={**people.headers["patient_a"], **_key("quick-1")},
    )
    assert answer.status_code == 201, answer.text
    booked = answer.json()
    assert answer.headers["Location"] == f"/api/v1/appointments/{booked['id']}"
    rows = _rows(pg_session, booked["id"])
    patient = clinic_people.patient_a.id
    assert rows["appointment"]["patient_id"] == patient
    assert rows["appointment"]["starts_at"] == TUESDAY_10
    assert rows["appointment"]["ends_at"] == TUESDAY_10 + timedelta(minutes=30)
    assert rows["appointment"]["status"] == "booked"
    assert rows["reservation"] == (
        clinic_people.neurologist.id,
        TUESDAY_10,
        TUESDAY_10 + timedelta(minutes=30),
    )
    assert rows["audit"] == [(patient, "patient", "create", "appointment", patient, "testclient")]
    reminder_due = TUESDAY_10 - timedelta(hours=24)
    assert rows["messages"] == [
        ("confirmation", "email", patient, "pending", TEST_NOW, 0),
        ("confirmation", "sms", patient, "pending", TEST_NOW, 0),
        ("reminder", "email", patient, "pending", reminder_due, 0),
        ("reminder", "sms", patient, "pending", reminder_due, 0),
    ]
    record = pg_session.scalars(select(IdempotencyRecord)).one()
    assert (record.user_id, record.key, record.status_code) == (patient, "quick-1", 201)
    assert record.response_body == answer.text
    shown = pg_client.get(
        f"/api/v1/appointments/{booked['id']}", headers=people.headers["patient_a"]
    )
    assert shown.json() == booked


def test_the_quick_and_the_full_booking_write_the_same(
    pg_client: TestClient,
    people: Personas,
    clinic_people: SmallClinic,
    pg_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quick = _book(pg_client, people, booking_body(clinic_people))
    monkeypatch.setattr(routes, "postgres_pools", lambda request: None)
    full = _book(pg_client, people, booking_body(clinic_people, TUESDAY_10 + timedelta(days=7)))
    assert quick.status_code == full.status_code == 201
    quick_rows, full_rows = (
        _rows(pg_session, quick.json()["id"]),
        _rows(pg_session, full.json()["id"]),
    )
    week = timedelta(days=7)
    for moment in ("starts_at", "ends_at", "blocked_until"):
        full_rows["appointment"][moment] -= week
    clinician, starts, until = full_rows["reservation"]
    full_rows["reservation"] = (clinician, starts - week, until - week)
    full_rows["messages"] = [
        (kind, channel, who, status, due - week if kind == "reminder" else due, sequence)
        for kind, channel, who, status, due, sequence in full_rows["messages"]
    ]
    assert quick_rows == full_rows
    quick_answer, full_answer = quick.json(), full.json()
    for answer in (quick_answer, full_answer):
        del answer["id"], answer["uid"]
        for moment in ("starts_at", "ends_at", "local_start"):
            answer[moment] = answer[moment][10:]
    assert quick_answer == full_answer


def _left_behind(session: Session) -> tuple[int, int, int, int]:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(ClinicianReservation)) or 0,
        session.scalar(select(func.count()).select_from(Appointment)) or 0,
        session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "create")
        )
        or 0,
    )


@pytest.mark.parametrize(
    ("who", "other_clinician", "refusal"),
    [
        pytest.param("patient_b", False, SLOT_TAKEN, id="a slot another patient took"),
        pytest.param("patient_a", True, PATIENT_BUSY, id="the patient's own time elsewhere"),
    ],
)
def test_a_clash_is_refused_by_name_with_nothing_left_behind(
    pg_client: TestClient,
    people: Personas,
    clinic_people: SmallClinic,
    pg_session: Session,
    who: str,
    other_clinician: bool,
    refusal: str,
) -> None:
    first = _book(pg_client, people, booking_body(clinic_people))
    assert first.status_code == 201
    before = _left_behind(pg_session)
    second_body = booking_body(clinic_people)
    if other_clinician:
        second_body["clinician_id"] = clinic_people.pain.id
    second = _book(pg_client, people, second_body, who)
    assert second.status_code == 409
    assert second.json()["detail"] == refusal
    assert _left_behind(pg_session) == before


def test_a_slot_the_patient_holds_is_booked_on_its_hold(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    held = pg_client.post(
        "/api/v1/holds", json=booking_body(clinic_people), headers=people.headers["patient_a"]
    )
    assert held.status_code == 201
    booked = _book(pg_client, people, booking_body(clinic_people))
    assert booked.status_code == 201, booked.text
    pg_session.expire_all()
    assert pg_session.scalar(select(func.count()).select_from(SlotHold)) == 0
    assert pg_session.scalar(select(func.count()).select_from(ClinicianReservation)) == 1


def _write_directly(session: Session, clinic_people: SmallClinic, patient_id: int) -> Any:
    """`plexcare_book_appointment` called as the quick path calls it, for an hour after
    TUESDAY_10 with the neurologist."""
    later = TUESDAY_10 + timedelta(hours=1)
    answer = session.scalar(
        text(
            "SELECT plexcare_book_appointment(:version, 'quick-uid', :patient, :clinician, "
            ":kind, :starts, :ends, :ends, :now, 6, NULL, :now, ARRAY['email'], NULL, "
            "'fingerprint', :answer)"
        ),
        {
            "version": _rules_version(session),
            "patient": patient_id,
            "clinician": clinic_people.neurologist.id,
            "kind": clinic_people.consultation.id,
            "starts": later,
            "ends": later + timedelta(minutes=30),
            "now": TEST_NOW,
            "answer": '{"id":0,"uid":"quick-uid"}',
        },
    )
    session.commit()
    return answer


def test_the_write_leaves_a_patient_holding_a_slot_to_the_full_booking(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    """Holding any slot, the patient is the full booking's to answer (it turns the hold into
    the appointment); the write refuses before it claims any time."""
    held = pg_client.post(
        "/api/v1/holds", json=booking_body(clinic_people), headers=people.headers["patient_a"]
    )
    assert held.status_code == 201
    before = _left_behind(pg_session)
    answer = _write_directly(pg_session, clinic_people, clinic_people.patient_a.id)
    assert answer == quick_booking.REFUSED
    assert _left_behind(pg_session) == before


def test_the_write_books_only_for_a_patients_account(
    clinic_people: SmallClinic, pg_session: Session
) -> None:
    answer = _write_directly(pg_session, clinic_people, clinic_people.front_desk.id)
    assert answer == quick_booking.REFUSED
    assert _left_behind(pg_session) == (0, 0, 0, 0)


def test_a_time_off_the_grid_gets_the_full_bookings_answer(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    answer = _book(
        pg_client, people, booking_body(clinic_people, TUESDAY_10 + timedelta(minutes=7))
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "starts_at"
    assert _left_behind(pg_session) == (0, 0, 0, 0)


def test_a_type_needing_rooms_and_machines_is_booked_with_them(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    nine = TUESDAY_10 - timedelta(hours=1)  # the study's 75-minute grid starts at 09:00
    body = {**booking_body(clinic_people, nine), "appointment_type_id": clinic_people.emg.id}
    answer = _book(pg_client, people, body)
    assert answer.status_code == 201, answer.text
    pg_session.expire_all()
    used = pg_session.scalars(
        select(AppointmentResource.resource_id).where(
            AppointmentResource.appointment_id == answer.json()["id"]
        )
    ).all()
    assert sorted(used) == sorted([clinic_people.room.id, clinic_people.machine.id])


def test_rules_remembered_before_a_change_are_not_booked_by_after_it(
    pg_client: TestClient,
    people: Personas,
    clinic_people: SmallClinic,
    pg_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _book(pg_client, people, booking_body(clinic_people))
    assert first.status_code == 201, first.text
    neurologist = clinic_people.neurologist.id
    pg_session.execute(delete(WeeklyHours).where(WeeklyHours.clinician_id == neurologist))
    pg_session.commit()
    before = _left_behind(pg_session)

    later = booking_body(clinic_people, TUESDAY_10 + timedelta(hours=1))
    quick = _book(pg_client, people, later, "patient_b")
    assert quick.status_code != 201, "booked by the day's rules as they were before the change"
    assert _left_behind(pg_session) == before
    monkeypatch.setattr(routes, "postgres_pools", lambda request: None)
    full = _book(pg_client, people, later, "patient_b")
    assert (quick.status_code, quick.json()) == (full.status_code, full.json())


def test_the_rules_change_and_the_remembered_day_is_read_again(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    """A change that leaves the asked time bookable: the write refuses the old version, the
    day is read again, and the quick path books on the fresh rules."""
    first = _book(pg_client, people, booking_body(clinic_people))
    assert first.status_code == 201
    pg_session.execute(text("UPDATE weekly_hours SET starts = starts"))
    pg_session.commit()
    later = booking_body(clinic_people, TUESDAY_10 + timedelta(hours=1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(routes, "_book_in_full", _refuse_full_booking)
        answer = _book(pg_client, people, later, "patient_b")
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("departure", ["the neurologist's leave", "the clinic closed"])
def test_remembered_rules_hold_each_later_days_departures(
    pg_client: TestClient,
    people: Personas,
    clinic_people: SmallClinic,
    pg_session: Session,
    departure: str,
) -> None:
    """The rules are remembered for months from the first day asked: a later day's leave or
    closure, entered before they were read, still refuses that day."""
    wednesday = (TUESDAY_10 + timedelta(days=1)).date()
    if departure == "the clinic closed":
        pg_session.add(ClinicDay(day=wednesday, is_open=False, changed_at=TEST_NOW))
    else:
        clinic.add_exception(
            session=pg_session,
            clinician_id=clinic_people.neurologist.id,
            kind=availability.ExceptionKind.LEAVE,
            first_day=wednesday,
            last_day=wednesday,
        )
    pg_session.commit()
    first = _book(pg_client, people, booking_body(clinic_people))
    assert first.status_code == 201, first.text
    before = _left_behind(pg_session)
    away = _book(
        pg_client, people, booking_body(clinic_people, TUESDAY_10 + timedelta(days=1)), "patient_b"
    )
    assert away.status_code != 201
    assert _left_behind(pg_session) == before


@pytest.mark.parametrize("on_leave", [True, False])
@pytest.mark.parametrize("far_day_first", [False, True])
def test_a_day_outside_the_remembered_months_is_read_afresh(
    pg_client: TestClient,
    people: Personas,
    clinic_people: SmallClinic,
    pg_session: Session,
    on_leave: bool,
    far_day_first: bool,
) -> None:
    """The rules are remembered for `RULES_SPAN` from the first day asked, and for no day
    outside it: a day beyond it (bookable under a type's longer horizon), or before it, is
    judged by rules read for it. So leave entered on the second day asked, before the first
    booking, still refuses it; without the leave, the same time is booked."""
    pg_session.execute(
        update(AppointmentType)
        .where(AppointmentType.id == clinic_people.consultation.id)
        .values(horizon_days=RULES_SPAN.days * 2)
    )
    zone = ZoneInfo(get_settings().clinic_timezone)
    near = TUESDAY_10.astimezone(zone)
    weeks = -(-(RULES_SPAN.days + 1) // 7)
    far = datetime.combine(near.date() + timedelta(weeks=weeks), near.time(), zone)
    first_asked, second_asked = (far, near) if far_day_first else (near, far)
    if on_leave:
        clinic.add_exception(
            session=pg_session,
            clinician_id=clinic_people.neurologist.id,
            kind=availability.ExceptionKind.LEAVE,
            first_day=second_asked.date(),
            last_day=second_asked.date(),
        )
    pg_session.commit()
    first = _book(pg_client, people, booking_body(clinic_people, first_asked))
    assert first.status_code == 201, first.text
    before = _left_behind(pg_session)

    second = _book(pg_client, people, booking_body(clinic_people, second_asked), "patient_b")
    if on_leave:
        assert second.status_code != 201, "booked by rules remembered for other months"
        assert _left_behind(pg_session) == before
    else:
        assert second.status_code == 201, second.text


def _refuse_full_booking(**_: Any) -> None:
    raise AssertionError("the full booking ran")


def _rules_version(session: Session) -> int:
    version = session.scalar(text("SELECT version FROM booking_rules_version"))
    assert version is not None
    return int(version)


RULE_TABLES = sorted(
    set(re.findall(r"\bFROM (\w+)", quick_booking._READ_RULES)) - {"booking_rules_version"}
)
"""Every table the quick booking reads its rules from: a table added to the read without a
trigger moving the version fails the test below."""


@pytest.mark.parametrize("table", RULE_TABLES)
def test_any_change_to_a_table_of_the_rules_moves_their_version(
    pg_session: Session, clinic_people: SmallClinic, table: str
) -> None:
    before = _rules_version(pg_session)
    pg_session.execute(text(f"DELETE FROM {table} WHERE false"))
    pg_session.commit()
    after = _rules_version(pg_session)
    pg_session.execute(text(f"DELETE FROM {table} WHERE false"))
    pg_session.rollback()
    assert after != before
    assert _rules_version(pg_session) == after, "a change rolled back moved the version"


def test_the_asyncpg_address_comes_from_the_apps_url_and_sqlite_has_none() -> None:
    assert (
        asyncpg_dsn("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        == "postgresql://postgres@127.0.0.1:5432/test"
    )
    assert asyncpg_dsn("sqlite:///var/plexcare.db") is None


def test_with_the_quick_pool_unreachable_the_full_booking_answers(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    pg_client.app.state.postgres_pools = PostgresPools("postgresql://postgres@127.0.0.1:9/none")  # type: ignore[attr-defined]
    answer = _book(pg_client, people, booking_body(clinic_people))
    assert answer.status_code == 201, answer.text
    assert _left_behind(pg_session) == (1, 1, 4, 1)


def test_a_connection_ended_by_the_server_leaves_the_booking_to_the_full_path(
    pg_client: TestClient, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    first = _book(pg_client, people, booking_body(clinic_people))
    assert first.status_code == 201
    ended = pg_session.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            f"AND application_name = '{APPLICATION_NAME}'"
        )
    )
    assert ended.all(), "the quick path's connection was open"
    pg_session.commit()
    later = booking_body(clinic_people, TUESDAY_10 + timedelta(hours=1))
    answer = _book(pg_client, people, later)
    assert answer.status_code == 201, answer.text
    assert _left_behind(pg_session)[1] == 2


class _FailingConnection:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def fetchrow(self, *_: object) -> None:
        raise self.error


class _OneConnectionPool:
    def __init__(self, connection: _FailingConnection) -> None:
        self.connection = connection

    def acquire(self) -> Any:
        connection = self.connection

        class _Acquired:
            async def __aenter__(self) -> _FailingConnection:
                return connection

            async def __aexit__(self, *_: object) -> None:
                return None

        return _Acquired()


class _Pools:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def pool(self) -> _OneConnectionPool:
        return _OneConnectionPool(_FailingConnection(self.error))


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.ExclusionViolationError("conflicting key value violates exclusion constraint"),
        ConnectionRefusedError("connection refused"),
    ],
)
def test_a_broken_connection_or_a_lost_race_is_left_to_the_full_booking(error: Exception) -> None:
    assert asyncio.run(quick_booking.book(pools=_Pools(error), **_ASKED)) is None  # type: ignore[arg-type]


def test_any_other_database_error_is_raised_not_hidden() -> None:
    error = asyncpg.UndefinedColumnError('column "strike" does not exist')
    with pytest.raises(asyncpg.UndefinedColumnError):
        asyncio.run(quick_booking.book(pools=_Pools(error), **_ASKED))  # type: ignore[arg-type]


_ASKED: dict[str, Any] = {
    "memory": quick_booking.RulesMemory(),
    "rounds": BookingRounds(),
    "asked": quick_booking.BookingAsked(
        patient_id=1,
        clinician_id=1,
        appointment_type_id=1,
        starts_at=TUESDAY_10,
        client_ip=None,
        idempotency_key=None,
        fingerprint="0" * 64,
        open_limit=5,
    ),
    "now": TEST_NOW,
    "zone": "Europe/London",
}
