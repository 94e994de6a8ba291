"""iCalendar invitations: parsed back, by icalendar and by the independent vobject parser,
they name the exact instants booked, across every daylight-saving change."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.notifications.icalendar import (
    CalendarAppointment,
    CalendarMethod,
    CalendarParty,
    InvitationInputError,
    appointment_uid,
    build_invitation,
)
from tests.notifications.changeovers import DST_ZONES, changeovers

NOW = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
DOMAIN = "clinic.example"
LONDON_FIRST_0130 = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 01:30 BST
LONDON_SECOND_0130 = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 01:30 GMT, an hour later


def appointment(**changes: object) -> CalendarAppointment:
    base = CalendarAppointment(
        appointment_id="4711",
        sequence=0,
        start=datetime(2025, 7, 1, 9, 0, tzinfo=UTC),  # 10:00 BST
        end=datetime(2025, 7, 1, 10, 0, tzinfo=UTC),
        time_zone="Europe/London",
        clinic_name="plexcare Neuromuscular Clinic",
        clinician_name="Dr Ada Okafor",
        visit_name="Nerve conduction study and EMG",
        location="Room 3, 1 Example Street, London",
        organizer=CalendarParty(email="appointments@clinic.example", name="plexcare Clinic"),
        attendee=CalendarParty(email="sam@example.org", name="Sam Patient"),
        contact_phone="+44 20 7946 0000",
        manage_url="https://clinic.example/appointments/PX-4711",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def invitation(method: CalendarMethod = CalendarMethod.REQUEST, **changes: object) -> bytes:
    return build_invitation(
        appointment=appointment(**changes), method=method, stamp=NOW, domain=DOMAIN
    )


def parse(ics: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(ics)


def the_event(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def instants_read_by_vobject(ics: bytes) -> tuple[datetime, datetime]:
    """DTSTART and DTEND as an independent parser reads them."""
    event = vobject.readOne(ics.decode()).vevent
    return event.dtstart.value, event.dtend.value


def test_the_invitation_is_a_request_naming_start_and_end_in_utc() -> None:
    ics = invitation()
    calendar = parse(ics)
    event = the_event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert b"DTSTART:20250701T090000Z\r\n" in ics and b"DTEND:20250701T100000Z\r\n" in ics
    assert b"TZID" not in ics and not calendar.walk("VTIMEZONE")
    assert event.decoded("DTSTART") == datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:appointments@clinic.example"
    assert str(event["ATTENDEE"]) == "mailto:sam@example.org"
    assert event["ATTENDEE"].params["CN"] == "Sam Patient"


def test_the_description_gives_the_clinic_time_with_its_zone() -> None:
    description = str(the_event(parse(invitation()))["DESCRIPTION"])
    assert "Tuesday 1 July 2025, 10:00 BST to 11:00 BST (clinic time)" in description


def test_the_two_0130s_of_a_london_fall_back_night_are_two_instants_an_hour_apart() -> None:
    first = invitation(start=LONDON_FIRST_0130, end=LONDON_FIRST_0130 + timedelta(minutes=30))
    second = invitation(start=LONDON_SECOND_0130, end=LONDON_SECOND_0130 + timedelta(minutes=30))
    assert instants_read_by_vobject(first)[0] == LONDON_FIRST_0130
    assert instants_read_by_vobject(second)[0] == LONDON_SECOND_0130
    assert "01:30 BST" in str(the_event(parse(first))["DESCRIPTION"])
    assert "01:30 GMT" in str(the_event(parse(second))["DESCRIPTION"])


def test_a_visit_across_the_fall_back_change_keeps_its_real_length() -> None:
    # 01:30 BST to 01:30 GMT: the same wall-clock reading, one hour apart.
    ics = invitation(start=LONDON_FIRST_0130, end=LONDON_SECOND_0130)
    start, end = instants_read_by_vobject(ics)
    assert end - start == timedelta(hours=1)
    assert "01:30 BST to 01:30 GMT" in str(the_event(parse(ics))["DESCRIPTION"])


def test_a_change_keeps_the_uid_and_raises_the_sequence() -> None:
    first = the_event(parse(invitation()))
    moved = appointment(
        sequence=1,
        start=datetime(2025, 7, 2, 13, 0, tzinfo=UTC),
        end=datetime(2025, 7, 2, 14, 0, tzinfo=UTC),
    )
    second = the_event(parse(build_invitation(
        appointment=moved, method=CalendarMethod.REQUEST, stamp=NOW + timedelta(hours=1),
        domain=DOMAIN,
    )))  # fmt: skip
    assert str(first["UID"]) == str(second["UID"])
    assert second.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert str(first["UID"]) == appointment_uid(appointment_id="4711", domain=DOMAIN)
    assert "4711" not in str(first["UID"])
    assert appointment_uid(appointment_id="4712", domain=DOMAIN) != str(first["UID"])


def test_a_cancellation_uses_method_cancel_and_the_same_uid() -> None:
    request = the_event(parse(invitation()))
    cancel_ics = invitation(CalendarMethod.CANCEL, sequence=1)
    calendar = parse(cancel_ics)
    cancel = the_event(calendar)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == str(request["UID"])
    assert cancel.decoded("SEQUENCE") == 1


def test_lines_end_in_crlf_and_are_folded_at_75_octets() -> None:
    ics = invitation(location="Room 3, " + "Long Corridor " * 12 + "London")
    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # the long LOCATION was folded


def test_invitation_inputs_have_no_field_for_clinical_details() -> None:
    fields = {field.name for field in dataclasses.fields(CalendarAppointment)}
    assert fields == {
        "appointment_id", "sequence", "start", "end", "time_zone", "clinic_name",
        "clinician_name", "visit_name", "location", "organizer", "attendee",
        "contact_phone", "manage_url",
    }  # fmt: skip
    description = str(the_event(parse(invitation()))["DESCRIPTION"])
    assert "Dr Ada Okafor" in description and "+44 20 7946 0000" in description


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: appointment(start=datetime(2025, 7, 1, 9)), "start"),
        (lambda: appointment(end=datetime(2025, 7, 1, 8, tzinfo=UTC)), "end"),
        (lambda: appointment(time_zone="Europe/Atlantis"), "time_zone"),
        (lambda: CalendarParty(email="not an address", name="x"), "email"),
        (lambda: CalendarParty(email="sam@example.org", name='Sam\r\nX-INJECT:1'), "name"),
        (
            lambda: build_invitation(
                appointment=appointment(), method=CalendarMethod.REQUEST,
                stamp=datetime(2025, 6, 1), domain=DOMAIN,
            ),
            "stamp",
        ),
    ],
)  # fmt: skip
def test_bad_invitation_input_is_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(InvitationInputError) as raised:
        build()  # type: ignore[operator]
    assert raised.value.field == field


def assert_vobject_reads_back(start: datetime, end: datetime, zone: str) -> None:
    ics = invitation(start=start, end=end, time_zone=zone)
    read_start, read_end = instants_read_by_vobject(ics)
    assert read_start == start
    assert read_end == end
    assert read_end > read_start


@st.composite
def visits_near_a_changeover(draw: st.DrawFn) -> tuple[datetime, datetime, str]:
    """A visit starting up to three hours either side of one of the zone's clock changes,
    on the quarter hour, lasting 15 minutes to 2 hours: many of them span the change."""
    zone = draw(st.sampled_from([name for name in DST_ZONES if changeovers(name, 2027)]))
    year = draw(st.integers(min_value=2020, max_value=2040))
    change = draw(st.sampled_from(changeovers(zone, year)))
    start = change.instant + timedelta(minutes=15 * draw(st.integers(min_value=-12, max_value=12)))
    length = timedelta(minutes=15 * draw(st.integers(min_value=1, max_value=8)))
    return start, start + length, zone


@settings(max_examples=300, deadline=None)
@given(visit=visits_near_a_changeover())
def test_a_visit_near_a_clock_change_is_read_back_at_the_instants_booked(
    visit: tuple[datetime, datetime, str],
) -> None:
    start, end, zone = visit
    assert_vobject_reads_back(start, end, zone)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(DST_ZONES),
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
    wall=st.times(),
    fold=st.sampled_from((0, 1)),
    minutes=st.integers(min_value=5, max_value=240),
)
def test_either_reading_of_a_wall_clock_time_is_read_back_at_the_instant_booked(
    zone: str, day: date, wall: time, fold: int, minutes: int
) -> None:
    """Both 01:30s of a fall-back night (fold 0 and 1), and any other local time of any day."""
    local = datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).replace(fold=fold, microsecond=0)
    start = local.astimezone(UTC).replace(second=0)
    assert_vobject_reads_back(start, start + timedelta(minutes=minutes), zone)


@pytest.mark.parametrize("zone", [name for name in DST_ZONES if changeovers(name, 2027)])
def test_every_repeated_half_hour_of_2027_gives_two_invitations_at_two_instants(
    zone: str,
) -> None:
    for change in changeovers(zone, 2027):
        if not change.falls_back:
            continue
        first = change.instant - (change.before - change.after)
        second = change.instant  # the same wall-clock time, on the later offset
        ics_first = invitation(start=first, end=first + timedelta(minutes=30), time_zone=zone)
        ics_second = invitation(start=second, end=second + timedelta(minutes=30), time_zone=zone)
        assert instants_read_by_vobject(ics_first)[0] == first
        assert instants_read_by_vobject(ics_second)[0] == second
        assert first.astimezone(ZoneInfo(zone)).time() == second.astimezone(ZoneInfo(zone)).time()
