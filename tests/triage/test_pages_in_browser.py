"""The self-check as a worried person uses it: a real Chromium against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator

from tests.browser import chromium, small_clinic_served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_url(sqlite_url: str) -> Iterator[str]:
    """A clinic with two neurologists and a pain specialist, on Monday 2 March 2026, 08:00."""
    with small_clinic_served(sqlite_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_visitor_answers_the_self_check_and_is_told_to_get_emergency_help(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(server_url + "/")
    page.get_by_role("link", name="Symptom self-check").click()
    page.wait_for_url("**/self-check")
    saddle = page.get_by_role("group", name="Is the skin between your legs")
    saddle.get_by_label("Yes").check()
    page.get_by_label("How bad is the leg or back pain").fill("6")
    page.get_by_role("button", name="See my advice").click()
    page.wait_for_load_state()
    emergency = page.get_by_role("alert")
    assert emergency.is_visible()
    assert "Go to an emergency department now" in emergency.inner_text()
    call = page.get_by_role("link", name="Call 999 now")
    assert call.is_visible()
    assert call.get_attribute("href") == "tel:999"
    assert page.locator("main a[href^='/book']").count() == 0
    assert page.locator(".slot-offers").count() == 0
    assert "Also worth knowing" not in page.inner_text("main")
    page.close()


WARNING_QUESTIONS = {
    "saddle_numbness": "Is the skin between your legs",
    "bladder_bowel_trouble": "Have you had new trouble passing urine",
    "breathing_or_swallowing": "Are you short of breath",
    "cold_pale_leg": "Is your leg or foot cold",
    "fever": "Have you had a fever",
    "sudden_pain": "Did pain in your groin",
    "bleeding_or_swelling": "Do you have new swelling",
    "tense_buttock_or_thigh": "Is your buttock or thigh tense",
}


def _answer_warnings_no(scope: Locator) -> None:
    for text in WARNING_QUESTIONS.values():
        scope.get_by_role("group", name=text).get_by_label("No", exact=True).check()
    worse = scope.get_by_role("group", name="Is the weakness of your leg getting worse?")
    worse.get_by_label("No, it is not getting worse").check()


def test_blank_warning_questions_are_asked_again_before_any_reassurance(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(server_url + "/self-check")
    page.get_by_role("group", name="Do you have numbness, tingling").get_by_label("Yes").check()
    page.get_by_role("button", name="See my advice").click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "We cannot rule out an emergency" in main
    assert "A routine appointment is fine" not in main
    assert "anything urgent" not in main
    again = page.locator("#blank-warnings")
    assert again.is_visible()
    _answer_warnings_no(again)
    again.get_by_role("button", name="Update my advice").click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Please answer the warning-sign questions" not in main
    assert "We cannot rule out an emergency" not in main
    page.close()


def test_a_same_day_answer_offers_only_appointments_within_24_hours(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(server_url + "/self-check")
    form = page.locator("form.self-check")
    _answer_warnings_no(form)
    form.get_by_role("group", name="Have you ever been treated for cancer?").get_by_label(
        "Yes"
    ).check()
    form.get_by_role("group", name="Do you have pain in your back").get_by_label("Yes").check()
    form.get_by_role("group", name="Do you have pain that shoots").get_by_label("No").check()
    form.get_by_role("group", name="How weak is your leg?").get_by_label("Not weak").check()
    form.get_by_role("group", name="Do you have numbness, tingling").get_by_label("No").check()
    # Back pain makes a known aneurysm and a sudden onset matter (a possible leak), so the
    # page asks again for both while they are blank; answered, nothing is left to ask.
    form.get_by_role("group", name="Has a doctor told you that you have an aneurysm").get_by_label(
        "No"
    ).check()
    form.get_by_role("group", name="How quickly did the problem come on?").get_by_label(
        "Over a few weeks"
    ).check()
    page.get_by_role("button", name="See my advice").click()
    page.wait_for_load_state()
    assert "Get seen today, within 24 hours" in page.inner_text("main")
    offers = page.locator(".slot-offers a")
    assert offers.count() > 0
    for index in range(offers.count()):
        href = offers.nth(index).get_attribute("href") or ""
        assert "from=2026-03-02" in href and "to=2026-03-02" in href
    assert page.locator("#callback-note").is_visible()
    assert page.get_by_role("alert").count() == 0
    page.close()


def test_a_bad_pain_score_is_shown_beside_the_question_on_a_phone(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(server_url + "/self-check")
    page.get_by_label("How bad is the leg or back pain").fill("12")
    page.get_by_role("button", name="See my advice").click()
    page.wait_for_load_state()
    assert "Enter a whole number from 0 to 10" in page.inner_text("main")
    assert (
        page.get_by_label("How bad is the leg or back pain").get_attribute("aria-invalid") == "true"
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()
