"""The report a clinician sends: patient, clinician, date, versions, findings, conclusion, body
map, plan and follow-up, as printable HTML and as a PDF of at most two A4 pages."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.followup import service as followup
from plexcare.knowledge.model import KnowledgeBase
from tests.cases.test_assessment_page import example, save_case
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.portal.forms import ON_SQLITE, sign_in

pytestmark = ON_SQLITE

A4_POINTS = (595, 842)
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def add_visits(session: Session, clinic: SmallClinic, kb: KnowledgeBase) -> None:
    """Two follow-up visits six weeks apart: strength and pain improving."""
    clinician = Actor(user_id=clinic.clinician_user.id, role="clinician")
    for weeks_ago, pain, walk in ((6, 7, 14.0), (0, 3, 9.5)):
        followup.record_visit(
            session=session,
            actor=clinician,
            patient_id=clinic.patient_a.id,
            seen_at=TEST_NOW - timedelta(weeks=weeks_ago, hours=1),
            case_id=None,
            note="",
            scores=[
                followup.ScoreEntry("pain_numeric_rating", pain, None),
                followup.ScoreEntry("ten_metre_walk", walk, None),
            ],
            kb=kb,
            now=TEST_NOW,
        )
    session.commit()


def pdf_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} (poppler-utils) is missing: `make browser` installs it")
    return found


def pdf_facts(pdf: bytes, tmp_path: Path) -> tuple[int, tuple[float, float], str]:
    """(pages, page size in points, text) read by poppler from the PDF itself."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(
        [pdf_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M)
    assert size is not None
    text = subprocess.run(
        [pdf_tool("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return pages, (float(size.group(1)), float(size.group(2))), text


@pytest.mark.parametrize(
    "name", ["l5_radiculopathy", "pan_plexus_haematoma_anticoagulated", "sacral_plexus_neoplastic"]
)
def test_the_pdf_of_a_typical_case_fits_two_a4_pages_and_names_the_patient(
    client: TestClient,
    session: Session,
    small_clinic: SmallClinic,
    kb: KnowledgeBase,
    tmp_path: Path,
    name: str,
) -> None:
    case_id = save_case(session, small_clinic, kb, example(name), title="Leg weakness")
    add_visits(session, small_clinic, kb)
    sign_in(client, "dr.okafor@clinic.example")
    answer = client.get(f"/clinic/cases/{case_id}/report.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"report-{name}.pdf").write_bytes(answer.content)
    pages, size, text = pdf_facts(answer.content, tmp_path)
    assert pages <= 2, f"{name}: {pages} pages"
    assert (round(size[0]), round(size[1])) == A4_POINTS
    flat = " ".join(text.split())
    assert small_clinic.patient_a.full_name in flat
    assert small_clinic.clinician_user.full_name in flat
    assert "Monday 2 March 2026" in flat
    for heading in ("Conclusion", "Findings", "Body map", "Plan", "Follow-up scores"):
        assert heading in flat
    assert "version 1 of 1" in flat
    assert kb.version in flat


def test_the_printable_report_has_a_print_button_a_pdf_link_and_no_ids(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    add_visits(session, small_clinic, kb)
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/{case_id}/report")
    assert page.status_code == 200
    assert "data-print" in page.text and "/static/js/print-button.js" in page.text
    assert f'href="/clinic/cases/{case_id}/report.pdf?version=1"' in page.text
    assert small_clinic.patient_a.full_name in page.text
    assert "Tibialis anterior" in page.text and "(abnormal)" in page.text
    assert "Pain numeric rating scale" in page.text and "<polyline" in page.text
    words = re.sub(r"<[^>]+>", " ", page.text)
    assert not re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", words)


def test_the_conclusion_ends_each_line_with_one_stop_when_no_test_is_left(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    """With no further test worth doing, the next-test line is the planner's note, which is
    already a sentence: the report must not stop it twice."""
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/{case_id}/report")
    line = re.search(r"<strong>Next test:</strong>([^<]*)</li>", page.text)
    assert line is not None
    assert line.group(1).strip().startswith("No further test is likely")
    assert line.group(1).rstrip().endswith("%).")
    assert ".." not in re.sub(r"<[^>]+>", " ", page.text)


def test_each_report_is_audited_and_others_may_not_read_it(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    for email in ("ann@example.org", "desk@clinic.example"):
        sign_in(client, email)
        assert client.get(f"/clinic/cases/{case_id}/report").status_code == 403
        assert client.get(f"/clinic/cases/{case_id}/report.pdf").status_code == 403
    sign_in(client, "dr.okafor@clinic.example")
    assert client.get(f"/clinic/cases/{case_id}/report").status_code == 200
    assert client.get(f"/clinic/cases/{case_id}/report.pdf?version=3").status_code == 404
    session.expire_all()
    reads = session.scalars(
        select(AuditEvent.subject_type).where(AuditEvent.action == "read")
    ).all()
    assert sorted(reads) == ["case", "followup"]
    assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 3
