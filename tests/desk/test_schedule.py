"""The front desk's day: appointments by clinician and by room, arrivals, attended and missed,
each an audited read or change, and the page closed to everyone but the desk and admins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment
from tests.conftest_db import TEST_NOW, SmallClinic, make_app
from tests.portal.forms import csrf_token, sign_in

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONDAY_11 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
"""The desk's clock in these tests: Ann's 09:00 consultation has begun, Bob's EMG at 13:30
has not."""
MONDAY_13_30 = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)


@pytest.fixture
def monday(session: Session, small_clinic: SmallClinic) -> dict[str, int]:
    """Ann with Dr Okafor at 09:00 and Bob's EMG with Dr Lind at 13:30, booked at 08:00."""
    ann = booking.book(
        session=session,
        actor=Actor(user_id=small_clinic.patient_a.id, role="patient"),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=MONDAY_9,
        now=TEST_NOW,
    )
    bob = booking.book(
        session=session,
        actor=Actor(user_id=small_clinic.patient_b.id, role="patient"),
        clinician_id=small_clinic.second_neurologist.id,
        appointment_type_id=small_clinic.emg.id,
        starts_at=MONDAY_13_30,
        now=TEST_NOW,
    )
    session.commit()
    return {"ann": ann.id, "bob": bob.id}


@pytest.fixture
def desk(db_url: str, small_clinic: SmallClinic) -> Iterator[TestClient]:
    with TestClient(make_app(db_url, now=MONDAY_11)) as client:
        sign_in(client, "desk@clinic.example")
        yield client


def post(client: TestClient, path: str, **fields: str) -> int:
    token = csrf_token(client, "/desk")
    answer = client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)
    return answer.status_code


def status_of(session: Session, appointment_id: int) -> tuple[str, datetime | None, bool]:
    """The stored status, arrival and strike; the read is ended at once (on SQLite the app and
    the test share one connection, and an open read would keep the app from writing)."""
    session.expire_all()
    row = session.get(Appointment, appointment_id)
    assert row is not None
    found = (row.status, row.arrived_at, row.strike)
    session.rollback()
    return found


def test_the_day_lists_each_clinicians_patients_and_the_rooms_they_use(
    desk: TestClient, monday: dict[str, int], session: Session
) -> None:
    page = desk.get("/desk")
    assert page.status_code == 200
    assert "Schedule for Monday 2 March 2026" in page.text
    okafor = page.text.split(">Dr Ada Okafor<", 1)[1].split("</section>", 1)[0]
    assert "ann" in okafor and "09:00 GMT" in okafor
    lind = page.text.split(">Dr Ben Lind<", 1)[1].split("</section>", 1)[0]
    assert "bob" in lind and "EMG room" in lind
    rooms = page.text.split('id="by-room"', 1)[1]
    assert ">EMG room<" in rooms and ">EMG machine<" in rooms
    reads = session.scalars(
        select(AuditEvent.subject_id).where(
            AuditEvent.subject_type == "appointment", AuditEvent.action == "read"
        )
    ).all()
    session.rollback()
    assert {str(monday["ann"]), str(monday["bob"])} <= set(reads)


def test_the_desk_marks_a_missed_visit_and_it_counts_as_a_strike(
    desk: TestClient, monday: dict[str, int], session: Session
) -> None:
    assert f'action="/desk/appointments/{monday["ann"]}/missed"' in desk.get("/desk").text
    assert f'action="/desk/appointments/{monday["bob"]}/missed"' not in desk.get("/desk").text
    assert post(desk, f"/desk/appointments/{monday['ann']}/missed", day="2026-03-02") == 303
    assert status_of(session, monday["ann"])[::2] == ("no_show", True)
    assert "Missed" in desk.get("/desk?done=missed").text


def test_an_arrival_is_noted_and_the_patient_can_then_not_be_marked_missed(
    desk: TestClient, monday: dict[str, int], session: Session
) -> None:
    assert post(desk, f"/desk/appointments/{monday['bob']}/arrived", day="2026-03-02") == 303
    assert status_of(session, monday["bob"])[:2] == ("booked", MONDAY_11)
    assert "Arrived 11:00 GMT" in desk.get("/desk").text
    assert post(desk, f"/desk/appointments/{monday['ann']}/arrived", day="2026-03-02") == 303
    assert post(desk, f"/desk/appointments/{monday['ann']}/missed") == 409
    assert post(desk, f"/desk/appointments/{monday['ann']}/attended") == 303
    assert status_of(session, monday["ann"])[0] == "completed"


def test_a_visit_that_has_not_begun_cannot_be_marked_missed(
    desk: TestClient, monday: dict[str, int], session: Session
) -> None:
    assert post(desk, f"/desk/appointments/{monday['bob']}/missed") == 409
    assert status_of(session, monday["bob"])[0] == "booked"


def test_other_days_page_and_a_bad_day_is_named(desk: TestClient, monday: dict[str, int]) -> None:
    page = desk.get("/desk?day=2026-03-03")
    assert "Schedule for Tuesday 3 March 2026" in page.text
    assert "No appointments on this day" in page.text
    assert re.search(r'href="/desk\?day=2026-03-02"', page.text)
    assert desk.get("/desk?day=next+week").status_code == 422


def test_a_public_holiday_is_shown_closed(desk: TestClient) -> None:
    assert "closed on this day (Good Friday)" in desk.get("/desk?day=2026-04-03").text


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("ann@example.org", 403),
        ("dr.okafor@clinic.example", 403),
        ("admin@clinic.example", 200),
    ],
)
def test_only_the_desk_and_admins_see_the_day(
    db_url: str, small_clinic: SmallClinic, email: str, status: int
) -> None:
    with TestClient(make_app(db_url, now=MONDAY_11)) as client:
        assert client.get("/desk", follow_redirects=False).status_code == 303
        sign_in(client, email)
        assert client.get("/desk").status_code == status
