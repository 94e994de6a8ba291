"""The assessment page, the report and the follow-up page as a clinician uses them: Debian's
Chromium against a real server, axe-core on every page, at a phone's 390 px and at a desk's
width, with screenshots kept under var/screenshots/."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.cases import service as cases
from plexcare.db import session_factory
from plexcare.engine import Case
from plexcare.followup import service as followup
from plexcare.knowledge.loader import knowledge_base
from tests.accessibility import assert_accessible
from tests.browser import chromium, small_clinic_served
from tests.cases.test_assessment_page import example
from tests.conftest_db import PASSWORD, TEST_NOW

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def _seed(sqlite_url: str) -> tuple[int, int]:
    """Ann's left pan-plexopathy on anticoagulation, saved by Dr Okafor, with two follow-up
    visits; (case id, patient id)."""
    kb = knowledge_base()
    with session_factory(sqlite_url)() as session:
        clinician = accounts_repository.user_by_email(
            session=session, email="dr.okafor@clinic.example"
        )
        patient = accounts_repository.user_by_email(session=session, email="ann@example.org")
        assert clinician is not None and patient is not None
        actor = Actor(user_id=clinician.id, role="clinician")
        record, _version = cases.create_case(
            session=session,
            actor=actor,
            patient_id=patient.id,
            title="Left leg weakness on warfarin",
            case=Case.model_validate(example("pan_plexus_haematoma_anticoagulated")),
            note_for_patient="",
            kb=kb,
            now=TEST_NOW,
        )
        for weeks_ago, pain in ((6, 8), (3, 6)):
            followup.record_visit(
                session=session,
                actor=actor,
                patient_id=patient.id,
                seen_at=TEST_NOW - timedelta(weeks=weeks_ago),
                case_id=record.id,
                note="",
                scores=[followup.ScoreEntry("pain_numeric_rating", pain, None)],
                kb=kb,
                now=TEST_NOW,
            )
        session.commit()
        return record.id, patient.id


@pytest.fixture(scope="module")
def served(sqlite_url: str) -> Iterator[tuple[str, int, int]]:
    with small_clinic_served(sqlite_url) as url:
        case_id, patient_id = _seed(sqlite_url)
        yield url, case_id, patient_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def signed_in(browser: Browser, url: str, viewport: dict[str, int]) -> Page:
    page = browser.new_page(viewport=viewport, accept_downloads=True)  # type: ignore[arg-type]
    page.goto(url + "/login")
    page.get_by_label("E-mail address").fill("dr.okafor@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (DESK, "desk")])
def test_the_assessment_opens_with_its_summary_and_body_map(
    served: tuple[str, int, int], browser: Browser, viewport: dict[str, int], label: str
) -> None:
    url, case_id, _patient_id = served
    page = signed_in(browser, url, viewport)
    page.goto(f"{url}/clinic/cases/{case_id}/assessment")
    shoot(page, f"assessment-{label}")
    summary = page.get_by_role("region", name="Summary")
    assert summary.is_visible()
    assert "Emergency:" in summary.inner_text()
    assert "Likely" in summary.inner_text()
    assert page.get_by_role("heading", name="Body map").is_visible()
    drawing = page.get_by_role("img", name=re.compile("Body map"))
    assert drawing.is_visible()
    assert page.get_by_role("link", name="Download PDF").is_visible()
    assert page.get_by_role("link", name="Follow-up").is_visible()
    page.get_by_text("The findings drawn, in words").click()
    assert page.get_by_text("left Iliacus MRC 1").is_visible()
    assert fits_the_width(page)
    caption = page.locator("table.probabilities caption").first
    box = caption.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    if label == "desk":
        # the summary fits on one screen: its bottom edge is above the fold
        bottom = summary.bounding_box()
        assert bottom is not None and bottom["y"] + bottom["height"] <= viewport["height"]
    assert_accessible(page)
    page.reload()
    assert page.get_by_role("region", name="Summary").is_visible()
    page.close()


def test_the_report_prints_and_downloads_a_pdf_of_at_most_two_pages(
    served: tuple[str, int, int], browser: Browser, tmp_path: Path
) -> None:
    url, case_id, _patient_id = served
    page = signed_in(browser, url, DESK)
    page.goto(f"{url}/clinic/cases/{case_id}/assessment")
    page.get_by_role("link", name="Printable report").click()
    page.wait_for_url(f"**/clinic/cases/{case_id}/report*")
    assert page.get_by_role("button", name="Print").is_visible()
    assert "ann" in page.inner_text("main")
    assert page.get_by_role("heading", name="Follow-up scores").is_visible()
    assert_accessible(page)
    shoot(page, "report")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download PDF").click()
    saved = tmp_path / "report.pdf"
    waiting.value.save_as(saved)
    shutil.copy(saved, SCREENSHOTS / "report-from-browser.pdf")
    info = subprocess.run(["pdfinfo", str(saved)], capture_output=True, text=True, check=True)
    pages = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert pages is not None and int(pages.group(1)) <= 2
    text = subprocess.run(
        ["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ann" in text and "Left leg weakness on warfarin" in text
    page.set_viewport_size(PHONE)
    assert fits_the_width(page)
    assert_accessible(page)
    shoot(page, "report-phone")
    page.close()


def test_a_follow_up_visit_is_recorded_plotted_and_not_repeated_on_reload(
    served: tuple[str, int, int], browser: Browser
) -> None:
    url, _case_id, patient_id = served
    page = signed_in(browser, url, PHONE)
    page.goto(f"{url}/clinic/patients/{patient_id}/follow-up")
    assert page.get_by_role("heading", name="Outcome scores over time").is_visible()
    page.get_by_role("spinbutton", name="Pain numeric rating scale").fill("14")
    page.get_by_role("button", name="Save the visit").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert "runs from 0 to 10" in page.get_by_role("alert").inner_text()
    page.get_by_role("spinbutton", name="Pain numeric rating scale").fill("4")
    page.get_by_role("spinbutton", name="10-metre walk test").fill("11.2")
    page.get_by_role("button", name="Save the visit").click()
    page.wait_for_url(f"**/clinic/patients/{patient_id}/follow-up")
    chart = page.get_by_role("img", name="Pain numeric rating scale over time")
    assert chart.is_visible()
    assert chart.locator("circle").count() == 3
    rows = page.locator("table.outcome-table").first.locator("tbody tr")
    assert rows.count() == 3
    page.reload()
    assert page.locator("table.outcome-table").first.locator("tbody tr").count() == 3
    assert fits_the_width(page)
    assert_accessible(page)
    shoot(page, "follow-up")
    page.close()
