"""Second opinions through the API on SQLite and PostgreSQL: uploads checked by content and
size with nothing half-written, the review workflow, privacy, audited downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.notifications.models import OutboxMessage
from plexcare.second_opinions.models import SecondOpinionFile, SecondOpinionRequest
from tests.conftest_db import Personas, SmallClinic
from tests.second_opinions.samples import JPEG, PDF, WINDOWS_PROGRAM

LIMIT = 64 * 1024
QUESTION = "Is surgery needed for my lumbosacral plexus lesion, or can it wait?"


@pytest.fixture
def upload_dir(client: TestClient, tmp_path: Path) -> Path:
    directory = tmp_path / "uploads"
    client.app.state.upload_dir = directory  # type: ignore[attr-defined]
    client.app.state.upload_max_bytes = LIMIT  # type: ignore[attr-defined]
    return directory


def stored_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def submit(
    client: TestClient,
    headers: dict[str, str],
    files: list[tuple[str, bytes]],
    question: str = QUESTION,
) -> Any:
    return client.post(
        "/api/v1/second-opinions",
        headers=headers,
        data={"question": question},
        files=[("files", (name, content, "application/pdf")) for name, content in files],
    )


def test_a_patient_submits_reports_stored_under_random_names_with_checksums(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    answer = submit(
        client, personas.headers["patient_a"], [("MRI report.pdf", PDF), ("scan.jpeg", JPEG)]
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "received"
    assert [f["content_type"] for f in body["files"]] == ["application/pdf", "image/jpeg"]
    assert body["files"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["files"][0]["original_name"] == "MRI report.pdf"
    names = [path.name for path in stored_files(upload_dir)]
    assert len(names) == 2
    assert "MRI report.pdf" not in names


def test_a_renamed_program_is_refused_naming_the_file_and_nothing_is_kept(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    upload_dir: Path,
    session: Session,
) -> None:
    answer = submit(
        client,
        personas.headers["patient_a"],
        [("MRI report.pdf", PDF), ("report.pdf", WINDOWS_PROGRAM)],
    )
    assert answer.status_code == 415
    assert answer.headers["content-type"] == "application/problem+json"
    assert "report.pdf" in answer.json()["detail"]
    assert "Windows program" in answer.json()["detail"]
    assert answer.json()["errors"][0]["field"] == "file"
    assert stored_files(upload_dir) == []
    assert session.scalar(select(func.count()).select_from(SecondOpinionRequest)) == 0
    assert session.scalar(select(func.count()).select_from(SecondOpinionFile)) == 0


def test_an_oversized_file_is_refused_with_the_limit_and_nothing_is_kept(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    upload_dir: Path,
    session: Session,
) -> None:
    huge = b"%PDF-1.4\n" + bytes(LIMIT) + b"\n%%EOF\n"
    answer = submit(client, personas.headers["patient_a"], [("scan.pdf", PDF), ("big.pdf", huge)])
    assert answer.status_code == 413
    assert answer.json()["detail"] == "file 'big.pdf' is larger than the 64 KB limit"
    assert stored_files(upload_dir) == []
    assert session.scalar(select(func.count()).select_from(SecondOpinionRequest)) == 0


def test_a_too_short_question_is_refused_naming_the_field(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    answer = submit(client, personas.headers["patient_a"], [("a.pdf", PDF)], question="help")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "question"
    assert stored_files(upload_dir) == []


def test_review_then_answer_notifies_the_patient_who_alone_reads_it(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    upload_dir: Path,
    session: Session,
) -> None:
    request_id = submit(client, personas.headers["patient_a"], [("a.pdf", PDF)]).json()["id"]
    doctor = personas.headers["clinician"]

    review = client.post(f"/api/v1/second-opinions/{request_id}/review", headers=doctor)
    assert review.json()["status"] == "in_review"
    opinion = "The findings fit a lumbosacral trunk lesion; surgery is not needed now."
    answered = client.post(
        f"/api/v1/second-opinions/{request_id}/answer", headers=doctor, json={"opinion": opinion}
    )
    assert answered.status_code == 200, answered.text
    again = client.post(
        f"/api/v1/second-opinions/{request_id}/answer", headers=doctor, json={"opinion": opinion}
    )
    assert again.status_code == 409

    mine = client.get(
        f"/api/v1/second-opinions/{request_id}", headers=personas.headers["patient_a"]
    )
    assert (mine.json()["status"], mine.json()["opinion"]) == ("answered", opinion)
    theirs = client.get(
        f"/api/v1/second-opinions/{request_id}", headers=personas.headers["patient_b"]
    )
    assert theirs.status_code == 404
    listed = client.get("/api/v1/second-opinions", headers=personas.headers["patient_b"])
    assert listed.json()["total"] == 0
    kinds = session.scalars(
        select(OutboxMessage.kind).where(
            OutboxMessage.recipient_user_id == small_clinic.patient_a.id
        )
    ).all()
    assert list(kinds) == ["second_opinion_answered"]


def test_a_file_downloads_unchanged_for_its_patient_and_staff_only_and_is_audited(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    upload_dir: Path,
    session: Session,
) -> None:
    body = submit(client, personas.headers["patient_a"], [("MRI report.pdf", PDF)]).json()
    url = f"/api/v1/second-opinions/{body['id']}/files/{body['files'][0]['id']}"

    own = client.get(url, headers=personas.headers["patient_a"])
    desk = client.get(url, headers=personas.headers["front_desk"])
    other = client.get(url, headers=personas.headers["patient_b"])
    nobody = client.get(url)

    assert own.status_code == 200
    assert own.content == PDF
    assert own.headers["content-type"] == "application/pdf"
    assert "attachment" in own.headers["content-disposition"]
    assert desk.content == PDF
    assert (other.status_code, nobody.status_code) == (404, 401)
    downloads = session.execute(
        select(AuditEvent.actor_role).where(AuditEvent.subject_type == "second_opinion_file")
    ).all()
    assert sorted(row[0] for row in downloads) == ["front_desk", "patient"]


def test_the_staff_queue_filters_by_status_and_pages_oldest_first(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    ids = [
        submit(client, personas.headers[who], []).json()["id"]
        for who in ("patient_a", "patient_b", "patient_a")
    ]
    client.post(
        f"/api/v1/second-opinions/{ids[0]}/answer",
        headers=personas.headers["clinician"],
        json={"opinion": "No further tests are needed at this point; keep the brace."},
    )

    page = client.get(
        "/api/v1/second-opinions",
        params={"status": "received", "limit": 1},
        headers=personas.headers["front_desk"],
    ).json()
    assert (page["total"], [item["id"] for item in page["items"]]) == (2, [ids[1]])
    second = client.get(
        "/api/v1/second-opinions",
        params={"status": "received", "limit": 1, "offset": 1},
        headers=personas.headers["front_desk"],
    ).json()
    assert [item["id"] for item in second["items"]] == [ids[2]]
    bad = client.get(
        "/api/v1/second-opinions", params={"status": "lost"}, headers=personas.headers["clinician"]
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status"


def test_only_a_patient_submits_and_only_a_clinician_answers(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    assert submit(client, personas.headers["front_desk"], [("a.pdf", PDF)]).status_code == 403
    assert submit(client, {}, [("a.pdf", PDF)]).status_code == 401
    request_id = submit(client, personas.headers["patient_a"], []).json()["id"]
    answer = client.post(
        f"/api/v1/second-opinions/{request_id}/answer",
        headers=personas.headers["front_desk"],
        json={"opinion": "Front desk staff cannot write clinical opinions."},
    )
    assert answer.status_code == 403
    assert stored_files(upload_dir) == []
