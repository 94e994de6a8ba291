"""The clinician's day in a real Chromium against a real server: sign in to the worklist, find
the patient, enter a full case through the tables (no YAML), land on the assessment, reload
without a second version, download the report, reopen the case and save a new version.

Each page is checked with axe-core (no serious or critical violations) and photographed into
var/screenshots/ (kept as test artifacts, not committed).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.cases.models import CaseSignOff, CaseVersion, ClinicalCase
from plexcare.db import session_factory
from plexcare.followup import service as followup
from plexcare.knowledge.loader import knowledge_base
from plexcare.scheduling import service as scheduling
from tests.accessibility import assert_accessible
from tests.browser import chromium, served
from tests.conftest_db import PASSWORD, TEST_NOW, SmallClinic, empty_tables, make_app

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PATIENT = "Ann Example"


@pytest.fixture(scope="module")
def clinic_day(sqlite_url: str) -> Iterator[tuple[str, str]]:
    """The small clinic on Monday 2 March 2026, 08:00: Ann is booked with Dr Okafor at 10:00
    and has two follow-up visits with scores; served, with the database's address."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        clinic = SmallClinic(session)
        clinic.patient_a.full_name = PATIENT
        desk = Actor(user_id=clinic.front_desk.id, role=Role.front_desk)
        doctor = Actor(user_id=clinic.clinician_user.id, role=Role.clinician)
        scheduling.book(
            session=session,
            actor=desk,
            clinician_id=clinic.neurologist.id,
            appointment_type_id=clinic.consultation.id,
            starts_at=TEST_NOW.replace(hour=10),
            now=TEST_NOW,
            patient_id=clinic.patient_a.id,
        )
        for weeks_ago, pain in ((8, 7.0), (2, 4.0)):
            followup.record_visit(
                session=session,
                actor=doctor,
                patient_id=clinic.patient_a.id,
                seen_at=TEST_NOW - timedelta(weeks=weeks_ago),
                case_id=None,
                note="",
                scores=[followup.ScoreEntry(scale="pain_numeric_rating", value=pain, items=None)],
                kb=knowledge_base(),
                now=TEST_NOW,
            )
        session.commit()
    with served(make_app(sqlite_url)) as url:
        yield url, sqlite_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def photograph(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"workspace-{name}.png"), full_page=True)


def stored(database: str) -> tuple[int, list[int], int]:
    """(cases, version numbers, sign-offs) as the database holds them now."""
    with session_factory(database)() as session:
        cases = session.query(ClinicalCase).count()
        numbers = [v.number for v in session.query(CaseVersion).order_by(CaseVersion.number)]
        signed = session.query(CaseSignOff).count()
    return cases, numbers, signed


def field(page: Page, path: str) -> Any:
    return page.locator(f'[id="field-{path}"]')


