"""The calendar read a slot search expands (`scheduling.rota`), on SQLite and PostgreSQL: busy
time that began before the searched window still counts inside it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from plexcare.scheduling import availability, rota
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10
from tests.scheduling.test_changes import book_tuesday


def test_an_appointment_begun_before_the_window_is_busy_inside_it(
    session: Session, small_clinic: SmallClinic
) -> None:
    book_tuesday(session, small_clinic)
    window_start = TUESDAY_10 + timedelta(minutes=15)
    found = rota.calendar(
        session=session,
        clinician_ids=[small_clinic.neurologist.id],
        resource_ids=[],
        first_day=window_start.date(),
        last_day=window_start.date(),
        start=window_start,
        end=window_start + timedelta(days=1),
        now=TEST_NOW,
    )
    busy = rota.busy_micros(found.clinicians[small_clinic.neurologist.id].busy)
    assert busy.tolist() == [
        [availability.micros(TUESDAY_10), availability.micros(TUESDAY_10 + timedelta(minutes=30))]
    ]
