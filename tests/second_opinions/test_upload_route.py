"""The upload route refuses early and serves safely, on SQLite and PostgreSQL: who asks is
checked before the body is read, a body over the limit is cut off before it is read or as soon
as it passes the limit, disguised files are refused by content with nothing kept, and files go
out as attachments under a generated name that browsers may not sniff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.second_opinions.intake import FORM_ALLOWANCE
from plexcare.second_opinions.models import SecondOpinionFile, SecondOpinionRequest
from tests.conftest_db import Personas
from tests.second_opinions.samples import (
    DICOM,
    EXE_WITH_DICM,
    JPEG,
    PDF,
    PDF_HEADER_HTML_BODY,
    PNG,
    PNG_HEADER_SCRIPT,
)

LIMIT = 64 * 1024
CHUNK = 16 * 1024
BOUNDARY = "plexcare-test-boundary"
QUESTION = "Is surgery needed for my lumbosacral plexus lesion, or can it wait?"


@pytest.fixture
def upload_dir(client: TestClient, tmp_path: Path) -> Path:
    directory = tmp_path / "uploads"
    client.app.state.upload_dir = directory  # type: ignore[attr-defined]
    client.app.state.upload_max_bytes = LIMIT  # type: ignore[attr-defined]
    return directory


def nothing_kept(directory: Path, session: Session) -> bool:
    files = list(directory.iterdir()) if directory.exists() else []
    requests = session.scalar(select(func.count()).select_from(SecondOpinionRequest))
    return files == [] and requests == 0


def multipart(file_chunks: list[bytes], name: str = "scan.pdf") -> list[bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="question"\r\n\r\n{QUESTION}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return [head, *file_chunks, f"\r\n--{BOUNDARY}--\r\n".encode()]


@dataclass(frozen=True)
class StreamedPost:
    status: int
    problem: dict[str, Any]
    chunks_read: int


def post_streamed(
    app: FastAPI,
    headers: dict[str, str],
    chunks: list[bytes],
    *,
    content_length: int | None = None,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
) -> StreamedPost:
    """POST `chunks` one by one, as a client streaming a body would, counting what the app
    pulled (the test client would read the whole body first)."""
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for chunk in chunks:
            read += 1
            yield chunk

    async def send() -> httpx.Response:
        extra = {"Content-Type": content_type}
        if content_length is not None:
            extra["Content-Length"] = str(content_length)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.post(
                "/api/v1/second-opinions", headers={**headers, **extra}, content=body()
            )

    response = asyncio.run(send())
    return StreamedPost(response.status_code, response.json(), read)


def submit(client: TestClient, headers: dict[str, str], files: list[tuple[str, bytes]]) -> Any:
    return client.post(
        "/api/v1/second-opinions",
        headers=headers,
        data={"question": QUESTION},
        files=[("files", (name, content, "application/octet-stream")) for name, content in files],
    )


HUGE_BODY = multipart([b"0" * CHUNK] * (200 * 1024 * 1024 // CHUNK))
"""A 200 MB upload, as the probe sent (one chunk object, repeated: no 200 MB in memory)."""


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("front_desk", 403)])
def test_an_upload_from_someone_who_may_not_submit_is_refused_before_its_body_is_read(
    client: TestClient,
    personas: Personas,
    upload_dir: Path,
    session: Session,
    who: str,
    status: int,
) -> None:
    post = post_streamed(client.app, personas.headers[who], HUGE_BODY)  # type: ignore[arg-type]

    assert post.status == status
    assert post.chunks_read == 0
    assert nothing_kept(upload_dir, session)
    assert not upload_dir.exists()


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    client: TestClient, personas: Personas, upload_dir: Path, session: Session
) -> None:
    post = post_streamed(
        client.app,  # type: ignore[arg-type]
        personas.headers["patient_a"],
        HUGE_BODY,
        content_length=LIMIT + FORM_ALLOWANCE + 1,
    )

    assert post.status == 413
    assert post.problem["detail"] == (
        "the upload is larger than the 64 KB limit for all files together"
    )
    assert post.chunks_read == 0
    assert nothing_kept(upload_dir, session)


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(
    client: TestClient, personas: Personas, upload_dir: Path, session: Session
) -> None:
    post = post_streamed(client.app, personas.headers["patient_a"], HUGE_BODY)  # type: ignore[arg-type]

    assert post.status == 413
    assert post.problem["errors"][0]["field"] == "file"
    assert post.chunks_read <= (LIMIT + FORM_ALLOWANCE) // CHUNK + 2
    assert nothing_kept(upload_dir, session)


def test_a_streamed_body_within_the_limit_is_read_to_the_end_and_stored(
    client: TestClient, personas: Personas, upload_dir: Path, session: Session
) -> None:
    chunks = multipart([PDF[:100], PDF[100:]])

    post = post_streamed(client.app, personas.headers["patient_a"], chunks)  # type: ignore[arg-type]

    assert post.status == 201, post.problem
    assert post.chunks_read == len(chunks)
    assert len(list(upload_dir.iterdir())) == 1


def test_a_body_that_is_not_a_form_is_refused_with_415(
    client: TestClient, personas: Personas, upload_dir: Path, session: Session
) -> None:
    answer = client.post(
        "/api/v1/second-opinions",
        headers=personas.headers["patient_a"],
        json={"question": QUESTION},
    )

    assert answer.status_code == 415
    assert answer.json()["errors"][0]["field"] == "file"
    assert nothing_kept(upload_dir, session)


def test_more_files_than_allowed_are_refused_naming_the_field(
    client: TestClient, personas: Personas, upload_dir: Path, session: Session
) -> None:
    answer = submit(client, personas.headers["patient_a"], [("a.pdf", PDF)] * 11)

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "files"
    assert nothing_kept(upload_dir, session)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("report.pdf", PDF, "application/pdf"),
        ("knee.png", PNG, "image/png"),
        ("knee.jpg", JPEG, "image/jpeg"),
        ("mri.dcm", DICOM, "application/dicom"),
    ],
)
def test_real_reports_and_images_are_accepted(
    client: TestClient,
    personas: Personas,
    upload_dir: Path,
    name: str,
    content: bytes,
    content_type: str,
) -> None:
    answer = submit(client, personas.headers["patient_a"], [(name, content)])

    assert answer.status_code == 201, answer.text
    assert answer.json()["files"][0]["content_type"] == content_type


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("viewer.exe", EXE_WITH_DICM, 415),
        ("report.html", PDF_HEADER_HTML_BODY, 422),
        ("photo.png", PNG_HEADER_SCRIPT, 422),
        ("mri.dcm", DICOM[:-7], 422),
    ],
    ids=["exe-with-dicm", "pdf-header-html-body", "png-header-script", "truncated-dicom"],
)
def test_disguised_and_cut_off_files_are_refused_naming_the_file_and_nothing_is_kept(
    client: TestClient,
    personas: Personas,
    upload_dir: Path,
    session: Session,
    name: str,
    content: bytes,
    status: int,
) -> None:
    answer = submit(client, personas.headers["patient_a"], [("fine.pdf", PDF), (name, content)])

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "file"
    assert f"'{name}'" in answer.json()["detail"]
    assert nothing_kept(upload_dir, session)


def test_downloads_go_out_as_attachments_under_a_generated_name_that_may_not_be_sniffed(
    client: TestClient, personas: Personas, upload_dir: Path, session: Session
) -> None:
    body = submit(
        client, personas.headers["patient_a"], [("viewer.exe", DICOM), ("report.html", PDF)]
    ).json()
    urls = [f"/api/v1/second-opinions/{body['id']}/files/{item['id']}" for item in body["files"]]

    dicom, pdf = (client.get(url, headers=personas.headers["clinician"]) for url in urls)

    assert dicom.content == DICOM
    assert dicom.headers["content-type"] == "application/dicom"
    assert dicom.headers["content-disposition"] == (
        f'attachment; filename="second-opinion-{body["id"]}-1.dcm"'
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="second-opinion-{body["id"]}-2.pdf"'
    )
    for answer in (dicom, pdf):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "viewer" not in str(answer.headers) and "html" not in str(answer.headers)
    stored = session.scalars(select(SecondOpinionFile.original_name)).all()
    assert sorted(stored) == ["report.html", "viewer.exe"]
