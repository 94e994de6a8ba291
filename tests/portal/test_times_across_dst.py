"""On the night London's clocks go back, 01:30 happens twice. A patient books both: the booking
page, the hold page, "My appointments", the move page and the invitations all tell them apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from plexcare.clinic import service as clinic
from plexcare.config import Settings
from plexcare.db import session_factory
from plexcare.notifications.worker import Senders, deliver_due
from plexcare.portal.layout import clock_label, when_label
from tests.conftest_db import SmallClinic, make_app
from tests.notifications.mailbox import RecordingEmails, RecordingShortMessages, invitations
from tests.portal.forms import TOKEN, sign_in

NOW = datetime(2027, 10, 25, 9, 0, tzinfo=UTC)
FIRST_0130 = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 01:30 BST
SECOND_0130 = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 01:30 GMT, an hour later
SUNDAY = 6

SLOT = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)">\s*'
    r'<input type="hidden" name="csrf_token" value="(?P<csrf_token>[^"]+)">\s*'
    r'<input type="hidden" name="clinician_id" value="(?P<clinician_id>\d+)">\s*'
    r'<input type="hidden" name="appointment_type_id" value="(?P<appointment_type_id>\d+)">\s*'
    r'<input type="hidden" name="starts_at" value="(?P<starts_at>[^"]+)">\s*'
    r'<button class="slot-button" type="submit"><span class="slot-time">(?P<label>[^<]+)</span>'
)


@pytest.fixture
def night_clinic(session: Session, small_clinic: SmallClinic) -> SmallClinic:
    """Dr Okafor also sees patients in the small hours of Sundays, 00:00 to 04:00 London time."""
    clinic.add_weekly_hours(
        session=session,
        clinician=small_clinic.neurologist,
        weekday=SUNDAY,
        starts=time(0),
        ends=time(4),
    )
    session.commit()
    return small_clinic


@pytest.fixture
def browser(db_url: str, night_clinic: SmallClinic) -> Iterator[TestClient]:
    with TestClient(make_app(db_url, now=NOW)) as client:
        sign_in(client, "ann@example.org")
        yield client


def free_slots(client: TestClient, path: str) -> dict[datetime, dict[str, str]]:
    """The free times a page offers, by their UTC start, each with its form and its label."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return {
        datetime.fromisoformat(found["starts_at"]): found.groupdict()
        for found in SLOT.finditer(page.text)
    }


def book(client: TestClient, slot: dict[str, str]) -> tuple[int, str]:
    """Hold the slot and confirm it: the appointment's id and the hold page's "When"."""
    form = {key: slot[key] for key in ("csrf_token", "clinician_id", "appointment_type_id")}
    held = client.post(
        slot["action"], data={**form, "starts_at": slot["starts_at"]}, follow_redirects=False
    )
    assert held.status_code == 303, held.text
    hold_page = client.get(held.headers["location"]).text
    when = re.search(r"<dt>When</dt><dd>([^<]+)</dd>", hold_page)
    hold_id = re.search(r'name="hold_id" value="(\d+)"', hold_page)
    token = TOKEN.search(hold_page)
    assert when is not None and hold_id is not None and token is not None
    booked = client.post(
        "/book/confirm",
        data={"hold_id": hold_id.group(1), "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert booked.status_code == 303, booked.text
    found = re.search(r"#appointment-(\d+)", booked.headers["location"])
    assert found is not None
    return int(found.group(1)), when.group(1)


def shown_when(html: str, appointment_id: int) -> str:
    found = re.search(
        rf'id="appointment-{appointment_id}">\s*<p class="appointment-when"><strong>([^<]+)',
        html,
    )
    assert found is not None
    return found.group(1)


def test_the_two_0130s_of_a_fall_back_night_are_told_apart_on_every_page_and_invitation(
    browser: TestClient, db_url: str, night_clinic: SmallClinic
) -> None:
    search = "/book?" + urlencode(
        {
            "specialty": "neurology",
            "appointment_type_id": night_clinic.consultation.id,
            "from": "2027-10-31",
            "to": "2027-10-31",
        }
    )
    slots = free_slots(browser, search)
    assert slots[FIRST_0130]["label"] == "01:30 BST"
    assert slots[SECOND_0130]["label"] == "01:30 GMT"
    labels = [slot["label"] for slot in slots.values()]
    assert len(labels) == len(set(labels))  # no time of that night is listed twice alike

    first_id, first_held = book(browser, slots[FIRST_0130])
    second_id, second_held = book(browser, free_slots(browser, search)[SECOND_0130])
    assert first_held == "Sunday 31 October 2027, 01:30 BST"
    assert second_held == "Sunday 31 October 2027, 01:30 GMT"

    mine = browser.get("/me/appointments").text
    assert shown_when(mine, first_id) == "Sunday 31 October 2027, 01:30 BST"
    assert shown_when(mine, second_id) == "Sunday 31 October 2027, 01:30 GMT"
    moving = browser.get(f"/me/appointments/{second_id}/reschedule").text
    assert "Now: <strong>Sunday 31 October 2027, 01:30 GMT</strong>" in moving

    emails = RecordingEmails()
    deliver_due(
        sessions=session_factory(db_url),
        outlets=Senders(email=emails, short_message=RecordingShortMessages()),
        settings=Settings(),
        now=NOW + timedelta(minutes=1),
    )
    sent = {invitation.start: invitation for invitation in invitations(emails)}
    assert set(sent) == {FIRST_0130, SECOND_0130}
    assert sent[FIRST_0130].end == FIRST_0130 + timedelta(minutes=30)
    assert sent[SECOND_0130].end == SECOND_0130 + timedelta(minutes=30)
    assert sent[FIRST_0130].uid != sent[SECOND_0130].uid
    assert sent[FIRST_0130].subject.endswith("01:30 BST")
    assert sent[SECOND_0130].subject.endswith("01:30 GMT")


def test_the_api_gives_each_0130_its_own_numeric_offset(
    browser: TestClient, night_clinic: SmallClinic
) -> None:
    answer = browser.get(
        "/api/v1/slots",
        params={
            "appointment_type_id": night_clinic.consultation.id,
            "from_date": "2027-10-31",
            "to_date": "2027-10-31",
            "limit": 50,
        },
    )
    assert answer.status_code == 200, answer.text
    local = {
        datetime.fromisoformat(item["starts_at"]): item["local_start"]
        for item in answer.json()["items"]
    }
    assert local[FIRST_0130] == "2027-10-31T01:30:00+01:00"
    assert local[SECOND_0130] == "2027-10-31T01:30:00+00:00"
    assert all(value[-6] in "+-" for value in local.values())


def test_page_labels_carry_the_zone_on_ordinary_days_too() -> None:
    london = Settings().clinic_zone
    summer = datetime(2027, 7, 1, 8, 30, tzinfo=UTC)
    assert when_label(summer, london) == "Thursday 1 July 2027, 09:30 BST"
    assert clock_label(summer.isoformat(), london) == "09:30 BST"
    assert clock_label(datetime(2027, 12, 1, 9, 30, tzinfo=UTC), london) == "09:30 GMT"
