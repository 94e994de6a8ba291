"""A second opinion as a patient and the clinic use it, in Debian's Chromium against a real
server: the request with a PDF report (the upload's progress shown by the site's own script),
a disguised file refused with a plain reason, the desk assigning, the clinician answering and
the patient reading the answer; axe finds no serious or critical violation on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from plexcare.db import session_factory
from tests.accessibility import assert_accessible
from tests.browser import chromium, served, sign_in
from tests.conftest_db import SmallClinic, empty_tables, make_app
from tests.second_opinions.samples import PDF, PDF_HEADER_HTML_BODY

pytestmark = pytest.mark.browser
QUESTION = "Is surgery needed for my lumbosacral plexus lesion, or can it wait?"
OPINION = "Surgery is not needed now: your study shows a lesion that usually recovers."


@pytest.fixture(scope="module")
def server_url(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        SmallClinic(session)
        session.commit()
    app = make_app(sqlite_url)
    app.state.upload_dir = tmp_path_factory.mktemp("uploads")
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_patient_sends_a_pdf_and_a_refused_file_gets_a_plain_reason(
    server_url: str, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_page()
    sign_in(page, server_url, "ann@example.org", "/second-opinion")
    assert_accessible(page)
    assert page.locator("script[src='/static/js/upload-progress.js']").count() == 1

    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_label("Reports and images").set_input_files(
        [{"name": "disguised.pdf", "mimeType": "application/pdf", "buffer": PDF_HEADER_HTML_BODY}]
    )
    page.evaluate("window.samePage = true")
    page.get_by_role("button", name="Send my request").click()
    error = page.locator("#error-files")
    error.wait_for()
    assert page.evaluate("window.samePage === true"), "sent by the progress script, no reload"
    assert "disguised.pdf" in error.inner_text() and "refused" in error.inner_text()
    assert "Traceback" not in page.content()
    assert page.get_by_label("Your question").input_value() == QUESTION
    assert_accessible(page)

    page.get_by_label("Reports and images").set_input_files(
        [{"name": "MRI report.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/me/second-opinions/*?done=sent")
    main = page.inner_text("main")
    assert "Your request has been sent" in main
    assert "MRI report.pdf" in main
    assert "Received: waiting for a clinician" in main
    assert_accessible(page)
    page.close()


def test_the_desk_assigns_the_clinician_answers_and_the_patient_reads_it(
    server_url: str, browser: Browser
) -> None:
    patient = browser.new_page()
    sign_in(patient, server_url, "ann@example.org", "/second-opinion")
    patient.get_by_label("Your question").fill(QUESTION)
    patient.get_by_label("Reports and images").set_input_files(
        [{"name": "EMG report.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    patient.get_by_role("button", name="Send my request").click()
    patient.wait_for_url("**/me/second-opinions/*?done=sent")
    request_path = patient.url.split(server_url)[1].split("?")[0]
    request_id = request_path.rsplit("/", 1)[1]

    desk = browser.new_context().new_page()
    sign_in(desk, server_url, "desk@clinic.example", "/desk/second-opinions")
    assert_accessible(desk)
    item = desk.locator(f"#request-{request_id}")
    item.get_by_label(f"Clinician for request {request_id}").select_option(label="dr.okafor")
    item.get_by_role("button", name="Assign").click()
    desk.wait_for_url("**/desk/second-opinions?done=assigned")
    assert "In review with a clinician" in desk.locator(f"#request-{request_id}").inner_text()

    clinician = browser.new_context().new_page()
    sign_in(clinician, server_url, "dr.okafor@clinic.example", "/desk/second-opinions")
    clinician.get_by_role("link", name=f"Request {request_id}").click()
    clinician.wait_for_url(f"**/desk/second-opinions/{request_id}")
    assert_accessible(clinician)
    clinician.get_by_label("Your opinion for the patient").fill(OPINION)
    clinician.get_by_role("button", name="Send the answer").click()
    clinician.wait_for_url("**?done=answered")

    patient.goto(f"{server_url}/me/second-opinions")
    assert_accessible(patient)
    patient.get_by_role("link", name=f"Request {request_id}").click()
    assert OPINION in patient.locator("#opinion").inner_text()
    for page in (patient, desk, clinician):
        page.context.close()
