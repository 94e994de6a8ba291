"""The call-back queue at the front desk: overdue first, one colleague per call, the outcome
recorded, and every read and change audited."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.callbacks.models import CallbackRequest
from tests.conftest_db import TEST_NOW, SmallClinic, make_app
from tests.portal.forms import csrf_token, sign_in
from tests.web.records import anonymous_callback

TWO_DAYS_ON = TEST_NOW + timedelta(days=2)


def stored(session: Session, callback_id: int) -> tuple[str, int | None, str]:
    session.expire_all()
    row = session.get(CallbackRequest, callback_id)
    assert row is not None
    found = (row.status, row.owner_user_id, row.note)
    session.rollback()
    return found


def test_the_queue_puts_overdue_calls_first_and_one_colleague_takes_each(
    db_url: str, small_clinic: SmallClinic, session: Session
) -> None:
    desk_id = small_clinic.front_desk.id
    old = anonymous_callback(session, phone="020 7946 0011", client_ip="192.0.2.11")
    session.commit()
    old_id = old.id
    session.execute(
        CallbackRequest.__table__.update()
        .where(CallbackRequest.id == old_id)
        .values(due_at=TEST_NOW + timedelta(hours=1))
    )
    fresh = anonymous_callback(session, phone="020 7946 0012", client_ip="192.0.2.12")
    session.execute(
        CallbackRequest.__table__.update()
        .where(CallbackRequest.id == fresh.id)
        .values(due_at=TWO_DAYS_ON + timedelta(hours=4))
    )
    session.commit()
    fresh_id = fresh.id
    session.rollback()

    with (
        TestClient(make_app(db_url, now=TWO_DAYS_ON)) as desk,
        TestClient(make_app(db_url, now=TWO_DAYS_ON)) as colleague,
    ):
        sign_in(desk, "desk@clinic.example")
        sign_in(colleague, "admin@clinic.example")
        page = desk.get("/desk/callbacks").text
        assert "1 overdue" in page
        assert page.index(f'id="callback-{old_id}"') < page.index(f'id="callback-{fresh_id}"')
        assert "Overdue:" in page.split(f'id="callback-{old_id}"', 1)[1].split("</li>", 1)[0]

        token = csrf_token(desk, "/desk/callbacks")
        desk.post(f"/desk/callbacks/{old_id}/claim", data={"csrf_token": token})
        assert stored(session, old_id)[:2] == ("in_progress", desk_id)

        other = csrf_token(colleague, "/desk/callbacks")
        taken = colleague.post(f"/desk/callbacks/{old_id}/claim", data={"csrf_token": other})
        assert "already taken" in taken.text
        assert stored(session, old_id)[1] == desk_id

        done = desk.post(
            f"/desk/callbacks/{old_id}/outcome",
            data={"csrf_token": token, "outcome": "done", "note": "Booked a consultation"},
        )
        assert "outcome is recorded" in done.text
        assert stored(session, old_id) == ("done", desk_id, "Booked a consultation")

    audited = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "callback_request", AuditEvent.action == "update")
    )
    session.rollback()
    assert audited == 2


def test_a_patient_cannot_open_the_queue(client: TestClient, small_clinic: SmallClinic) -> None:
    sign_in(client, "ann@example.org")
    assert client.get("/desk/callbacks").status_code == 403
