"""One phone number gets at most three callback requests in any 24 hours, not in any hour: a
flood aimed at a victim's phone must not restart every hour. Checked on SQLite and PostgreSQL
through the API, with the request clock set per request (no sleeping), and in the in-process
limiter's default rules."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.callbacks.models import CallbackRequest
from plexcare.callbacks.rate_limit import CallbackRateLimiter
from tests.callbacks.test_callback_queue import ask
from tests.conftest_db import TEST_NOW, make_app

NUMBER = "020 7946 0018"
E164 = "+442079460018"
HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)


def ask_at(db_url: str, hours_later: int, address: str) -> tuple[int, int | None, str]:
    """Ask for a call to NUMBER from `address` when the clock shows TEST_NOW + `hours_later`:
    the status, the Retry-After seconds of a refusal, and the refusal's detail."""
    app = make_app(db_url, now=TEST_NOW + timedelta(hours=hours_later))
    with TestClient(app, client=(address, 5000)) as caller:
        answer = ask(caller, phone=NUMBER)
    if answer.status_code == 201:
        return 201, None, ""
    return answer.status_code, int(answer.headers["Retry-After"]), answer.json()["detail"]


def stored_for_the_number(session: Session) -> int:
    count = session.scalar(
        select(func.count()).select_from(CallbackRequest).where(CallbackRequest.phone == E164)
    )
    session.rollback()
    return count or 0


def test_a_number_asked_for_three_times_stays_limited_for_a_whole_day(
    db_url: str, session: Session
) -> None:
    for caller in range(3):
        assert ask_at(db_url, 0, f"198.51.100.{caller + 1}")[0] == 201

    two_hours_later = ask_at(db_url, 2, "203.0.113.2")
    next_morning = ask_at(db_url, 23, "203.0.113.23")

    assert two_hours_later[:2] == (429, int((DAY - 2 * HOUR).total_seconds()))
    assert "for this number (at most 3 a day)" in two_hours_later[2]
    assert next_morning[:2] == (429, int(HOUR.total_seconds()))
    assert stored_for_the_number(session) == 3
    assert ask_at(db_url, 24, "203.0.113.24")[0] == 201
    assert stored_for_the_number(session) == 4


def test_requests_two_hours_apart_count_together_until_the_first_is_a_day_old(
    db_url: str, session: Session
) -> None:
    for hours_later in (0, 2, 4):
        assert ask_at(db_url, hours_later, f"198.51.100.{hours_later + 1}")[0] == 201

    status, retry_after, _detail = ask_at(db_url, 6, "203.0.113.6")
    assert (status, retry_after) == (429, int((DAY - 6 * HOUR).total_seconds()))
    status, retry_after, _detail = ask_at(db_url, 23, "203.0.113.23")
    assert (status, retry_after) == (429, int(HOUR.total_seconds()))
    assert stored_for_the_number(session) == 3
    assert ask_at(db_url, 24, "203.0.113.24")[0] == 201
    assert ask_at(db_url, 25, "203.0.113.25")[0] == 429
    assert stored_for_the_number(session) == 4


def test_the_in_process_limiter_holds_a_number_for_a_day_by_default() -> None:
    limiter = CallbackRateLimiter()
    for caller in range(3):
        assert limiter.check(client=f"198.51.100.{caller}", phone=E164, now=TEST_NOW).allowed

    two_hours_later = limiter.check(client="203.0.113.2", phone=E164, now=TEST_NOW + 2 * HOUR)
    next_morning = limiter.check(client="203.0.113.23", phone=E164, now=TEST_NOW + 23 * HOUR)

    assert (two_hours_later.allowed, two_hours_later.limited_by) == (False, "phone")
    assert two_hours_later.retry_after_seconds == int((DAY - 2 * HOUR).total_seconds())
    assert (next_morning.allowed, next_morning.limited_by) == (False, "phone")
    assert limiter.check(client="203.0.113.24", phone=E164, now=TEST_NOW + DAY).allowed
