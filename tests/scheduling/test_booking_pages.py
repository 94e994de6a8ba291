"""Find a slot, hold it, confirm it, see it in "My appointments", move it and cancel it, all
through the HTML forms; and nobody reaches another patient's appointment."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.scheduling.models import Appointment
from tests.conftest_db import SmallClinic
from tests.portal.forms import ON_SQLITE, TOKEN, csrf_token, sign_in

pytestmark = ON_SQLITE

SLOT_FORM = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)">\s*'
    r'<input type="hidden" name="csrf_token" value="(?P<csrf_token>[^"]+)">\s*'
    r'<input type="hidden" name="clinician_id" value="(?P<clinician_id>\d+)">\s*'
    r'<input type="hidden" name="appointment_type_id" value="(?P<appointment_type_id>\d+)">\s*'
    r'<input type="hidden" name="starts_at" value="(?P<starts_at>[^"]+)">'
)


def slot_forms(html: str) -> list[dict[str, str]]:
    return [match.groupdict() for match in SLOT_FORM.finditer(html)]


def book_first_slot(client: TestClient, query: str = "specialty=neurology") -> int:
    """Search, hold the first slot and confirm it; the new appointment's id."""
    first = slot_forms(client.get(f"/book?{query}").text)[0]
    held = client.post(first.pop("action"), data=first, follow_redirects=False)
    assert held.status_code == 303, held.text
    hold_page = client.get(held.headers["location"])
    assert "Confirm booking" in hold_page.text
    hold_id = re.search(r'name="hold_id" value="(\d+)"', hold_page.text)
    token = TOKEN.search(hold_page.text)
    assert hold_id is not None and token is not None
    booked = client.post(
        "/book/confirm",
        data={"hold_id": hold_id.group(1), "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert booked.status_code == 303, booked.text
    found = re.search(r"#appointment-(\d+)", booked.headers["location"])
    assert found is not None
    return int(found.group(1))


def test_searching_shows_free_times_in_the_clinic_time_zone_to_anyone(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    page = client.get("/book?specialty=neurology&from=2026-03-03&to=2026-03-03")
    assert page.status_code == 200
    assert "Tuesday 3 March 2026" in page.text
    assert "Europe/London" in page.text
    slots = page.text.split('id="slots-heading"', 1)[1]
    assert "Dr Ada Okafor" in slots and "Dr Chen Wu" not in slots
    assert slot_forms(page.text) == []
    assert "Sign in as a patient" in page.text


def test_a_bad_date_is_named_on_the_search_form(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    page = client.get("/book?specialty=neurology&from=next+week")
    assert page.status_code == 422
    assert 'id="error-from"' in page.text


def test_a_patient_books_a_slot_and_sees_it_in_my_appointments(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    slots = slot_forms(client.get("/book?specialty=neurology").text)
    assert slots
    first_start = datetime.fromisoformat(slots[0]["starts_at"])
    appointment_id = book_first_slot(client)
    mine = client.get("/me/appointments?done=booked")
    assert "Your appointment is booked" in mine.text
    assert f'id="appointment-{appointment_id}"' in mine.text
    stored = session.get(Appointment, appointment_id)
    assert stored is not None
    assert stored.patient_id == small_clinic.patient_a.id
    assert stored.starts_at == first_start
    assert stored.status == "booked"
    audited = session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_type == "appointment", AuditEvent.subject_id == appointment_id
        )
    ).all()
    assert {event.action for event in audited} >= {"create", "read"}


def test_a_patient_moves_and_then_cancels_their_appointment(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    appointment_id = book_first_slot(client)
    page = client.get(f"/me/appointments/{appointment_id}/reschedule")
    assert page.status_code == 200
    later = slot_forms(page.text)[3]
    moved = client.post(later.pop("action"), data=later)
    assert moved.status_code == 200
    assert "moved to the new time" in moved.text
    new = session.scalars(
        select(Appointment).where(
            Appointment.patient_id == small_clinic.patient_a.id, Appointment.status == "booked"
        )
    ).one()
    assert new.starts_at == datetime.fromisoformat(later["starts_at"])
    new_id = new.id
    session.rollback()  # end the read, so the app may write (SQLite has one writer)
    token = csrf_token(client, f"/me/appointments/{new_id}/cancel")
    cancelled = client.post(
        f"/me/appointments/{new_id}/cancel",
        data={"csrf_token": token, "reason_code": "feeling_better"},
    )
    assert cancelled.status_code == 200
    assert "Your appointment is cancelled" in cancelled.text
    assert session.get(Appointment, new_id).status == "cancelled"  # type: ignore[union-attr]


def test_another_patient_can_neither_see_nor_cancel_nor_move_the_appointment(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    appointment_id = book_first_slot(client)
    sign_in(second_browser, "bob@example.org")
    assert f"appointment-{appointment_id}" not in second_browser.get("/me/appointments").text
    token = csrf_token(second_browser, "/self-check")
    cancel = second_browser.post(
        f"/me/appointments/{appointment_id}/cancel", data={"csrf_token": token}
    )
    assert cancel.status_code == 404
    assert second_browser.get(f"/me/appointments/{appointment_id}/reschedule").status_code == 404
    session.expire_all()
    assert session.get(Appointment, appointment_id).status == "booked"  # type: ignore[union-attr]


def test_booking_needs_a_signed_in_patient(client: TestClient, small_clinic: SmallClinic) -> None:
    token = csrf_token(client, "/self-check")
    anonymous = client.post("/book/hold", data={"csrf_token": token}, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    mine = client.get("/me/appointments", follow_redirects=False)
    assert mine.headers["location"] == "/login?next=%2Fme%2Fappointments"
    sign_in(client, "dr.okafor@clinic.example")
    assert client.get("/me/appointments").status_code == 403
