"""Every /api/v1 endpoint × anonymous, patient A, patient B, clinician, front desk, admin.

The list of endpoints comes from the app's routes, so a new endpoint without a row here fails
`test_every_api_endpoint_has_a_row_in_the_permission_matrix`. A row says, per persona, whether
the call is let through (ALLOW: anything but 401/403/404 and never a 5xx), refused for lack of
sign-in (401), refused for the role (403), or hidden (404: patient B asking for patient A's
record must not learn it exists).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.cases import service as cases
from plexcare.clinic import service as clinic
from plexcare.engine import Case
from plexcare.knowledge.loader import knowledge_base
from plexcare.packages import service as packages
from plexcare.packages.catalogue import HealthPackage
from plexcare.packages.itinerary import PackageItem
from plexcare.scheduling import service as booking
from plexcare.scheduling import waitlist
from plexcare.scheduling.availability import ExceptionKind
from plexcare.scheduling.waitlist_order import Urgency
from plexcare.second_opinions import service as second_opinions
from plexcare.second_opinions.models import SecondOpinionFile
from plexcare.web.app import create_app
from tests.conftest_db import PASSWORD, TEST_NOW, Personas, SmallClinic
from tests.second_opinions.samples import PDF as SAMPLE_PDF
from tests.web.records import anonymous_callback

ALLOW = "allow"
PERSONAS = ("anonymous", "patient_b", "clinician", "front_desk", "admin", "patient_a")
"""Order matters: those who must be refused go before those whose call may change the record."""

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def rule(
    anonymous: Any, patient_a: Any, patient_b: Any, clinician: Any, front_desk: Any, admin: Any
) -> dict[str, Any]:
    return {
        "anonymous": anonymous,
        "patient_a": patient_a,
        "patient_b": patient_b,
        "clinician": clinician,
        "front_desk": front_desk,
        "admin": admin,
    }


PUBLIC = rule(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
SIGNED_IN = rule(401, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
OWN_RECORD = rule(401, ALLOW, 404, ALLOW, ALLOW, ALLOW)
OWN_RECORD_NOT_CLINICIAN = rule(401, ALLOW, 404, 403, ALLOW, ALLOW)
BOOKERS = rule(401, ALLOW, ALLOW, 403, ALLOW, ALLOW)
STAFF = rule(401, 403, 403, ALLOW, ALLOW, ALLOW)
DESK = rule(401, 403, 403, 403, ALLOW, ALLOW)
ADMIN = rule(401, 403, 403, 403, 403, ALLOW)
CLINICIAN_ONLY = rule(401, 403, 403, ALLOW, 403, 403)
CLINICAL = rule(401, 403, 403, ALLOW, 403, ALLOW)
NOT_DESK = rule(401, ALLOW, ALLOW, ALLOW, 403, ALLOW)
PATIENT_ONLY = rule(401, ALLOW, ALLOW, 403, 403, 403)

MATRIX: dict[str, dict[str, Any]] = {
    "POST /api/v1/auth/register": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "POST /api/v1/auth/session": PUBLIC,
    "DELETE /api/v1/auth/session": PUBLIC,
    "GET /api/v1/me": SIGNED_IN,
    "PATCH /api/v1/me": SIGNED_IN,
    "POST /api/v1/users": ADMIN,
    "GET /api/v1/users": ADMIN,
    "GET /api/v1/audit-events": ADMIN,
    "GET /api/v1/clinicians": PUBLIC,
    "GET /api/v1/clinicians/{clinician_id}": PUBLIC,
    "GET /api/v1/clinicians/{clinician_id}/availability": PUBLIC,
    "PUT /api/v1/clinicians/{clinician_id}/availability": DESK,
    "GET /api/v1/clinicians/{clinician_id}/exceptions": STAFF,
    "POST /api/v1/clinicians/{clinician_id}/exceptions": DESK,
    "DELETE /api/v1/clinicians/{clinician_id}/exceptions/{exception_id}": DESK,
    "GET /api/v1/appointment-types": PUBLIC,
    "GET /api/v1/resources": STAFF,
    "GET /api/v1/slots": PUBLIC,
    "GET /api/v1/slots/earliest": PUBLIC,
    "POST /api/v1/holds": BOOKERS,
    "GET /api/v1/holds": SIGNED_IN,
    "DELETE /api/v1/holds/{hold_id}": OWN_RECORD_NOT_CLINICIAN,
    "POST /api/v1/appointments": BOOKERS,
    "GET /api/v1/appointments": SIGNED_IN,
    "GET /api/v1/appointments/{appointment_id}": OWN_RECORD,
    "POST /api/v1/appointments/{appointment_id}/cancel": OWN_RECORD,
    "POST /api/v1/appointments/{appointment_id}/reschedule": OWN_RECORD,
    "POST /api/v1/appointments/{appointment_id}/completed": STAFF,
    "POST /api/v1/appointments/{appointment_id}/no-show": STAFF,
    "POST /api/v1/waitlist": BOOKERS,
    "GET /api/v1/waitlist": SIGNED_IN,
    "DELETE /api/v1/waitlist/{entry_id}": OWN_RECORD_NOT_CLINICIAN,
    "GET /api/v1/outbox": ADMIN,
    "POST /api/v1/cases": CLINICIAN_ONLY,
    "GET /api/v1/cases": NOT_DESK,
    "GET /api/v1/cases/{case_id}": CLINICAL,
    "POST /api/v1/cases/{case_id}/versions": CLINICIAN_ONLY,
    "GET /api/v1/cases/{case_id}/versions": CLINICAL,
    "GET /api/v1/cases/{case_id}/versions/{number}": CLINICAL,
    "GET /api/v1/cases/{case_id}/compare": CLINICAL,
    "GET /api/v1/cases/{case_id}/plan": OWN_RECORD,
    "GET /api/v1/triage/questions": PUBLIC,
    "POST /api/v1/triage": PUBLIC,
    "POST /api/v1/second-opinions": PATIENT_ONLY,
    "GET /api/v1/second-opinions": SIGNED_IN,
    "GET /api/v1/second-opinions/{request_id}": OWN_RECORD,
    "POST /api/v1/second-opinions/{request_id}/review": CLINICIAN_ONLY,
    "POST /api/v1/second-opinions/{request_id}/answer": CLINICIAN_ONLY,
    "GET /api/v1/second-opinions/{request_id}/files/{file_id}": OWN_RECORD,
    "POST /api/v1/callbacks": PUBLIC,
    "GET /api/v1/callbacks": DESK,
    "PATCH /api/v1/callbacks/{callback_id}": DESK,
    "GET /api/v1/packages": PUBLIC,
    "GET /api/v1/packages/{code}/itinerary": PUBLIC,
    "POST /api/v1/packages/{code}/bookings": BOOKERS,
    "GET /api/v1/package-bookings": SIGNED_IN,
    "GET /api/v1/outcome-scales": PUBLIC,
    "POST /api/v1/follow-up-visits": CLINICIAN_ONLY,
    "GET /api/v1/patients/{patient_id}/follow-up": OWN_RECORD,
}


def api_endpoints(app: FastAPI) -> set[str]:
    """`METHOD /path` for every route the app serves under /api/v1."""
    found: set[str] = set()
    for route in app.routes:
        contexts: Iterator[Any] = (
            route.effective_route_contexts()  # type: ignore[attr-defined]
            if hasattr(route, "effective_route_contexts")
            else iter([route])
        )
        for context in contexts:
            path = getattr(context, "path", "")
            if not path.startswith("/api/v1"):
                continue
            for method in getattr(context, "methods", None) or ():
                if method != "HEAD":
                    found.add(f"{method} {path}")
    return found


def test_every_api_endpoint_has_a_row_in_the_permission_matrix() -> None:
    served = api_endpoints(create_app())
    assert served, "no /api/v1 routes found"
    assert served - set(MATRIX) == set(), "add these endpoints to the permission matrix"
    assert set(MATRIX) - served == set(), "these matrix rows name endpoints that do not exist"


def test_the_route_walker_sees_plain_api_routes() -> None:
    app = FastAPI()
    app.router.routes.append(APIRoute("/api/v1/probe", lambda: None, methods=["GET"]))
    assert api_endpoints(app) == {"GET /api/v1/probe"}


MATRIX_PDF = SAMPLE_PDF
MATRIX_CASE = {
    "age": 58,
    "sex": "female",
    "affected_side": "right",
    "exam": {"right": {"strength": {"tibialis_anterior": 2}}},
}


def patient_service_records(
    session: Session, clinic_people: SmallClinic, upload_dir: Path
) -> dict[str, Any]:
    """Patient A's case and the other patient-service records the object-level rows name."""
    doctor = Actor(user_id=clinic_people.clinician_user.id, role="clinician")
    record, version = cases.create_case(
        session=session,
        actor=doctor,
        patient_id=clinic_people.patient_a.id,
        title="Right foot drop",
        case=Case.model_validate(MATRIX_CASE),
        note_for_patient="",
        kb=knowledge_base(),
        now=TEST_NOW,
    )
    opinion, _stored = second_opinions.submit(
        session=session,
        actor=Actor(user_id=clinic_people.patient_a.id, role="patient"),
        question="Do I need surgery for this foot drop?",
        files=[second_opinions.IncomingFile(stream=BytesIO(MATRIX_PDF), file_name="report.pdf")],
        directory=upload_dir,
        max_bytes=1024 * 1024,
        now=TEST_NOW,
    )
    file_id = session.scalars(select(SecondOpinionFile.id)).one()
    workup = HealthPackage(
        code="plexus_workup",
        name="Plexus work-up",
        description="A consultation, then nerve conduction studies and EMG.",
        items=(
            PackageItem("neuro_consult", "Consultation", timedelta(minutes=30)),
            PackageItem("emg_ncs", "Nerve conduction studies and EMG", timedelta(minutes=60)),
        ),
        price_minor_units=50_000,
    )
    packages.add_package(session=session, package=workup)
    callback = anonymous_callback(session)
    return {
        "case_id": record.id,
        "number": version.number,
        "request_id": opinion.id,
        "file_id": file_id,
        "callback_id": callback.id,
        "code": workup.code,
        "patient_id": clinic_people.patient_a.id,
    }


