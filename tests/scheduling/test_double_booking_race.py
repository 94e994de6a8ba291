"""Many clients booking one slot at the same instant against a real uvicorn server:
exactly one wins, everyone else gets 409, and the database holds one appointment."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.scheduling.models import Appointment
from tests.conftest_db import SmallClinic
from tests.scheduling.crowd import Call, all_at_once, new_patients, statuses
from tests.scheduling.test_booking import booking_body

CLIENTS = 24


def test_concurrent_clients_booking_one_slot_get_one_201_and_the_rest_409(
    server: str, session: Session, small_clinic: SmallClinic
) -> None:
    crowd = new_patients(session, CLIENTS)
    answers = all_at_once(
        server,
        [Call("/api/v1/appointments", headers, booking_body(small_clinic)) for headers in crowd],
    )
    assert statuses(answers) == [201] + [409] * (CLIENTS - 1)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Appointment)) == 1
