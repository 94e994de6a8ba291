"""Message text: clinic-local times spelled out, who/when/where, and nothing clinical."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from plexcare.notifications.messages import (
    AppointmentNotice,
    NoticeInputError,
    format_local_clock,
    format_local_time,
    render_cancellation,
    render_change,
    render_confirmation,
    render_reminder,
)
from tests.notifications.changeovers import changeovers

NOTICE = AppointmentNotice(
    reference="PX-4711",
    patient_name="Sam Patient",
    clinician_name="Dr Ada Okafor",
    clinic_name="plexcare Neuromuscular Clinic",
    visit_name="Nerve conduction study and EMG",
    start=datetime(2025, 3, 31, 8, 0, tzinfo=UTC),  # the day after spring forward: 09:00 BST
    end=datetime(2025, 3, 31, 9, 0, tzinfo=UTC),
    time_zone="Europe/London",
    location="Room 3, 1 Example Street, London",
    contact_phone="+44 20 7946 0000",
    manage_url="https://clinic.example/appointments/PX-4711",
)


def test_times_are_shown_on_the_clinics_clock_with_the_zone_abbreviation() -> None:
    assert format_local_time(NOTICE.start, time_zone="Europe/London") == (
        "Monday 31 March 2025, 09:00 BST"
    )
    assert format_local_time(NOTICE.start, time_zone="America/New_York") == (
        "Monday 31 March 2025, 04:00 EDT"
    )


def test_the_confirmation_says_who_when_where_and_how_to_change_it() -> None:
    message = render_confirmation(notice=NOTICE)
    assert message.subject == "Appointment confirmed: Monday 31 March 2025, 09:00 BST"
    assert message.text.startswith("Dear Sam Patient,\n")
    for expected in (
        "Nerve conduction study and EMG with Dr Ada Okafor",
        "Monday 31 March 2025, 09:00 BST (until 10:00 BST)",
        "plexcare Neuromuscular Clinic, Room 3, 1 Example Street, London",
        "Reference: PX-4711",
        "To change or cancel, go to https://clinic.example/appointments/PX-4711",
        "Call +44 20 7946 0000",
    ):
        assert expected in message.text
    assert message.short_text == (
        "plexcare Neuromuscular Clinic: appointment confirmed with Dr Ada Okafor, "
        "Mon 31 Mar 09:00 BST. Ref PX-4711. Call +44 20 7946 0000"
    )


def test_a_change_names_the_old_time_and_the_new_one() -> None:
    previous = datetime(2025, 3, 28, 14, 30, tzinfo=UTC)  # a Friday still on GMT
    message = render_change(notice=NOTICE, previous_start=previous)
    assert message.subject == "Appointment moved to Monday 31 March 2025, 09:00 BST"
    assert "no longer on Friday 28 March 2025, 14:30 GMT" in message.text
    assert "Monday 31 March 2025, 09:00 BST" in message.text


def test_a_cancellation_offers_no_change_link_and_says_who_cancelled() -> None:
    by_patient = render_cancellation(notice=NOTICE)
    by_clinic = render_cancellation(notice=NOTICE, by_clinic=True)
    assert by_patient.subject == "Appointment cancelled: Monday 31 March 2025, 09:00 BST"
    assert "as you asked" in by_patient.text
    assert "the clinic has had to cancel" in by_clinic.text
    assert "To change or cancel" not in by_patient.text
    assert "CANCELLED" in by_patient.short_text


def test_the_reminder_asks_to_free_the_slot_if_the_patient_cannot_come() -> None:
    message = render_reminder(notice=NOTICE)
    assert message.subject == "Reminder: appointment on Monday 31 March 2025, 09:00 BST"
    assert "offer the time to another patient" in message.text


def test_without_a_phone_or_link_those_lines_are_left_out() -> None:
    bare = dataclasses.replace(NOTICE, contact_phone="", manage_url="")
    message = render_confirmation(notice=bare)
    assert "Call" not in message.text and "go to" not in message.text
    assert "Call" not in message.short_text


def test_a_notice_has_no_field_for_clinical_details() -> None:
    assert {f.name for f in dataclasses.fields(AppointmentNotice)} == {
        "reference", "patient_name", "clinician_name", "clinic_name", "visit_name",
        "start", "end", "time_zone", "location", "contact_phone", "manage_url",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": datetime(2025, 3, 31, 8)}, "start"),
        ({"end": datetime(2025, 3, 31, 7, tzinfo=UTC)}, "end"),
        ({"time_zone": "Moon/Tranquility"}, "time_zone"),
    ],
)
def test_bad_notice_input_is_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(NoticeInputError) as raised:
        dataclasses.replace(NOTICE, **changes)  # type: ignore[arg-type]
    assert raised.value.field == field


LONDON_FIRST_0130 = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
LONDON_SECOND_0130 = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_the_two_0130s_of_a_fall_back_night_read_differently() -> None:
    assert format_local_time(LONDON_FIRST_0130, time_zone="Europe/London") == (
        "Sunday 31 October 2027, 01:30 BST"
    )
    assert format_local_time(LONDON_SECOND_0130, time_zone="Europe/London") == (
        "Sunday 31 October 2027, 01:30 GMT"
    )
    assert format_local_clock(LONDON_SECOND_0130, time_zone=ZoneInfo("Europe/London")) == (
        "01:30 GMT"
    )


def test_a_visit_across_the_change_names_the_zone_of_its_end_too() -> None:
    notice = dataclasses.replace(NOTICE, start=LONDON_FIRST_0130, end=LONDON_SECOND_0130)
    message = render_confirmation(notice=notice)
    assert "Sunday 31 October 2027, 01:30 BST (until 01:30 GMT)" in message.text
    assert "Sun 31 Oct 01:30 BST" in message.short_text


def test_where_both_sides_of_a_change_share_a_name_the_offset_tells_them_apart() -> None:
    # Moscow went back from UTC+4 to UTC+3 on 26 October 2014 and called both "MSK".
    first, second = (datetime(2014, 10, 25, hour, 30, tzinfo=UTC) for hour in (21, 22))
    assert format_local_clock(first, time_zone="Europe/Moscow") == "01:30 MSK (UTC+04:00)"
    assert format_local_clock(second, time_zone="Europe/Moscow") == "01:30 MSK (UTC+03:00)"
    assert format_local_clock(first + timedelta(hours=12), time_zone="Europe/Moscow") == (
        "12:30 MSK"
    )


ALL_ZONES = sorted(available_timezones() - {"localtime", "Factory"})


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ALL_ZONES),
    year=st.integers(min_value=1996, max_value=2040),
    into_the_hour=st.floats(min_value=0, max_value=1, exclude_max=True),
)
@example(zone="Europe/London", year=2027, into_the_hour=0.5)
@example(zone="America/New_York", year=2027, into_the_hour=0.5)
@example(zone="Australia/Sydney", year=2027, into_the_hour=0.5)
@example(zone="Australia/Lord_Howe", year=2027, into_the_hour=0.5)
@example(zone="Europe/Moscow", year=2014, into_the_hour=0.5)
def test_a_repeated_wall_clock_time_never_reads_the_same_twice(
    zone: str, year: int, into_the_hour: float
) -> None:
    """In any zone, a time in the repeated stretch of a fall-back and the same wall-clock time
    on the later offset get different labels."""
    for change in changeovers(zone, year):
        if not change.falls_back:
            continue
        repeat = change.before - change.after
        first = (
            change.instant
            - repeat
            + timedelta(minutes=int(repeat / timedelta(minutes=1) * into_the_hour))
        )
        second = first + repeat
        local = ZoneInfo(zone)
        assert first.astimezone(local).time() == second.astimezone(local).time()
        assert format_local_time(first, time_zone=zone) != format_local_time(second, time_zone=zone)
        assert format_local_clock(first, time_zone=zone) != format_local_clock(
            second, time_zone=zone
        )
