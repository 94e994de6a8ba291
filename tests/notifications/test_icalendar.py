"""iCalendar invitations: parsed back, they show the right local time in the right zone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.notifications.icalendar import (
    CalendarAppointment,
    CalendarMethod,
    CalendarParty,
    InvitationInputError,
    appointment_uid,
    build_invitation,
    clinic_vtimezone,
)

NOW = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
DOMAIN = "clinic.example"


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


def parse(ics: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(ics)


def the_event(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def offset_in_force(vtimezone: icalendar.Timezone, instant: datetime) -> timedelta:
    """Read the VTIMEZONE the way a calendar client does: the last observance begun by then."""
    best: tuple[datetime, timedelta] | None = None
    for observance in vtimezone.walk():
        if observance.name not in ("STANDARD", "DAYLIGHT"):
            continue
        offset_from = observance["TZOFFSETFROM"].td
        begins = observance["DTSTART"].dt.replace(tzinfo=UTC) - offset_from
        if begins <= instant and (best is None or begins > best[0]):
            best = (begins, observance["TZOFFSETTO"].td)
    assert best is not None, "no observance covers the instant"
    return best[1]


def test_the_invitation_is_a_request_with_the_local_time_and_its_zone() -> None:
    calendar = parse(build_invitation(appointment=appointment(), method=CalendarMethod.REQUEST,
                                      now=NOW, domain=DOMAIN))  # fmt: skip
    event = the_event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2025, 7, 1, 10, 0)
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:appointments@clinic.example"
    assert str(event["ATTENDEE"]) == "mailto:sam@example.org"
    assert event["ATTENDEE"].params["CN"] == "Sam Patient"


def test_the_vtimezone_carries_summer_and_winter_offsets_for_the_year() -> None:
    calendar = parse(build_invitation(appointment=appointment(), method=CalendarMethod.REQUEST,
                                      now=NOW, domain=DOMAIN))  # fmt: skip
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/London"
    kinds = {component.name for component in vtimezone.subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}
    appointment_start = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    assert offset_in_force(vtimezone, appointment_start) == timedelta(hours=1)
    assert offset_in_force(vtimezone, datetime(2025, 12, 1, tzinfo=UTC)) == timedelta(0)


def test_spring_forward_observances_start_at_the_local_time_before_the_jump() -> None:
    vtimezone = clinic_vtimezone(time_zone="America/New_York", first_year=2025, last_year=2025)
    (daylight,) = vtimezone.walk("DAYLIGHT")
    # RFC 5545: DTSTART is local time in TZOFFSETFROM, i.e. 02:00 EST on 9 March 2025.
    assert daylight["DTSTART"].dt == datetime(2025, 3, 9, 2, 0)
    assert daylight["TZOFFSETFROM"].td == timedelta(hours=-5)
    assert daylight["TZOFFSETTO"].td == timedelta(hours=-4)


def test_dublins_summer_is_the_daylight_observance_despite_negative_dst() -> None:
    vtimezone = clinic_vtimezone(time_zone="Europe/Dublin", first_year=2025, last_year=2025)
    (daylight,) = vtimezone.walk("DAYLIGHT")
    assert daylight["TZOFFSETTO"].td == timedelta(hours=1)
    assert str(daylight["TZNAME"]) == "IST"


def test_a_zone_without_daylight_saving_gets_one_standard_observance() -> None:
    vtimezone = clinic_vtimezone(time_zone="Asia/Kolkata", first_year=2025, last_year=2025)
    assert [component.name for component in vtimezone.subcomponents] == ["STANDARD"]
    assert vtimezone.subcomponents[0]["TZOFFSETTO"].td == timedelta(hours=5, minutes=30)


def test_a_change_keeps_the_uid_and_raises_the_sequence() -> None:
    first = the_event(parse(build_invitation(
        appointment=appointment(), method=CalendarMethod.REQUEST, now=NOW, domain=DOMAIN
    )))  # fmt: skip
    moved = appointment(
        sequence=1,
        start=datetime(2025, 7, 2, 13, 0, tzinfo=UTC),
        end=datetime(2025, 7, 2, 14, 0, tzinfo=UTC),
    )
    second = the_event(parse(build_invitation(
        appointment=moved, method=CalendarMethod.REQUEST, now=NOW + timedelta(hours=1),
        domain=DOMAIN,
    )))  # fmt: skip
    assert str(first["UID"]) == str(second["UID"])
    assert second.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert str(first["UID"]) == appointment_uid(appointment_id="4711", domain=DOMAIN)
    assert "4711" not in str(first["UID"])
    assert appointment_uid(appointment_id="4712", domain=DOMAIN) != str(first["UID"])


def test_a_cancellation_uses_method_cancel_and_the_same_uid() -> None:
    request = the_event(parse(build_invitation(
        appointment=appointment(), method=CalendarMethod.REQUEST, now=NOW, domain=DOMAIN
    )))  # fmt: skip
    cancel_ics = build_invitation(
        appointment=appointment(sequence=1), method=CalendarMethod.CANCEL, now=NOW, domain=DOMAIN
    )
    calendar = parse(cancel_ics)
    cancel = the_event(calendar)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == str(request["UID"])
    assert cancel.decoded("SEQUENCE") == 1


def test_lines_end_in_crlf_and_are_folded_at_75_octets() -> None:
    ics = build_invitation(
        appointment=appointment(location="Room 3, " + "Long Corridor " * 12 + "London"),
        method=CalendarMethod.REQUEST,
        now=NOW,
        domain=DOMAIN,
    )
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
    description = str(the_event(parse(build_invitation(
        appointment=appointment(), method=CalendarMethod.REQUEST, now=NOW, domain=DOMAIN
    )))["DESCRIPTION"])  # fmt: skip
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
                now=datetime(2025, 6, 1), domain=DOMAIN,
            ),
            "now",
        ),
    ],
)  # fmt: skip
def test_bad_invitation_input_is_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(InvitationInputError) as raised:
        build()  # type: ignore[operator]
    assert raised.value.field == field


ZONES = (
    "Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
    "America/Santiago", "Asia/Kolkata", "Europe/Dublin",
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    instant=st.datetimes(
        min_value=datetime(2020, 1, 2), max_value=datetime(2030, 12, 30), timezones=st.just(UTC)
    ),
)
def test_the_vtimezone_gives_zoneinfos_offset_at_any_instant(zone: str, instant: datetime) -> None:
    year = instant.astimezone(ZoneInfo(zone)).year
    vtimezone = clinic_vtimezone(time_zone=zone, first_year=year, last_year=year)
    assert offset_in_force(vtimezone, instant) == instant.astimezone(ZoneInfo(zone)).utcoffset()
