"""Booking for a caller at the front desk: find or register the patient, book a free time for
them, move it, cancel it with a reason; the scheduling rules hold (never two places at once)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.audit.models import AuditEvent
from plexcare.scheduling.models import Appointment
from tests.conftest_db import SmallClinic, make_app
from tests.portal.forms import csrf_token, sign_in

SLOT = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)">\s*'
    r'<input type="hidden" name="csrf_token" value="(?P<csrf_token>[^"]+)">\s*'
    r'<input type="hidden" name="clinician_id" value="(?P<clinician_id>\d+)">\s*'
    r'<input type="hidden" name="appointment_type_id" value="(?P<appointment_type_id>\d+)">\s*'
    r'<input type="hidden" name="starts_at" value="(?P<starts_at>[^"]+)">\s*'
    r"<button[^>]*>.*?</button>\s*"
    r'(?:<input type="hidden" name="patient_id" value="(?P<patient_id>\d+)">)?',
    re.DOTALL,
)
TUESDAY_9 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def slots(html: str) -> list[dict[str, str]]:
    return [
        {key: value for key, value in found.groupdict().items() if value is not None}
        for found in SLOT.finditer(html)
    ]


@pytest.fixture
def desk(client: TestClient, small_clinic: SmallClinic) -> Iterator[TestClient]:
    sign_in(client, "desk@clinic.example")
    yield client


@dataclass(frozen=True)
class Stored:
    id: int
    status: str
    starts_at: datetime
    booked_by_user_id: int | None
    cancel_reason: str | None
    strike: bool


def appointments_of(session: Session, patient_id: int) -> list[Stored]:
    """The patient's appointments as stored; the read ends at once (on SQLite the app and
    the test share one connection)."""
    session.expire_all()
    found = [
        Stored(
            row.id, row.status, row.starts_at, row.booked_by_user_id, row.cancel_reason, row.strike
        )
        for row in session.scalars(
            select(Appointment).where(Appointment.patient_id == patient_id).order_by(Appointment.id)
        )
    ]
    session.rollback()
    return found


def test_the_desk_finds_a_patient_by_name_and_the_search_is_audited(
    desk: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    ann = small_clinic.patient_a.id
    page = desk.get("/desk/book?q=ann")
    assert f'href="/desk/book?patient_id={ann}"' in page.text
    assert "bob@example.org" not in page.text
    audited = session.scalars(
        select(AuditEvent.patient_user_id).where(AuditEvent.subject_type == "patient")
    ).all()
    session.rollback()
    assert ann in audited
    assert desk.get("/desk/book?q=a").status_code == 422


def test_the_desk_registers_a_caller_and_names_a_bad_field(
    desk: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = csrf_token(desk, "/desk/book")
    form = {"csrf_token": token, "full_name": "Cara Caller", "email": "cara@example.org"}
    bad = desk.post("/desk/patients", data={**form, "phone": "12"})
    assert bad.status_code == 422
    assert 'id="error-phone"' in bad.text
    taken = desk.post(
        "/desk/patients", data={**form, "email": "ann@example.org", "phone": "020 7946 0000"}
    )
    assert taken.status_code == 409
    assert 'id="error-email"' in taken.text
    made = desk.post("/desk/patients", data={**form, "phone": "020 7946 0000"})
    assert made.status_code == 200
    assert "The patient is registered" in made.text
    cara = session.execute(
        select(User.role, User.phone).where(User.email == "cara@example.org")
    ).one()
    session.rollback()
    assert tuple(cara) == ("patient", "+442079460000")


def test_the_desk_books_moves_and_cancels_for_a_caller(
    desk: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    ann = small_clinic.patient_a.id
    desk_id = small_clinic.front_desk.id
    page = desk.get(f"/desk/book?patient_id={ann}&specialty=neurology")
    assert "Type of appointment" in page.text and "Days with free times" in page.text
    offered = slots(page.text)
    assert offered and all(slot["patient_id"] == str(ann) for slot in offered)
    assert {slot["appointment_type_id"] for slot in offered} == {str(small_clinic.consultation.id)}
    first = offered[0]
    booked = desk.post(first.pop("action"), data=first)
    assert "confirmation is on its way to the patient" in booked.text
    [appointment] = appointments_of(session, ann)
    assert appointment.status == "booked"
    assert appointment.booked_by_user_id == desk_id

    move_page = desk.get(f"/desk/appointments/{appointment.id}/move").text
    here = f"/desk/appointments/{appointment.id}/move"
    assert f'<form class="form search-form" method="get" action="{here}">' in move_page
    assert re.search(rf'href="{here}\?[^"]+#calendar">Later weeks', move_page)
    later = slots(move_page)[3]
    moved = desk.post(later.pop("action"), data=later)
    assert "has been moved" in moved.text
    old, new = appointments_of(session, ann)
    assert (old.status, new.status) == ("rescheduled", "booked")
    assert new.starts_at == datetime.fromisoformat(later["starts_at"])

    token = csrf_token(desk, f"/desk/appointments/{new.id}/cancel")
    no_reason = desk.post(f"/desk/appointments/{new.id}/cancel", data={"csrf_token": token})
    assert no_reason.status_code == 422
    assert appointments_of(session, ann)[1].status == "booked"
    cancelled = desk.post(
        f"/desk/appointments/{new.id}/cancel",
        data={"csrf_token": token, "reason": "Clinic closed for training"},
    )
    assert "is cancelled" in cancelled.text
    gone = appointments_of(session, ann)[1]
    assert (gone.status, gone.cancel_reason, gone.strike) == (
        "cancelled",
        "Clinic closed for training",
        False,
    )


def test_the_desk_cannot_book_a_caller_into_two_places_at_once(
    desk: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    ann_id = small_clinic.patient_a.id
    ann = str(ann_id)
    token = csrf_token(desk, "/desk/book")
    emg = desk.post(
        "/desk/book",
        data={
            "csrf_token": token,
            "patient_id": ann,
            "clinician_id": str(small_clinic.neurologist.id),
            "appointment_type_id": str(small_clinic.emg.id),
            "starts_at": TUESDAY_9.isoformat(),
        },
    )
    assert emg.status_code == 200
    during = desk.post(
        "/desk/book",
        data={
            "csrf_token": token,
            "patient_id": ann,
            "clinician_id": str(small_clinic.second_neurologist.id),
            "appointment_type_id": str(small_clinic.consultation.id),
            "starts_at": TUESDAY_9.replace(minute=30).isoformat(),
        },
    )
    assert during.status_code == 409
    assert '<p class="lead">You already have an appointment at this time.</p>' in during.text
    assert len(appointments_of(session, ann_id)) == 1


def test_a_move_or_cancel_without_the_forms_token_changes_nothing(
    desk: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    ann = small_clinic.patient_a.id
    first = slots(desk.get(f"/desk/book?patient_id={ann}&specialty=neurology").text)[0]
    desk.post(first.pop("action"), data=first)
    [appointment] = appointments_of(session, ann)
    later = slots(desk.get(f"/desk/appointments/{appointment.id}/move").text)[3]
    for path, form in (
        (later.pop("action"), later),
        (f"/desk/appointments/{appointment.id}/cancel", {"reason": "Caller asked"}),
    ):
        assert desk.post(path, data={**form, "csrf_token": "0" * 64}).status_code == 403
    session.expire_all()
    assert [(row.id, row.status) for row in appointments_of(session, ann)] == [
        (appointment.id, "booked")
    ]


@pytest.mark.parametrize("email", ["ann@example.org", "dr.okafor@clinic.example"])
def test_patients_and_clinicians_cannot_book_for_others_here(
    db_url: str, small_clinic: SmallClinic, email: str
) -> None:
    with TestClient(make_app(db_url)) as client:
        sign_in(client, email)
        assert client.get("/desk/book").status_code == 403
        token = csrf_token(client, "/self-check")
        refused = client.post(
            "/desk/book", data={"csrf_token": token, "patient_id": "1"}, follow_redirects=False
        )
        assert refused.status_code == 403
