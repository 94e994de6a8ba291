"""What a portal page says it has kept is really kept: "saved to your record" after the
self-check is a stored result in that patient's record with the answers and the urgency shown,
and "we will call you" is a queued callback request for that number, due when the page says.
Where the page promises nothing, nothing is stored."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.callbacks.models import CallbackRequest
from plexcare.config import get_settings
from plexcare.portal.layout import when_label
from plexcare.triage.models import TriageRecord
from tests.conftest_db import SmallClinic
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in
from tests.self_check_answers import as_form
from tests.triage.test_self_check_booking import HARD_TO_WALK

pytestmark = ON_SQLITE

SAVED_CLAIM = "saved to your record"
CALL_CLAIM = "We will call you"


def send_self_check(client: TestClient) -> str:
    token = csrf_token(client, "/self-check")
    page = client.post("/self-check", data={**as_form(HARD_TO_WALK), "csrf_token": token})
    assert page.status_code == 200, page.text
    return page.text


def ask_for_a_call(client: TestClient, phone: str) -> tuple[int, str]:
    token = csrf_token(client, "/self-check/callback?urgency=urgent")
    page = client.post(
        "/self-check/callback",
        data={"csrf_token": token, "urgency": "urgent", "full_name": "Ann Okafor", "phone": phone},
    )
    return page.status_code, page.text


def test_a_signed_in_patients_saved_self_check_is_in_their_record(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")

    page = send_self_check(client)

    assert SAVED_CLAIM in page
    record = session.scalars(select(TriageRecord)).one()
    ann = small_clinic.patient_a.id
    assert (record.patient_id, record.urgency, record.specialty) == (ann, "soon", "neurology")
    assert record.answers == HARD_TO_WALK
    audited = session.execute(
        select(AuditEvent.actor_user_id, AuditEvent.action, AuditEvent.patient_user_id).where(
            AuditEvent.subject_type == "triage_record", AuditEvent.subject_id == str(record.id)
        )
    ).all()
    assert [tuple(row) for row in audited] == [(ann, "create", ann)]


def test_an_anonymous_self_check_claims_no_saving_and_stores_nothing(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    page = send_self_check(client)

    assert SAVED_CLAIM not in page
    assert session.scalar(select(func.count()).select_from(TriageRecord)) == 0


def test_we_will_call_you_is_a_queued_request_for_that_number_due_when_the_page_says(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")

    status, page = ask_for_a_call(client, "020 7946 0018")

    assert status == 200, page
    assert CALL_CLAIM in page
    queued = session.scalars(select(CallbackRequest)).one()
    assert (queued.phone, queued.full_name, queued.urgency, queued.status) == (
        "+442079460018",
        "Ann Okafor",
        "urgent",
        "new",
    )
    assert queued.patient_user_id == small_clinic.patient_a.id
    assert f"by {when_label(queued.due_at, get_settings().clinic_zone)}" in page


def test_an_anonymous_callers_request_is_queued_too(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    status, page = ask_for_a_call(client, "+44 20 7946 0019")

    assert status == 200, page
    assert CALL_CLAIM in page
    queued = session.scalars(select(CallbackRequest)).one()
    assert (queued.phone, queued.patient_user_id) == ("+442079460019", None)
    assert f"by {when_label(queued.due_at, get_settings().clinic_zone)}" in page


def test_a_number_that_cannot_be_called_gets_no_promise_and_nothing_is_queued(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    status, page = ask_for_a_call(client, "call me")

    assert status == 422
    assert CALL_CLAIM not in page
    assert session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
