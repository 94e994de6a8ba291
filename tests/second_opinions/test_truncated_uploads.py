"""A JPEG that was cut short (an interrupted phone upload, a half-copied file) is refused as
incomplete wherever the cut falls, through the service and through the upload route on SQLite
and PostgreSQL, and a refused upload leaves neither a stored file nor a request row: a
clinician must never open a patient's image that is missing its lower half."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest_db import Personas
from tests.second_opinions.samples import JPEG, PDF
from tests.second_opinions.test_formats import refusal
from tests.second_opinions.test_upload_route import LIMIT, nothing_kept, submit

SIGNATURE = 3
"""A JPEG's first three bytes: anything shorter is not recognisably a JPEG at all."""

CUT_SHORT = {
    "end-marker-missing": JPEG[:-2],
    "scan-data-missing": JPEG[:-3],
    "scan-ends-in-a-lone-marker-byte": JPEG[:-2] + b"\xff",
    "scan-ends-after-a-stuffed-byte": JPEG[:-2] + b"\xff\x00",
    "scan-ends-after-a-restart-marker": JPEG[:-2] + b"\xff\xd0\x3f",
    "second-picture-cut-short": JPEG + JPEG[:-2],
}


@pytest.mark.parametrize(
    "cut", range(SIGNATURE, len(JPEG)), ids=lambda cut: f"first-{cut}-of-{len(JPEG)}-bytes"
)
def test_a_jpeg_cut_off_at_any_byte_is_refused_as_incomplete_and_nothing_is_kept(
    tmp_path: Path, cut: int
) -> None:
    refused = refusal(tmp_path / "uploads", JPEG[:cut], name="knee.jpg")

    assert refused.status == 422
    assert "'knee.jpg'" in refused.detail
    assert "incomplete" in refused.detail


@pytest.mark.parametrize(
    "cut", range(SIGNATURE, len(JPEG)), ids=lambda cut: f"first-{cut}-of-{len(JPEG)}-bytes"
)
def test_a_two_picture_jpeg_whose_second_picture_is_cut_off_is_refused(
    tmp_path: Path, cut: int
) -> None:
    refused = refusal(tmp_path / "uploads", JPEG + JPEG[:cut], name="knee.jpg")

    assert "incomplete" in refused.detail


@pytest.mark.parametrize("content", CUT_SHORT.values(), ids=CUT_SHORT.keys())
def test_an_incomplete_jpeg_sent_for_a_second_opinion_is_refused_naming_it_and_nothing_is_kept(
    client: TestClient,
    personas: Personas,
    session: Session,
    tmp_path: Path,
    content: bytes,
) -> None:
    upload_dir = tmp_path / "uploads"
    client.app.state.upload_dir = upload_dir  # type: ignore[attr-defined]
    client.app.state.upload_max_bytes = LIMIT  # type: ignore[attr-defined]

    answer = submit(
        client, personas.headers["patient_a"], [("report.pdf", PDF), ("knee.jpg", content)]
    )

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["errors"][0]["field"] == "file"
    assert "'knee.jpg'" in problem["detail"]
    assert "incomplete" in problem["detail"]
    assert nothing_kept(upload_dir, session)
    session.rollback()  # end the read, so the app may write (SQLite has one writer)
    assert submit(client, personas.headers["patient_a"], [("knee.jpg", JPEG)]).status_code == 201