def enter_full_case(page: Page) -> None:
    """A left foot drop entered through every table: timing, symptoms, history, strength
    with give-way, reflexes, the leg diagram, nerve conduction, needle EMG, imaging, labs."""
    field(page, "case_title").fill("Left foot drop")
    field(page, "age").fill("58")
    field(page, "sex").select_option("male")
    field(page, "evaluated_on").fill("2026-03-02")
    field(page, "onset_on").fill("2026-01-26")
    field(page, "tempo").select_option("subacute")
    field(page, "affected_side").select_option("left")
    field(page, "pain.score").fill("6")
    field(page, "pain.sites").fill("left buttock, left lateral leg")
    field(page, "symptoms.back_pain").select_option("yes")
    field(page, "symptoms.bladder_bowel").select_option("no")
    field(page, "history.diabetes").select_option("type2")
    field(page, "exam.left.strength.ankle_dorsiflexion").select_option("2")
    field(page, "exam.left.strength.ankle_eversion").select_option("3")
    field(page, "exam.left.strength.hip_abduction").select_option("4")
    field(page, "exam.left.give_way.hip_flexion").check()
    field(page, "exam.left.strength.hip_flexion").select_option("4")
    field(page, "exam.left.reflexes.achilles_reflex").select_option("normal")
    field(page, "exam.left.reflexes.patellar_reflex").select_option("normal")
    area = page.locator('a.sensory-area[data-field="field-exam.left.sensation.dorsum_of_foot"]')
    area.click()
    assert field(page, "exam.left.sensation.dorsum_of_foot").input_value() == "reduced"
    web = page.locator('a.sensory-area[data-field="field-exam.left.sensation.first_web_space"]')
    web.focus()
    page.keyboard.press(" ")
    page.keyboard.press("Enter")
    assert field(page, "exam.left.sensation.first_web_space").input_value() == "absent"
    field(page, "exam.right.sensation.dorsum_of_foot").select_option("normal")
    amplitude = field(page, "nerve_conduction.left.fibular_cmap_edb.amplitude")
    amplitude.fill("0.8")
    cell = page.locator("td.study-cell", has=amplitude)
    assert "study-abnormal" in (cell.get_attribute("class") or "")
    assert "normal ≥ 1.5" in cell.inner_text()
    assert "outside the normal limit" in cell.inner_text()
    field(page, "nerve_conduction.left.fibular_cmap_edb.latency").fill("5.1")
    field(page, "nerve_conduction.left.fibular_cmap_edb.velocity").fill("41")
    field(page, "nerve_conduction.left.superficial_fibular_snap.amplitude").fill("9")
    field(page, "nerve_conduction.left.sural_snap.amplitude").fill("12")
    field(page, "nerve_conduction.right.fibular_cmap_edb.amplitude").fill("5.2")
    for row, (muscle, fibs, recruitment) in enumerate(
        (
            ("tibialis_anterior", "2", "reduced"),
            ("peroneus_longus", "1", "reduced"),
            ("tibialis_posterior", "1", "reduced"),
            ("lumbar_paraspinal_l5", "1", ""),
        )
    ):
        field(page, f"emg_row.{row}.muscle").select_option(muscle)
        field(page, f"emg_row.{row}.side").select_option("left")
        field(page, f"emg_row.{row}.fibrillations").select_option(fibs)
        if recruitment:
            field(page, f"emg_row.{row}.recruitment").select_option(recruitment)
    field(page, "imaging_row.0.kind").select_option("disc_herniation")
    field(page, "imaging_row.0.level").fill("L4-L5 foraminal")
    field(page, "imaging_row.0.side").select_option("left")
    field(page, "imaging_row.0.region").select_option("lumbar_spine")
    field(page, "labs.hba1c").fill("7.9")
    field(page, "labs.crp").fill("4")
    assert field(page, "advanced").input_value() == ""


