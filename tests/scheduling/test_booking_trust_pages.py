"""The booking pages people can trust, through the HTML forms: one type of appointment at a
time, specialists filtered by the chosen specialty, a calendar that shows every free time of a
day and pages on, the search kept through holding a slot, moving confirmed with a reason, and a
calendar file only for the patient's own appointment."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.scheduling.models import Appointment
from tests.conftest_db import SmallClinic
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in
from tests.scheduling.test_booking_pages import book_first_slot, slot_forms

pytestmark = ON_SQLITE
CALENDAR_DAY = re.compile(
    r'href="\?(?P<query>[^"]+)#slots-heading"[^>]*><span aria-hidden="true">\d+</span>'
    r'<span class="visually-hidden">(?P<label>[^,]+), (?P<free>\d+) free time'
)


def option_labels(html: str, name: str) -> list[str]:
    select_html = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r"<option value=\"[^\"]*\"[^>]*>([^<]+)</option>", select_html)


def test_one_type_at_a_time_and_only_the_specialtys_clinicians(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    page = client.get("/book?specialty=neurology").text
    assert "Dr Chen Wu" not in " ".join(option_labels(page, "clinician_id"))
    assert "Dr Ada Okafor" in " ".join(option_labels(page, "clinician_id"))
    types = option_labels(page, "appointment_type_id")
    assert "Any" not in types
    assert types[1:] == [
        "Neurology consultation (30 min)",
        "Nerve conduction study and EMG (60 min)",
    ]
    chosen = {form["appointment_type_id"] for form in slot_forms(page)}
    assert chosen == {str(small_clinic.consultation.id)}
    pain = option_labels(client.get("/book?specialty=pain_medicine").text, "appointment_type_id")
    assert pain[1:] == ["Neurology consultation (30 min)"]
    mismatch = client.get(
        f"/book?specialty=pain_medicine&clinician_id={small_clinic.neurologist.id}"
    )
    assert mismatch.status_code == 422
    assert 'id="error-clinician_id"' in mismatch.text


def test_every_free_time_of_a_day_is_shown_and_the_weeks_page_on(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    """Four weeks of two neurologists are hundreds of times, far past the old cap of 60: the
    calendar counts them by day and each day shows all of its own."""
    sign_in(client, "ann@example.org")
    page = client.get("/book?specialty=neurology").text
    days = [found.groupdict() for found in CALENDAR_DAY.finditer(page)]
    assert sum(int(day["free"]) for day in days) > 60
    last = days[-1]
    shown = slot_forms(client.get(f"/book?{last['query'].replace('&amp;', '&')}").text)
    assert len(shown) == int(last["free"])
    later = re.search(r'href="(/book\?[^"]+)#calendar">Later weeks', page)
    assert later is not None
    query = parse_qs(urlparse(later.group(1).replace("&amp;", "&")).query)
    assert query["from"] == ["2026-03-30"] and query["specialty"] == ["neurology"]
    assert "Earlier weeks" not in page
    next_weeks = client.get(later.group(1).replace("&amp;", "&")).text
    earlier = re.search(r'href="(/book\?[^"]+)#calendar">Earlier weeks', next_weeks)
    assert earlier is not None
    query = parse_qs(urlparse(earlier.group(1).replace("&amp;", "&")).query)
    assert query["from"] == ["2026-03-02"] and query["specialty"] == ["neurology"]


def test_choose_another_time_returns_to_the_search(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    search = "specialty=neurology&from=2026-03-10&to=2026-03-12&day=2026-03-11"
    page = client.get(f"/book?{search}").text
    form = slot_forms(page)[0]
    back = re.search(r'name="back" value="([^"]+)"', page)
    assert back is not None
    held = client.post(
        form.pop("action"), data={**form, "back": back.group(1).replace("&amp;", "&")}
    )
    assert "Choose another time" in held.text
    token = csrf_token(client, "/self-check")
    hold_id = re.search(r"/book/hold/(\d+)", str(held.url))
    assert hold_id is not None
    released = client.post(
        f"/book/hold/{hold_id.group(1)}/release",
        data={"csrf_token": token, "back": back.group(1).replace("&amp;", "&")},
        follow_redirects=False,
    )
    location = parse_qs(urlparse(released.headers["location"]).query)
    assert location["day"] == ["2026-03-11"] and location["from"] == ["2026-03-10"]


def test_moving_is_confirmed_with_a_reason_that_is_kept(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    appointment_id = book_first_slot(client)
    page = client.get(f"/me/appointments/{appointment_id}/reschedule").text
    later = slot_forms(page)[3]
    assert 'name="step" value="choose"' in page
    confirm = client.post(later.pop("action"), data={**later, "step": "choose"})
    assert "Move this appointment?" in confirm.text
    assert session.get(Appointment, appointment_id).status == "booked"  # type: ignore[union-attr]
    session.rollback()
    token = csrf_token(client, "/self-check")
    no_reason = client.post(
        f"/me/appointments/{appointment_id}/reschedule",
        data={"csrf_token": token, "starts_at": later["starts_at"], "step": "confirm"},
    )
    assert no_reason.status_code == 422
    moved = client.post(
        f"/me/appointments/{appointment_id}/reschedule",
        data={
            "csrf_token": token,
            "starts_at": later["starts_at"],
            "step": "confirm",
            "reason_code": "cannot_attend",
            "detail": "Working that morning",
        },
    )
    assert "moved to the new time" in moved.text
    old = session.get(Appointment, appointment_id)
    assert old is not None
    assert (old.status, old.cancel_reason) == (
        "rescheduled",
        "I cannot come at this time. Working that morning",
    )
    session.rollback()


def test_the_calendar_file_is_the_patients_own(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    appointment_id = book_first_slot(client)
    uid = session.scalar(select(Appointment.uid).where(Appointment.id == appointment_id))
    session.rollback()
    ics = client.get(f"/me/appointments/{appointment_id}/calendar.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    assert "BEGIN:VEVENT" in ics.text and "METHOD:REQUEST" in ics.text
    assert uid is not None
    sign_in(second_browser, "bob@example.org")
    assert second_browser.get(f"/me/appointments/{appointment_id}/calendar.ics").status_code == 404
