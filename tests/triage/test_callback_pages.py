"""The callback form: the best time and the reason are kept, every field has a limit that is
named when passed, phone problems are said in plain words, and the answer promises only what
the clinic's real hours allow (weekends and public holidays included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.callbacks.models import CallbackRequest
from tests.conftest_db import SmallClinic, make_app
from tests.portal.forms import ON_SQLITE, csrf_token

pytestmark = ON_SQLITE
SATURDAY_NIGHT = datetime(2026, 3, 7, 22, 30, tzinfo=UTC)
"""Saturday 7 March 2026, 22:30 in London (GMT)."""
BEFORE_MAY_DAY = datetime(2026, 5, 1, 19, 0, tzinfo=UTC)
"""Friday 1 May 2026, 20:00 in London (BST); Monday 4 May is the early May bank holiday."""


def client_at(db_url: str, now: datetime) -> Iterator[TestClient]:
    with TestClient(make_app(db_url, now=now)) as test_client:
        yield test_client


@pytest.fixture
def saturday_night(db_url: str) -> Iterator[TestClient]:
    yield from client_at(db_url, SATURDAY_NIGHT)


@pytest.fixture
def before_may_day(db_url: str) -> Iterator[TestClient]:
    yield from client_at(db_url, BEFORE_MAY_DAY)


def ask(client: TestClient, path: str = "/callback", **fields: str) -> tuple[int, str]:
    token = csrf_token(client, path)
    values = {
        "csrf_token": token,
        "urgency": "routine",
        "full_name": "Ann Okafor",
        "phone": "020 7946 0018",
        "reason": "appointment",
        **fields,
    }
    answer = client.post(path, data=values)
    return answer.status_code, answer.text


def stored(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(CallbackRequest)) or 0
    session.rollback()
    return count


def test_a_five_thousand_character_name_is_refused_with_the_limit_named(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    status, text = ask(client, full_name="A" * 5000)
    assert status == 422
    assert "Your name must be at most 200 characters (you wrote 5,000)." in text
    assert stored(session) == 0


@pytest.mark.parametrize(
    ("phone", "plain"),
    [
        ("020 79", "This number is too short."),
        ("call me", "This does not look like a number we can call."),
        ("09065 123456", "We cannot call premium-rate numbers."),
        ("1" * 60, "This is too long to be a phone number."),
    ],
)
def test_phone_problems_are_said_in_plain_words(
    client: TestClient, small_clinic: SmallClinic, session: Session, phone: str, plain: str
) -> None:
    status, text = ask(client, phone=phone)
    assert status == 422
    assert plain in text
    assert "region" not in text.split('id="error-phone"')[1].split("</p>")[0]
    assert stored(session) == 0


def test_the_best_time_and_the_reason_are_kept_and_promised(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    page = client.get("/callback").text
    assert 'value="2026-03-03/am"' in page and "Tuesday 3 March, morning (08:00–13:00)" in page

    status, text = ask(client, best_time="2026-03-03/am", details="About my EMG next week")

    assert status == 200
    assert "between 08:00 GMT and 13:00 GMT, as you asked" in text
    request = session.scalars(select(CallbackRequest)).one()
    assert request.reason == "Booking or changing an appointment: About my EMG next week"
    assert request.preferred_start == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert request.preferred_end == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)


def test_a_reason_must_be_chosen_and_a_passed_time_is_named(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    status, text = ask(client, reason="", best_time="2026-03-02/am")
    assert status == 422
    assert 'id="error-reason"' in text and 'id="error-best_time"' in text


def test_an_urgent_request_on_saturday_night_says_the_phones_are_closed_and_where_to_go(
    saturday_night: TestClient, small_clinic: SmallClinic
) -> None:
    form = saturday_night.get("/self-check/callback?urgency=urgent").text
    assert "phones are closed now" in form and 'href="tel:111"' in form

    status, text = ask(saturday_night, "/self-check/callback", urgency="urgent")

    assert status == 200
    assert "The clinic&#39;s phones are closed now" in text
    assert "They open again on Monday 9 March 2026, 08:00 GMT" in text
    assert "we will call you by Monday 9 March 2026, 10:00 GMT" in text
    assert "call 111 now for urgent medical advice" in text


def test_a_bank_holiday_monday_is_not_promised(
    before_may_day: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    status, text = ask(before_may_day, urgency="urgent")

    assert status == 200
    assert "Monday 4 May" not in text
    assert "They open again on Tuesday 5 May 2026, 08:00 BST" in text
    assert "we will call you by Tuesday 5 May 2026, 10:00 BST" in text
    due = session.scalars(select(CallbackRequest.due_at)).one()
    assert due == datetime(2026, 5, 5, 9, 0, tzinfo=UTC)


def test_a_stored_request_redirects_to_its_receipt_which_cannot_be_walked(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = csrf_token(client, "/callback")
    answer = client.post(
        "/callback",
        data={
            "csrf_token": token,
            "urgency": "routine",
            "full_name": "Ann Okafor",
            "phone": "020 7946 0018",
            "reason": "results",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    receipt = answer.headers["location"]
    assert receipt.startswith("/callback/sent?request=")
    assert "We will call you" in client.get(receipt).text
    request_id = session.scalars(select(CallbackRequest.id)).one()
    session.rollback()
    assert client.get(f"/callback/sent?request={request_id}&check=0").status_code == 404
    assert client.get(f"/callback/sent?request={request_id + 1}").status_code == 404