def body_for(endpoint: str, clinic_people: SmallClinic, persona: str) -> dict[str, Any] | None:
    neurologist, consultation = clinic_people.neurologist.id, clinic_people.consultation.id
    bodies: dict[str, dict[str, Any]] = {
        "POST /api/v1/auth/register": {
            "email": f"new-{persona}@example.org",
            "password": "a long password",
            "full_name": "New Patient",
        },
        "POST /api/v1/auth/token": {"email": "ann@example.org", "password": PASSWORD},
        "POST /api/v1/auth/session": {"email": "ann@example.org", "password": PASSWORD},
        "PATCH /api/v1/me": {"consent_sms": True},
        "POST /api/v1/users": {
            "email": f"staff-{persona}@clinic.example",
            "password": "a long password",
            "full_name": "New Staff",
            "role": "front_desk",
        },
        "PUT /api/v1/clinicians/{clinician_id}/availability": {
            "hours": [{"weekday": day, "starts": "09:00", "ends": "17:00"} for day in range(5)],
        },
        "POST /api/v1/clinicians/{clinician_id}/exceptions": {
            "kind": "leave",
            "first_day": "2026-04-06",
            "last_day": "2026-04-10",
        },
        "POST /api/v1/holds": {
            "clinician_id": neurologist,
            "appointment_type_id": consultation,
            "starts_at": (TUESDAY_10 + timedelta(hours=4)).isoformat(),
            **(
                {"patient_id": clinic_people.patient_a.id}
                if persona in ("front_desk", "admin")
                else {}
            ),
        },
        "POST /api/v1/appointments": {
            "clinician_id": neurologist,
            "appointment_type_id": consultation,
            "starts_at": (TUESDAY_10 + timedelta(hours=5)).isoformat(),
            **(
                {"patient_id": clinic_people.patient_a.id}
                if persona in ("front_desk", "admin")
                else {}
            ),
        },
        "POST /api/v1/appointments/{appointment_id}/cancel": {"reason": "feeling better"},
        "POST /api/v1/appointments/{appointment_id}/reschedule": {
            "starts_at": (TUESDAY_10 + timedelta(hours=1)).isoformat(),
        },
        "POST /api/v1/waitlist": {
            "specialty": "neurology",
            "appointment_type_id": consultation,
            **(
                {"patient_id": clinic_people.patient_a.id}
                if persona in ("front_desk", "admin")
                else {}
            ),
        },
        "POST /api/v1/cases": {
            "patient_id": clinic_people.patient_a.id,
            "title": "Right foot drop",
            "case": MATRIX_CASE,
        },
        "POST /api/v1/cases/{case_id}/versions": {"case": MATRIX_CASE},
        "POST /api/v1/triage": {"answers": {"numbness": True}},
        "POST /api/v1/callbacks": {
            "full_name": "Sam Caller",
            "phone": "020 7946 0018",
            "reason": "Please call me about a nerve test.",
        },
        "PATCH /api/v1/callbacks/{callback_id}": {"status": "in_progress"},
        "POST /api/v1/follow-up-visits": {
            "patient_id": clinic_people.patient_a.id,
            "seen_at": TEST_NOW.isoformat(),
            "scores": [{"scale": "pain_numeric_rating", "value": 4}],
        },
        "POST /api/v1/packages/{code}/bookings": (
            {"patient_id": clinic_people.patient_a.id} if persona in ("front_desk", "admin") else {}
        ),
        "POST /api/v1/second-opinions/{request_id}/answer": {
            "opinion": "No surgery is needed; continue physiotherapy."
        },
    }
    return bodies.get(endpoint)


