"""The second-opinion pages as a patient and the staff use them: a request with a report is
stored and shown back, a disguised file is refused with a plain reason and nothing kept, a
patient never sees another patient's request, the front desk assigns and the clinician
answers, and the patient then reads the answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.roles import Role
from plexcare.audit.models import AuditEvent
from plexcare.notifications.models import OutboxMessage
from plexcare.second_opinions.models import SecondOpinionFile, SecondOpinionRequest
from tests.conftest_db import SmallClinic, add_user
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in
from tests.second_opinions.samples import PDF, PDF_HEADER_HTML_BODY

pytestmark = ON_SQLITE
QUESTION = "Is surgery needed for my lumbosacral plexus lesion, or can it wait?"
OPINION = "Surgery is not needed now: the study shows a lesion that usually recovers."


@pytest.fixture
def upload_dir(client: TestClient, tmp_path: Path) -> Path:
    directory = tmp_path / "uploads"
    client.app.state.upload_dir = directory  # type: ignore[attr-defined]
    return directory


def send_request(
    client: TestClient, files: list[tuple[str, bytes]], question: str = QUESTION
) -> tuple[int, str]:
    token = csrf_token(client, "/second-opinion")
    answer = client.post(
        "/second-opinion",
        data={"csrf_token": token, "question": question},
        files=[("files", (name, data, "application/pdf")) for name, data in files],
    )
    return answer.status_code, answer.text


def send_anns_request(client: TestClient, session: Session) -> int:
    """Ann signs in on `client` and sends her request with an MRI report; its id. The test's
    read ends at once: on SQLite an open read would keep the app from writing, so a test reads
    what it needs of the clinic before calling this."""
    sign_in(client, "ann@example.org")
    send_request(client, [("MRI report.pdf", PDF)])
    request_id = session.scalars(select(SecondOpinionRequest.id)).one()
    session.rollback()
    return request_id


def test_a_patient_sends_a_report_and_sees_the_request_with_its_file(
    client: TestClient, small_clinic: SmallClinic, session: Session, upload_dir: Path
) -> None:
    sign_in(client, "ann@example.org")

    status, text = send_request(client, [("MRI report.pdf", PDF)])

    assert status == 200, text
    assert "Your request has been sent" in text
    assert "MRI report.pdf" in text
    assert "Received: waiting for a clinician" in text
    stored = session.scalars(select(SecondOpinionRequest)).one()
    assert (stored.patient_id, stored.question) == (small_clinic.patient_a.id, QUESTION)
    assert session.scalar(select(func.count()).select_from(SecondOpinionFile)) == 1
    assert len(list(upload_dir.iterdir())) == 1
    session.rollback()
    listing = client.get("/me/second-opinions").text
    assert f"/me/second-opinions/{stored.id}" in listing


def test_a_disguised_file_is_refused_with_a_plain_reason_and_nothing_is_kept(
    client: TestClient, small_clinic: SmallClinic, session: Session, upload_dir: Path
) -> None:
    sign_in(client, "ann@example.org")

    status, text = send_request(client, [("scan.pdf", PDF_HEADER_HTML_BODY)])

    assert status == 422
    assert 'id="error-files"' in text
    assert "scan.pdf" in text and "refused" in text
    assert QUESTION in text, "the question is kept for the next try"
    assert session.scalar(select(func.count()).select_from(SecondOpinionRequest)) == 0
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_a_short_question_is_named(
    client: TestClient, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    sign_in(client, "ann@example.org")

    status, text = send_request(client, [], question="Help")

    assert status == 422
    assert 'id="error-question"' in text


def test_the_form_asks_a_visitor_to_sign_in_and_refuses_other_roles(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.get("/second-opinion", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    sign_in(client, "desk@clinic.example")
    assert client.get("/second-opinion").status_code == 403


def test_a_post_without_the_form_token_stores_nothing(
    client: TestClient, small_clinic: SmallClinic, session: Session, upload_dir: Path
) -> None:
    sign_in(client, "ann@example.org")
    answer = client.post(
        "/second-opinion",
        data={"question": QUESTION},
        files=[("files", ("r.pdf", PDF, "application/pdf"))],
    )
    assert answer.status_code == 403
    assert session.scalar(select(func.count()).select_from(SecondOpinionRequest)) == 0


def test_another_patient_gets_not_found(
    client: TestClient,
    second_browser: TestClient,
    small_clinic: SmallClinic,
    session: Session,
    upload_dir: Path,
) -> None:
    request_id = send_anns_request(client, session)
    sign_in(second_browser, "bob@example.org")

    answer = second_browser.get(f"/me/second-opinions/{request_id}")

    assert answer.status_code == 404
    assert QUESTION not in answer.text


def test_the_desk_assigns_the_clinician_answers_and_the_patient_reads_it(
    client: TestClient,
    second_browser: TestClient,
    small_clinic: SmallClinic,
    session: Session,
    upload_dir: Path,
) -> None:
    clinician_id = small_clinic.clinician_user.id
    request_id = send_anns_request(client, session)
    desk = second_browser
    sign_in(desk, "desk@clinic.example")
    queue = desk.get("/desk/second-opinions")
    assert queue.status_code == 200 and QUESTION[:60] in queue.text
    token = csrf_token(desk, "/desk/second-opinions")
    assigned = desk.post(
        f"/desk/second-opinions/{request_id}/assign",
        data={"csrf_token": token, "reviewer_user_id": str(clinician_id)},
    )
    assert assigned.status_code == 200 and "The request has been assigned" in assigned.text
    desk.get("/logout")
    desk.cookies.clear()
    sign_in(desk, "dr.okafor@clinic.example")
    token = csrf_token(desk, f"/desk/second-opinions/{request_id}")
    too_short = desk.post(
        f"/desk/second-opinions/{request_id}/answer",
        data={"csrf_token": token, "opinion": "No."},
    )
    assert too_short.status_code == 422 and 'id="error-opinion"' in too_short.text
    answered = desk.post(
        f"/desk/second-opinions/{request_id}/answer",
        data={"csrf_token": token, "opinion": OPINION},
    )
    assert answered.status_code == 200 and "The answer has been saved" in answered.text

    mine = client.get(f"/me/second-opinions/{request_id}").text

    assert OPINION in mine and "Answered" in mine
    session.expire_all()
    row = session.get(SecondOpinionRequest, request_id)
    assert row is not None and row.reviewer_user_id == clinician_id
    told = session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient_user_id == row.patient_id)
    ).all()
    assert told == ["second_opinion_answered"]
    updates = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "second_opinion", AuditEvent.action == "update")
    )
    assert updates == 2


def test_a_patient_may_not_use_the_desk_queue(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    assert client.get("/desk/second-opinions").status_code == 403


def test_a_clinician_takes_a_request_and_another_clinician_may_not_answer_it(
    client: TestClient,
    second_browser: TestClient,
    small_clinic: SmallClinic,
    session: Session,
    upload_dir: Path,
) -> None:
    other = add_user(session, email="dr.lind@clinic.example", role=Role.clinician)
    other_email = other.email
    session.commit()
    request_id = send_anns_request(client, session)
    sign_in(second_browser, "dr.okafor@clinic.example")
    token = csrf_token(second_browser, f"/desk/second-opinions/{request_id}")
    taken = second_browser.post(
        f"/desk/second-opinions/{request_id}/take", data={"csrf_token": token}
    )
    assert taken.status_code == 200 and "You are now reviewing this request" in taken.text
    second_browser.get("/logout")
    second_browser.cookies.clear()
    sign_in(second_browser, other_email)
    token = csrf_token(second_browser, f"/desk/second-opinions/{request_id}")

    refused = second_browser.post(
        f"/desk/second-opinions/{request_id}/answer",
        data={"csrf_token": token, "opinion": OPINION},
    )

    assert refused.status_code == 409
    assert "another clinician is reviewing this request" in refused.text.lower()
    row = session.get(SecondOpinionRequest, request_id)
    assert row is not None and row.opinion is None


def test_desk_actions_without_the_form_token_change_nothing(
    client: TestClient,
    second_browser: TestClient,
    small_clinic: SmallClinic,
    session: Session,
    upload_dir: Path,
) -> None:
    clinician_id = small_clinic.clinician_user.id
    request_id = send_anns_request(client, session)
    sign_in(second_browser, "desk@clinic.example")

    assigned = second_browser.post(
        f"/desk/second-opinions/{request_id}/assign",
        data={"reviewer_user_id": str(clinician_id)},
    )

    assert assigned.status_code == 403
    row = session.get(SecondOpinionRequest, request_id)
    assert row is not None and (row.status, row.reviewer_user_id) == ("received", None)
