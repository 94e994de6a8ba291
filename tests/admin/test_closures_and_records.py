"""Clinic closures from the admin page (the day's times vanish from booking), the outbox with
resend, and the audit log with filters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit import service as audit
from plexcare.audit.models import AuditEvent
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling import service as booking
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.portal.forms import csrf_token, sign_in
from tests.scheduling.test_booking import TUESDAY_10

WEDNESDAY = "2026-03-04"


@pytest.fixture
def admin(client: TestClient, small_clinic: SmallClinic) -> Iterator[TestClient]:
    sign_in(client, "admin@clinic.example")
    yield client


def calendar_has(page: str, day: str) -> bool:
    return f"day={day}#slots-heading" in page


def test_closing_a_day_takes_its_times_off_the_booking_calendar(
    admin: TestClient, small_clinic: SmallClinic
) -> None:
    search = f"/book?specialty=neurology&from={WEDNESDAY}&to=2026-03-05"
    assert calendar_has(admin.get(search).text, WEDNESDAY)
    page = admin.get("/admin/closures").text
    assert "Good Friday" in page and "Christmas Day" in page
    token = csrf_token(admin, "/admin/closures")
    closed = admin.post(
        "/admin/closures", data={"csrf_token": token, "day": WEDNESDAY, "note": "Staff training"}
    )
    assert "The day is closed" in closed.text and "Staff training" in closed.text
    after = admin.get(search).text
    assert not calendar_has(after, WEDNESDAY)
    assert calendar_has(after, "2026-03-05")

    opened = admin.post(
        "/admin/closures", data={"csrf_token": token, "day": "2026-04-03", "closed": "no"}
    )
    assert "The day is open again" in opened.text
    good_friday = admin.get("/book?specialty=neurology&from=2026-04-03&to=2026-04-03").text
    assert calendar_has(good_friday, "2026-04-03")

    bad = admin.post("/admin/closures", data={"csrf_token": token, "day": "soon"})
    assert bad.status_code == 422 and 'id="error-day"' in bad.text


def test_a_failed_message_is_resent_and_a_withdrawn_one_is_not(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    booking.book(
        session=session,
        actor=Actor(user_id=small_clinic.patient_a.id, role="patient"),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()
    first, second = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()[:2]
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == first)
        .values(status="failed", attempts=6, last_error="mail server refused")
    )
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == second).values(status="withdrawn")
    )
    session.commit()

    page = admin.get("/admin/outbox").text
    assert "mail server refused" in page
    assert f'action="/admin/outbox/{first}/resend"' in page
    assert f'action="/admin/outbox/{second}/resend"' not in page
    token = csrf_token(admin, "/admin/outbox")
    resent = admin.post(f"/admin/outbox/{first}/resend", data={"csrf_token": token})
    assert "queued to be sent again" in resent.text
    refused = admin.post(f"/admin/outbox/{second}/resend", data={"csrf_token": token})
    assert refused.status_code == 409
    session.expire_all()
    stored = session.execute(
        select(OutboxMessage.status, OutboxMessage.attempts).where(OutboxMessage.id == first)
    ).one()
    session.rollback()
    assert tuple(stored) == ("pending", 0)


def test_the_audit_log_filters_by_patient_and_action_and_names_a_bad_filter(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    ann, bob = small_clinic.patient_a.id, small_clinic.patient_b.id
    for person in (ann, bob):
        booking.book(
            session=session,
            actor=Actor(user_id=person, role="patient"),
            clinician_id=small_clinic.neurologist.id if person == ann else small_clinic.pain.id,
            appointment_type_id=small_clinic.consultation.id,
            starts_at=TUESDAY_10,
            now=TEST_NOW,
        )
    session.commit()
    page = admin.get(f"/admin/audit?patient={ann}&action=create").text
    assert "1 event," in page
    assert "appointment" in page
    everyone = admin.get("/admin/audit?action=create&from=2026-03-02&to=2026-03-02").text
    assert "2 events," in everyone
    assert admin.get("/admin/audit?patient=ann").status_code == 422
    assert admin.get("/admin/audit?action=steal").status_code == 422
    assert "0 events," in admin.get("/admin/audit?from=2026-03-03").text


def test_the_audit_log_names_roles_actions_and_records_in_words(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    audit.record_access(
        session=session,
        actor=Actor(user_id=small_clinic.front_desk.id, role="front_desk"),
        action="read",
        subject_type="callback_request",
        subject_id=7,
        patient_user_id=None,
        now=TEST_NOW,
    )
    session.commit()
    rows = admin.get("/admin/audit").text.split('<tbody role="rowgroup">', 1)[1]
    rows = rows.split("</tbody>", 1)[0]
    assert "(administrator," in rows and '<td role="cell" data-label="Did">sign in</td>' in rows
    assert "(front desk" in rows
    assert (
        '<td role="cell" data-label="Record">callback request <span class="unbroken">7</span></td>'
        in rows
    )
    assert "(admin," not in rows and "sign_in" not in rows and "callback_request" not in rows


def test_reading_the_audit_log_and_the_users_list_is_audited_for_the_patients_shown(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    ann = small_clinic.patient_a.id
    session.rollback()
    admin.get("/admin?role=patient")
    admin.get(f"/admin/audit?patient={ann}")
    kinds = set(
        session.scalars(
            select(AuditEvent.subject_type).where(
                AuditEvent.patient_user_id == ann, AuditEvent.action == "read"
            )
        )
    )
    session.rollback()
    assert {"patient", "audit_events"} <= kinds
