"""The public self-check pages: each urgency gets the right next step, bad answers come back
as the form with a message beside the question, and nothing is a 500."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from plexcare.knowledge.model import KnowledgeBase
from tests.conftest_db import SmallClinic
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in
from tests.self_check_answers import NO_WARNINGS as SHARED_NO_WARNINGS
from tests.self_check_answers import as_form

pytestmark = ON_SQLITE

EMERGENCY_BOX = 'class="emergency"'
NO_WARNINGS = as_form(SHARED_NO_WARNINGS)
BOOKING_LINK = re.compile(r'href="/book\?specialty=([a-z_]+)"')


def submit(client: TestClient, answers: dict[str, str]) -> tuple[int, str]:
    token = csrf_token(client, "/self-check")
    answer = client.post("/self-check", data={**answers, "csrf_token": token})
    return answer.status_code, answer.text


def test_the_form_asks_every_question_of_the_knowledge_base_in_plain_words(
    client: TestClient, kb: KnowledgeBase
) -> None:
    page = client.get("/self-check")
    assert page.status_code == 200
    for question in kb.triage.questions:
        assert f'name="{question.id}"' in page.text
    assert "does not diagnose" in page.text


@pytest.mark.parametrize(
    "answers",
    [
        {"saddle_numbness": "yes", "back_pain": "yes"},
        {"blood_thinner": "yes", "sudden_pain": "yes", "bleeding_or_swelling": "no"},
        {"cancer": "yes", "leg_weakness": "mild", "pain_score": "8"},
    ],
)
def test_an_emergency_shows_the_emergency_box_a_call_link_and_no_booking(
    client: TestClient, small_clinic: SmallClinic, answers: dict[str, str]
) -> None:
    status, text = submit(client, answers)
    assert status == 200
    assert EMERGENCY_BOX in text
    assert "emergency department now" in text
    assert 'href="tel:999"' in text
    assert 'href="/self-check/callback?urgency=urgent"' in text
    main = text.split("<main", 1)[1].split("</main>", 1)[0]
    assert "/book" not in main
    assert "Also worth knowing" not in main
    assert "blank-warnings" not in main


def test_urgent_answers_link_to_booking_with_the_neurologists(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answers = {**NO_WARNINGS, "weakness_getting_worse": "over_weeks", "leg_weakness": "mild"}
    status, text = submit(client, answers)
    assert status == 200
    assert EMERGENCY_BOX not in text
    assert "See a doctor within the next few days" in text
    assert BOOKING_LINK.findall(text) == ["neurology"]
    assert "Dr Ada Okafor" in text


def test_answers_that_make_walking_hard_are_to_be_seen_within_two_weeks(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answers = {**NO_WARNINGS, "leg_weakness": "walking_hard", "started": "weeks"}
    status, text = submit(client, answers)
    assert status == 200
    assert "within about two weeks" in text
    assert BOOKING_LINK.findall(text) == ["neurology"]


def test_gp_advice_sends_to_the_gp_and_pushes_no_specialist_booking(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answers = {**NO_WARNINGS, "numbness": "no", "leg_weakness": "none", "pain_score": "2"}
    status, text = submit(client, answers)
    assert status == 200
    assert "A routine appointment is fine" in text
    assert "your GP" in text
    assert BOOKING_LINK.search(text) is None
    assert EMERGENCY_BOX not in text


def test_blank_warning_questions_are_asked_again_and_nothing_is_called_not_urgent(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    status, text = submit(client, {"numbness": "yes", "leg_weakness": "none"})
    assert status == 200
    assert "We cannot rule out an emergency" in text
    assert "A routine appointment is fine" not in text
    assert "<strong>routine</strong>" not in text
    assert "anything urgent" not in text
    form = text.split('id="blank-warnings"', 1)[1].split("</form>", 1)[0]
    for question in NO_WARNINGS:
        assert f'name="{question}"' in form
    assert '<input type="hidden" name="numbness" value="yes">' in form


def test_answering_the_blank_questions_again_completes_the_advice(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    status, text = submit(
        client,
        {
            **NO_WARNINGS,
            "numbness": "yes",
            "leg_weakness": "none",
            "started": "months",
            "began": "longer",
            "cancer": "no",
            "radiotherapy": "no",
            "chemotherapy": "no",
            "weak_immunity": "no",
            "injects_drugs": "no",
            "injury": "no",
            "spinal_procedure": "no",
            "recent_operation_or_birth": "no",
        },
    )
    assert status == 200
    assert "blank-warnings" not in text
    assert "A routine appointment is fine" in text


def test_a_same_day_result_offers_only_appointments_within_24_hours(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answers = {
        **NO_WARNINGS,
        "cancer": "yes",
        "back_pain": "yes",
        "leg_pain": "no",
        "leg_weakness": "none",
        "numbness": "no",
    }
    status, text = submit(client, answers)
    assert status == 200
    assert "Get seen today, within 24 hours" in text
    assert "Monday 2 March" in text or "2 Mar" in text
    assert "Tuesday 3 March" not in text and "Wednesday 4 March" not in text
    assert 'id="callback-note"' in text


def test_the_result_never_names_a_diagnosis(client: TestClient, small_clinic: SmallClinic) -> None:
    _status, text = submit(client, {"diabetes": "yes", "pain_score": "8"})
    lowered = text.lower()
    for diagnosis in ("plexopathy", "radiculopathy", "amyotrophy", "cauda equina syndrome"):
        assert diagnosis not in lowered


def test_a_pain_score_out_of_range_brings_the_form_back_with_a_message_beside_it(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    status, text = submit(client, {"pain_score": "15", "back_pain": "yes"})
    assert status == 422
    assert 'id="error-pain_score"' in text
    assert "Enter a whole number from 0 to 10" in text
    assert 'href="#field-pain_score"' in text
    assert re.search(r'name="back_pain" value="yes" checked', text)


def test_words_where_a_number_belongs_and_unknown_choices_are_named(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    status, text = submit(client, {"pain_score": "eleven", "leg_weakness": "wobbly"})
    assert status == 422
    assert 'id="error-pain_score"' in text
    assert 'id="error-leg_weakness"' in text


def test_an_empty_form_asks_for_at_least_one_answer(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    status, text = submit(client, {})
    assert status == 422
    assert "Answer at least one question" in text


def test_a_signed_in_patients_result_is_saved_to_their_record(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    status, text = submit(client, {"numbness": "yes"})
    assert status == 200
    assert "saved to your record" in text


def test_a_callback_request_is_queued_and_a_bad_number_is_named(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    token = csrf_token(client, "/self-check/callback?urgency=urgent")
    bad = client.post(
        "/self-check/callback",
        data={"csrf_token": token, "urgency": "urgent", "full_name": "Ann", "phone": "call me"},
    )
    assert bad.status_code == 422
    assert 'id="error-phone"' in bad.text
    good = client.post(
        "/self-check/callback",
        data={
            "csrf_token": token,
            "urgency": "urgent",
            "full_name": "Ann",
            "phone": "020 7946 0018",
        },
    )
    assert good.status_code == 200
    assert "We will call you" in good.text
