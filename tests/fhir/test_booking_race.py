"""Many EHR clients booking one slot through `/fhir` at the same instant, against a real
uvicorn server on SQLite and PostgreSQL: one Appointment is created, everyone else gets a 409
OperationOutcome, and the database holds one appointment (the rule of the JSON API)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.scheduling.models import Appointment, SlotHold
from tests.conftest_db import SmallClinic
from tests.fhir.test_endpoints import appointment
from tests.scheduling.crowd import Call, all_at_once, new_patients, statuses

CLIENTS = 24


def _count(session: Session, table: type[Appointment] | type[SlotHold]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_concurrent_fhir_bookings_of_one_slot_create_one_appointment(
    server: str, session: Session, small_clinic: SmallClinic
) -> None:
    body = appointment(small_clinic)
    crowd = new_patients(session, CLIENTS)
    answers = all_at_once(server, [Call("/fhir/Appointment", headers, body) for headers in crowd])
    assert statuses(answers) == [201] + [409] * (CLIENTS - 1)
    losers = [a.body for a in answers if a.status == 409]
    assert all(b["resourceType"] == "OperationOutcome" for b in losers)
    assert {b["issue"][0]["code"] for b in losers} == {"conflict"}
    assert _count(session, Appointment) == 1


def test_hold_and_book_operations_racing_for_one_slot_leave_one_claim(
    server: str, session: Session, small_clinic: SmallClinic
) -> None:
    """Half the crowd asks to `$hold` the slot and half to `$book` it: holds and appointments
    share one reservation rule, so exactly one request wins whichever operation it used."""
    proposed = {**appointment(small_clinic), "status": "proposed"}
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "appointment-resource", "resource": proposed}],
    }
    crowd = new_patients(session, CLIENTS)
    calls = [
        Call(
            "/fhir/Appointment/$hold" if number % 2 else "/fhir/Appointment/$book",
            headers,
            parameters,
        )
        for number, headers in enumerate(crowd)
    ]
    answers = all_at_once(server, calls)
    assert statuses(answers) == [201] + [409] * (CLIENTS - 1)
    assert _count(session, Appointment) + _count(session, SlotHold) == 1