def test_a_clinician_works_a_case_from_the_worklist_to_a_signed_new_version(
    clinic_day: tuple[str, str], browser: Browser
) -> None:
    url, database = clinic_day
    page = browser.new_page(accept_downloads=True)
    page.goto(url + "/login")
    page.get_by_label("E-mail address").fill("dr.okafor@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic")
    assert page.get_by_role("heading", name="Worklist", level=1).is_visible()
    assert page.get_by_role("link", name=PATIENT, exact=True).is_visible()  # booked at 10:00
    assert "10:00 GMT" in page.inner_text("main")
    photograph(page, "1-worklist")
    assert_accessible(page)

    page.get_by_label("Find a patient").fill("ann")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/clinic?q=ann")
    page.locator(".patient-results").get_by_role("link", name=PATIENT).click()
    page.wait_for_url(re.compile(r".*/clinic/patients/\d+$"))
    assert page.get_by_role("heading", name=PATIENT, level=1).is_visible()
    photograph(page, "2-chart-empty")
    assert_accessible(page)

    page.get_by_role("link", name=f"New case for {PATIENT}").click()
    page.wait_for_url("**/clinic/cases/new?patient=*")
    enter_full_case(page)
    photograph(page, "3-case-form")
    assert_accessible(page)
    page.get_by_role("button", name="Save and assess").click()
    page.wait_for_url(re.compile(r".*/clinic/cases/\d+/assessment\?version=1$"))
    assessment_url = page.url
    assert stored(database) == (1, [1], 0)
    page.reload()
    page.wait_for_load_state()
    assert stored(database) == (1, [1], 0)
    page.go_back()
    page.wait_for_load_state()
    assert stored(database) == (1, [1], 0)

    page.goto(assessment_url)
    photograph(page, "4-assessment")
    summary = page.locator(".assessment-summary")
    assert summary.is_visible()
    assert summary.locator(".summary-site").inner_text().strip()
    assert page.locator("figure.body-map svg").first.is_visible()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = download_info.value.path()
    pages = int(re.search(r"Pages:\s+(\d+)", pdfinfo(pdf)).group(1))  # type: ignore[union-attr]
    assert pages <= 2
    assert (
        PATIENT
        in subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
    )

    page.goto(url + "/clinic")
    page.get_by_role("link", name="Left foot drop").click()
    page.get_by_role("link", name=re.compile("^Edit")).click()
    page.wait_for_url("**/edit")
    assert field(page, "exam.left.strength.ankle_dorsiflexion").input_value() == "2"
    assert field(page, "emg_row.0.muscle").input_value() == "tibialis_anterior"
    assert field(page, "exam.left.sensation.first_web_space").input_value() == "absent"
    field(page, "exam.left.strength.ankle_dorsiflexion").select_option("3")
    page.get_by_role("button", name="Save and assess").click()
    page.wait_for_url(re.compile(r".*/assessment\?version=2$"))
    assert stored(database) == (1, [1, 2], 0)

    page.goto(url + "/clinic")
    page.get_by_role("link", name="Left foot drop").click()
    page.get_by_role("button", name=re.compile("^Sign off version 2")).click()
    page.wait_for_load_state()
    assert stored(database) == (1, [1, 2], 1)
    assert "Signed off by dr.okafor" in page.inner_text("main")
    page.get_by_text("What changed from version 1").click()
    assert "Ankle dorsiflexion, left: 2 → 3" in page.inner_text("main")
    photograph(page, "5-chart-signed")
    assert_accessible(page)

    page.get_by_role("button", name=re.compile("^Reopen")).click()
    page.wait_for_url("**/edit?reopened=1")
    field(page, "labs.crp").fill("6")
    page.get_by_role("button", name="Save and assess").click()
    page.wait_for_url(re.compile(r".*/assessment\?version=3$"))
    assert stored(database) == (1, [1, 2, 3], 1)

    page.goto(url + "/clinic")
    page.get_by_role("link", name="Left foot drop").click()
    page.get_by_role("link", name="Follow-up scores").click()
    page.wait_for_url("**/follow-up")
    assert page.locator("svg.outcome-chart").first.is_visible()
    photograph(page, "6-follow-up")
    page.close()


def test_the_case_form_fits_a_phone_and_marks_a_low_value_as_typed(
    clinic_day: tuple[str, str], browser: Browser
) -> None:
    url, _database = clinic_day
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(url + "/login?next=/clinic/cases/new")
    page.get_by_label("E-mail address").fill("dr.okafor@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic/cases/new")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    field(page, "age").fill("80")
    sural = field(page, "nerve_conduction.left.sural_snap.amplitude")
    sural.fill("0")
    cell = page.locator("td.study-cell", has=sural)
    assert "normal ≥ 0" in cell.inner_text()
    assert "outside" not in cell.inner_text()
    field(page, "age").fill("40")
    assert "normal ≥ 6" in cell.inner_text()
    assert "outside the normal limit" in cell.inner_text()
    photograph(page, "7-case-form-phone")
    page.get_by_role("button", name="Save and assess").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Sex: Choose one from the list." in summary.inner_text()
    page.close()


def pdfinfo(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def test_a_patient_signs_in_to_their_own_home(
    clinic_day: tuple[str, str], browser: Browser
) -> None:
    url, _database = clinic_day
    page = browser.new_page()
    page.goto(url + "/login")
    page.get_by_label("E-mail address").fill("ann@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/me")
    assert page.get_by_role("heading", name="My home", level=1).is_visible()
    assert "Neurology consultation with Dr Ada Okafor" in page.inner_text("main")
    menu = page.get_by_role("navigation", name="Main")
    assert menu.get_by_role("link", name="My appointments").is_visible()
    assert menu.get_by_role("link", name="Worklist").count() == 0
    photograph(page, "8-patient-home")
    assert_accessible(page)
    page.close()
