"""A booking reads only the schedule of the requested local day (one query); it must offer
exactly the slots the whole stored schedule offers on that day, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from plexcare.clinic import service as clinic
from plexcare.errors import InvalidInput
from plexcare.scheduling import availability
from plexcare.scheduling.availability import ExceptionKind
from tests.conftest_db import TEST_NOW, SmallClinic

ZONE = "Europe/London"
FIRST_DAY = date(2026, 3, 2)
LAST_DAY = date(2026, 4, 5)
"""Five weeks that include the spring-forward Sunday (29 March 2026 in London)."""


def add_exceptions(session: Session, clinic_people: SmallClinic) -> None:
    neurologist = clinic_people.neurologist.id
    clinic.add_exception(
        session=session,
        clinician_id=neurologist,
        kind=ExceptionKind.LEAVE,
        first_day=date(2026, 3, 4),
        last_day=date(2026, 3, 6),
    )
    clinic.add_exception(
        session=session,
        clinician_id=neurologist,
        kind=ExceptionKind.LEAVE,
        first_day=date(2026, 3, 10),
        last_day=date(2026, 3, 10),
        starts=time(14),
        ends=time(17),
    )
    clinic.add_exception(
        session=session,
        clinician_id=neurologist,
        kind=ExceptionKind.EXTRA_SESSION,
        first_day=date(2026, 3, 29),
        last_day=date(2026, 3, 29),
        starts=time(0, 30),
        ends=time(4),
    )
    clinic.add_exception(
        session=session,
        clinician_id=neurologist,
        kind=ExceptionKind.HOLIDAY,
        first_day=date(2026, 4, 3),
        last_day=date(2026, 4, 3),
    )
    session.commit()


def test_the_one_day_schedule_offers_the_same_slots_as_the_whole_schedule_on_every_day(
    session: Session, small_clinic: SmallClinic
) -> None:
    add_exceptions(session, small_clinic)
    whole = clinic.schedule_for(session=session, clinician=small_clinic.neurologist, time_zone=ZONE)
    kind = clinic.domain_appointment_type(session=session, appointment_type=small_clinic.emg)
    window = clinic.booking_window(small_clinic.emg)
    day, days_with_slots = FIRST_DAY, 0
    while day <= LAST_DAY:
        one_day = clinic.schedule_for_day(
            session=session, clinician_id=small_clinic.neurologist.id, time_zone=ZONE, day=day
        )
        expected = availability.find_slots(
            schedule=whole,
            appointment_type=kind,
            first_day=day,
            last_day=day,
            now=TEST_NOW,
            window=window,
        )
        found = availability.find_slots(
            schedule=one_day,
            appointment_type=kind,
            first_day=day,
            last_day=day,
            now=TEST_NOW,
            window=window,
        )
        assert found == expected, day
        days_with_slots += bool(expected)
        day += timedelta(days=1)
    # 25 weekdays, minus three days of leave and Good Friday, plus the extra Sunday session.
    assert days_with_slots == 22


def test_an_appointment_type_needing_a_resource_the_clinic_lacks_is_refused_naming_the_type(
    session: Session, small_clinic: SmallClinic
) -> None:
    needs_a_scanner = clinic.add_appointment_type(
        session=session,
        code="ultrasound",
        name="Nerve ultrasound",
        duration_minutes=30,
        resource_kinds=("ultrasound_machine", "emg_room"),
    )
    try:
        clinic.domain_appointment_type(session=session, appointment_type=needs_a_scanner)
    except InvalidInput as error:
        assert error.field == "appointment_type_id"
        assert "ultrasound_machine" in error.detail
    else:
        raise AssertionError("a need no resource can meet was accepted")


def test_an_emg_study_needs_the_room_and_one_of_the_machines_in_id_order(
    session: Session, small_clinic: SmallClinic
) -> None:
    spare = clinic.add_resource(session=session, name="Spare EMG machine", kind="emg_machine")
    kind = clinic.domain_appointment_type(session=session, appointment_type=small_clinic.emg)
    assert {need.kind: need.candidates for need in kind.resource_needs} == {
        "emg_machine": (str(small_clinic.machine.id), str(spare.id)),
        "emg_room": (str(small_clinic.room.id),),
    }
