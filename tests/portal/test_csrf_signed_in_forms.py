"""Every form a signed-in person sends (hold a time, confirm it, cancel, move, the clinician's
assessment) is refused without this browser's form token, and the refusal changes nothing:
no hold, no appointment change, no case, no queued message, no audit entry. The same post with
the page's own token then works, so a refusal is the check and never a broken form."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.cases.models import CaseVersion, ClinicalCase
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling.models import Appointment, SlotHold
from tests.cases.test_pages import example
from tests.conftest_db import SmallClinic
from tests.portal.forms import TOKEN, csrf_token, sign_in
from tests.scheduling.test_booking_pages import book_first_slot, slot_forms

Forge = Callable[[dict[str, str]], dict[str, str]]
"""The fields of a genuine form, as a forger would send them instead."""

MADE_UP_TOKEN = "0" * 64


@pytest.fixture(params=["missing", "made-up", "another-browsers"])
def forge(request: pytest.FixtureRequest, small_clinic: SmallClinic) -> Forge:
    """The three ways a post can lack this browser's token: none at all, a token nobody was
    given, and the genuine token of someone else's signed-in browser."""
    if request.param == "missing":
        return lambda fields: {k: v for k, v in fields.items() if k != "csrf_token"}
    if request.param == "made-up":
        return lambda fields: {**fields, "csrf_token": MADE_UP_TOKEN}
    other: TestClient = request.getfixturevalue("second_browser")
    sign_in(other, "bob@example.org")
    bobs_token = csrf_token(other, "/self-check")
    return lambda fields: {**fields, "csrf_token": bobs_token}


@dataclass(frozen=True)
class Records:
    """Everything the forms under test could write."""

    holds: frozenset[tuple[int, int, datetime]]
    appointments: frozenset[tuple[int, int, str, datetime]]
    cases: int
    case_versions: int
    queued_messages: int
    audit_events: int


def records(session: Session) -> Records:
    """What is stored now; the read is ended so the app may write (SQLite has one writer)."""
    holds = session.execute(select(SlotHold.id, SlotHold.patient_id, SlotHold.starts_at)).all()
    appointments = session.execute(
        select(Appointment.id, Appointment.patient_id, Appointment.status, Appointment.starts_at)
    ).all()
    found = Records(
        holds=frozenset((row.id, row.patient_id, row.starts_at) for row in holds),
        appointments=frozenset(
            (row.id, row.patient_id, row.status, row.starts_at) for row in appointments
        ),
        cases=session.scalar(select(func.count()).select_from(ClinicalCase)) or 0,
        case_versions=session.scalar(select(func.count()).select_from(CaseVersion)) or 0,
        queued_messages=session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        audit_events=session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )
    session.rollback()
    return found


def assert_refused_as_forged(answer: Response) -> None:
    assert answer.status_code == 403, answer.text
    assert "Please try again" in answer.text


def test_holding_a_time_needs_the_forms_token(
    client: TestClient, small_clinic: SmallClinic, session: Session, forge: Forge
) -> None:
    sign_in(client, "ann@example.org")
    slot = slot_forms(client.get("/book?specialty=neurology").text)[0]
    action = slot.pop("action")
    before = records(session)

    forged = client.post(action, data=forge(slot), follow_redirects=False)

    assert_refused_as_forged(forged)
    assert records(session) == before
    held = client.post(action, data=slot, follow_redirects=False)
    assert held.status_code == 303, held.text
    assert {(patient, start) for _id, patient, start in records(session).holds} == {
        (small_clinic.patient_a.id, datetime.fromisoformat(slot["starts_at"]))
    }


def test_confirming_a_held_time_needs_the_forms_token(
    client: TestClient, small_clinic: SmallClinic, session: Session, forge: Forge
) -> None:
    sign_in(client, "ann@example.org")
    slot = slot_forms(client.get("/book?specialty=neurology").text)[0]
    held = client.post(slot.pop("action"), data=slot, follow_redirects=False)
    hold_page = client.get(held.headers["location"])
    hold_id = re.search(r'name="hold_id" value="(\d+)"', hold_page.text)
    token = TOKEN.search(hold_page.text)
    assert hold_id is not None and token is not None
    genuine = {"hold_id": hold_id.group(1), "csrf_token": token.group(1)}
    before = records(session)

    forged = client.post("/book/confirm", data=forge(genuine), follow_redirects=False)

    assert_refused_as_forged(forged)
    assert records(session) == before
    assert before.appointments == frozenset()
    booked = client.post("/book/confirm", data=genuine, follow_redirects=False)
    assert booked.status_code == 303, booked.text
    assert {
        (patient, status, start) for _id, patient, status, start in records(session).appointments
    } == {(small_clinic.patient_a.id, "booked", datetime.fromisoformat(slot["starts_at"]))}


def test_cancelling_an_appointment_needs_the_forms_token(
    client: TestClient, small_clinic: SmallClinic, session: Session, forge: Forge
) -> None:
    sign_in(client, "ann@example.org")
    appointment_id = book_first_slot(client)
    action = f"/me/appointments/{appointment_id}/cancel"
    genuine = {"csrf_token": csrf_token(client, action), "reason": "Feeling better"}
    before = records(session)

    forged = client.post(action, data=forge(genuine), follow_redirects=False)

    assert_refused_as_forged(forged)
    assert records(session) == before
    cancelled = client.post(action, data=genuine, follow_redirects=False)
    assert cancelled.status_code == 303, cancelled.text
    assert session.get(Appointment, appointment_id).status == "cancelled"  # type: ignore[union-attr]


def test_moving_an_appointment_needs_the_forms_token(
    client: TestClient, small_clinic: SmallClinic, session: Session, forge: Forge
) -> None:
    sign_in(client, "ann@example.org")
    appointment_id = book_first_slot(client)
    later = slot_forms(client.get(f"/me/appointments/{appointment_id}/reschedule").text)[3]
    action = later.pop("action")
    before = records(session)

    forged = client.post(action, data=forge(later), follow_redirects=False)

    assert_refused_as_forged(forged)
    assert records(session) == before
    moved = client.post(action, data=later, follow_redirects=False)
    assert moved.status_code == 303, moved.text
    booked = {
        start
        for _id, _patient, status, start in records(session).appointments
        if status == "booked"
    }
    assert booked == {datetime.fromisoformat(later["starts_at"])}


def test_the_clinicians_assessment_form_needs_the_forms_token(
    client: TestClient, small_clinic: SmallClinic, session: Session, forge: Forge
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    genuine = {
        "csrf_token": csrf_token(client, "/clinic/cases/new"),
        "advanced": example("l5_radiculopathy"),
        "patient_email": "ann@example.org",
        "case_title": "Left foot drop",
    }
    before = records(session)

    forged = client.post("/clinic/cases", data=forge(genuine))

    assert_refused_as_forged(forged)
    assert records(session) == before
    assert (before.cases, before.case_versions) == (0, 0)
    report = client.post("/clinic/cases", data=genuine, follow_redirects=False)
    assert report.status_code == 303, report.text
    saved = session.scalars(select(ClinicalCase)).one()
    assert (saved.patient_id, saved.title) == (small_clinic.patient_a.id, "Left foot drop")
