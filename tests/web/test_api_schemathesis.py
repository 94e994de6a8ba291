"""The JSON API against its own OpenAPI document, fuzzed in-process by Schemathesis.

For every operation, signed in as each role, Schemathesis sends requests the document calls
valid and requests it calls invalid, and checks every answer: never a 5xx, a status the
document lists, the media type it lists, and a body that matches the schema it gives (formats
included, so an instant without its offset or a wall-clock time documented as carrying one is
caught). Bounded (`EXAMPLES` per operation and mode) and derandomized, so `make test` sends
the same requests on every run; a failure names the operation and the exact request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.cases import service as cases
from plexcare.clinic import service as clinic
from plexcare.engine import Case
from plexcare.knowledge.model import KnowledgeBase
from plexcare.scheduling import service as booking
from plexcare.scheduling import waitlist
from plexcare.scheduling.availability import ExceptionKind
from plexcare.scheduling.waitlist_order import Urgency
from tests.conftest_db import TEST_NOW, Personas, SmallClinic, empty_tables
from tests.web.records import anonymous_callback

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
ROLES = ("anonymous", "patient_a", "clinician", "front_desk", "admin")
EXAMPLES = 6
"""Per operation, role and mode: about 60 operations x 5 roles x 2 modes x 6 = 3,600 calls."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
"""No shrinking: a failing request is reported as sent, which keeps a failing run short."""


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite: the handlers and services are the same on PostgreSQL (the permission matrix and
    `test_problems` run both), and SQLite keeps thousands of calls within the time budget."""
    empty_tables(sqlite_url)
    return sqlite_url


@pytest.fixture
def known_ids(session: Session, small_clinic: SmallClinic, kb: KnowledgeBase) -> dict[str, Any]:
    """Records that exist, so valid requests sometimes name one: patient A's appointment,
    hold, waitlist entry and case, a clinician's leave and a call-back request."""
    ann = Actor(user_id=small_clinic.patient_a.id, role=Role.patient.value)
    doctor = Actor(user_id=small_clinic.clinician_user.id, role=Role.clinician.value)
    slot = {
        "clinician_id": small_clinic.neurologist.id,
        "appointment_type_id": small_clinic.consultation.id,
    }
    appointment = booking.book(
        session=session, actor=ann, starts_at=TUESDAY_10, now=TEST_NOW, **slot
    )
    hold = booking.place_hold(
        session=session, actor=ann, starts_at=TUESDAY_10 + timedelta(hours=1), now=TEST_NOW, **slot
    )
    entry = waitlist.join(
        session=session,
        actor=ann,
        specialty="neurology",
        appointment_type_id=small_clinic.consultation.id,
        urgency=Urgency.SOON,
        now=TEST_NOW,
    )
    record, version = cases.create_case(
        session=session,
        actor=doctor,
        patient_id=small_clinic.patient_a.id,
        title="Right foot drop",
        case=Case.model_validate({"age": 58, "sex": "female", "affected_side": "right"}),
        note_for_patient="",
        kb=kb,
        now=TEST_NOW,
    )
    leave = clinic.add_exception(
        session=session,
        clinician_id=small_clinic.neurologist.id,
        kind=ExceptionKind.LEAVE,
        first_day=date(2026, 4, 6),
        last_day=date(2026, 4, 10),
    )
    callback = anonymous_callback(session)
    session.commit()
    return {
        **slot,
        "patient_id": small_clinic.patient_a.id,
        "owner_user_id": small_clinic.front_desk.id,
        "appointment_id": appointment.id,
        "hold_id": hold.id,
        "entry_id": entry.id,
        "case_id": record.id,
        "number": version.number,
        "exception_id": leave.id,
        "callback_id": callback.id,
    }


def _failure(label: str, mode: GenerationMode, error: BaseException) -> str:
    return f"{label} [{mode.value}]\n{error}"


def _with_known_ids(case: Any, known: dict[str, Any], data: st.DataObject) -> None:
    """Now and then an id of a record that exists, so valid requests get past "not found"."""
    containers = [case.path_parameters, case.query, case.body]
    for container in containers:
        if not isinstance(container, dict):
            continue
        for key in sorted(set(container) & set(known)):
            if data.draw(st.booleans(), label=f"known {key}"):
                container[key] = known[key]


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], known: dict[str, Any]
) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def call(case: Any, data: st.DataObject) -> None:
        if mode is GenerationMode.POSITIVE:
            _with_known_ids(case, known, data)
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    call()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented_for_every_role(
    client: TestClient, personas: Personas, known_ids: dict[str, Any], role: str, tmp_path: Path
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.upload_dir = tmp_path
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = personas.headers[role]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, headers, known_ids)
            except Unsatisfiable:
                continue  # an operation without inputs has no invalid request to send
            except (Exception, BaseExceptionGroup) as error:
                failures.append(_failure(operation.label, mode, error))
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