@pytest.fixture
def records_of_patient_a(
    session: Session, small_clinic: SmallClinic, client: TestClient, tmp_path: Path
) -> dict[str, Any]:
    """Patient A's appointment, hold and waitlist entry, for the object-level rows."""
    client.app.state.upload_dir = tmp_path  # type: ignore[attr-defined]
    ann = Actor(user_id=small_clinic.patient_a.id, role="patient")
    appointment = booking.book(
        session=session,
        actor=ann,
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    hold = booking.place_hold(
        session=session,
        actor=ann,
        clinician_id=small_clinic.pain.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    entry = waitlist.join(
        session=session,
        actor=ann,
        specialty="neurology",
        appointment_type_id=small_clinic.consultation.id,
        urgency=Urgency.SOON,
        now=TEST_NOW,
    )
    others = patient_service_records(session, small_clinic, tmp_path)
    leave = clinic.add_exception(
        session=session,
        clinician_id=small_clinic.neurologist.id,
        kind=ExceptionKind.LEAVE,
        first_day=date(2026, 4, 6),
        last_day=date(2026, 4, 10),
    )
    session.commit()
    return {
        "appointment_id": appointment.id,
        "hold_id": hold.id,
        "entry_id": entry.id,
        "clinician_id": small_clinic.neurologist.id,
        "exception_id": leave.id,
        **others,
    }


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_each_persona_gets_what_the_matrix_says(
    endpoint: str,
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    records_of_patient_a: dict[str, Any],
) -> None:
    method, path = endpoint.split(" ", 1)
    url = path.format(**records_of_patient_a)
    seen = {}
    for persona in PERSONAS:
        client.cookies.clear()
        answer = client.request(
            method,
            url,
            headers=personas.headers[persona],
            json=body_for(endpoint, small_clinic, persona),
        )
        seen[persona] = answer.status_code
        assert answer.status_code < 500, f"{persona}: {answer.text}"
    deleted_by = [who for who in PERSONAS if method == "DELETE" and 200 <= seen[who] < 300]
    for persona, expected in MATRIX[endpoint].items():
        if expected == ALLOW:
            # Once an earlier persona deleted the record, a later one rightly finds nothing.
            gone = bool(deleted_by) and PERSONAS.index(persona) > PERSONAS.index(deleted_by[0])
            refused = (401, 403) if gone else (401, 403, 404)
            assert seen[persona] not in refused, f"{persona} refused: {seen}"
        else:
            assert seen[persona] == expected, f"{persona}: {seen}"
