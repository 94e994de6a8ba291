"""`/fhir` as a FHIR client sees it, on SQLite and PostgreSQL: valid R4 resources, the same
roles and audit as the JSON API, and an OperationOutcome for every error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.cases import service as cases
from plexcare.engine import Case
from plexcare.fhir.conformance import problems_in
from plexcare.knowledge.model import KnowledgeBase
from plexcare.scheduling.models import Appointment, SlotHold
from tests.conftest_db import TEST_NOW, Personas, SmallClinic

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def valid(response: Response) -> dict[str, Any]:
    """The body, after checking it is FHIR JSON that validates as R4."""
    assert response.headers["content-type"].startswith("application/fhir+json"), response.text
    body: dict[str, Any] = response.json()
    assert problems_in(body) == [], body
    return body


def outcome(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = valid(response)
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]


def slot_id(clinic: SmallClinic, start: datetime = TUESDAY_10) -> str:
    return f"{clinic.neurologist.id}-{clinic.consultation.id}-{start:%Y%m%d%H%M}"


def appointment(
    clinic: SmallClinic, *, patient_id: int | None = None, start: datetime = TUESDAY_10
) -> dict[str, Any]:
    participants: list[dict[str, Any]] = [
        {"actor": {"reference": f"Practitioner/{clinic.neurologist.id}"}, "status": "accepted"}
    ]
    if patient_id is not None:
        participants.append({"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"})
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id(clinic, start)}"}],
        "participant": participants,
    }


def _references(value: Any) -> Iterator[dict[str, Any]]:
    """Every Reference inside a resource."""
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value
        for inner in value.values():
            yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def audit_rows(session: Session, subject_type: str, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == subject_type, AuditEvent.action == action
            )
        )
    )


def test_metadata_is_a_public_capability_statement_listing_the_scheduling_operations(
    client: TestClient,
) -> None:
    statement = valid(client.get("/fhir/metadata"))
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    [appointments] = [r for r in statement["rest"][0]["resource"] if r["type"] == "Appointment"]
    assert {op["name"] for op in appointments["operation"]} == {"find", "hold", "book"}


def test_staff_read_a_patient_and_the_read_is_audited(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    patient_id = small_clinic.patient_a.id
    body = valid(client.get(f"/fhir/Patient/{patient_id}", headers=personas.headers["front_desk"]))
    assert (body["id"], body["name"][0]["text"]) == (str(patient_id), "ann")
    [row] = audit_rows(session, "patient", "read")
    assert (row.patient_user_id, row.actor_user_id) == (patient_id, small_clinic.front_desk.id)


def test_a_patient_reads_only_themselves(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    own = client.get(
        f"/fhir/Patient/{small_clinic.patient_a.id}", headers=personas.headers["patient_a"]
    )
    assert valid(own)["id"] == str(small_clinic.patient_a.id)
    other = client.get(
        f"/fhir/Patient/{small_clinic.patient_b.id}", headers=personas.headers["patient_a"]
    )
    assert outcome(other, 404)["code"] == "not-found"
    found = valid(client.get("/fhir/Patient", headers=personas.headers["patient_a"]))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(small_clinic.patient_a.id)]


def test_without_a_token_patient_data_is_a_401_operation_outcome(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    issue = outcome(client.get(f"/fhir/Patient/{small_clinic.patient_a.id}"), 401)
    assert issue["code"] == "login"
    issue = outcome(
        client.get("/fhir/Appointment", headers={"Authorization": "Bearer nonsense"}), 401
    )
    assert "invalid or expired" in issue["diagnostics"]


def test_staff_search_patients_by_name(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    found = valid(
        client.get("/fhir/Patient", params={"name": "bo"}, headers=personas.headers["clinician"])
    )
    assert (found["type"], found["total"]) == ("searchset", 1)
    assert [e["resource"]["id"] for e in found["entry"]] == [str(small_clinic.patient_b.id)]
    paged = client.get(
        "/fhir/Patient", params={"_count": 1, "_offset": 1}, headers=personas.headers["clinician"]
    )
    assert (valid(paged)["total"], len(valid(paged)["entry"])) == (2, 1)


def test_practitioners_and_their_schedules_are_public(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    practitioner = valid(client.get(f"/fhir/Practitioner/{small_clinic.neurologist.id}"))
    assert practitioner["name"][0]["family"] == "Okafor"
    schedules = valid(
        client.get("/fhir/Schedule", params={"actor": f"Practitioner/{small_clinic.pain.id}"})
    )
    [schedule] = [e["resource"] for e in schedules["entry"]]
    assert schedule["actor"][0]["reference"] == f"Practitioner/{small_clinic.pain.id}"
    assert [t["coding"][0]["code"] for t in schedule["serviceType"]] == ["neuro_consult"]
    assert outcome(client.get("/fhir/Schedule/999999"), 404)["code"] == "not-found"


def test_slots_are_searched_by_schedule_start_and_status(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    params = {
        "schedule": f"Schedule/{small_clinic.neurologist.id}",
        "start": ["ge2026-03-03T10:00:00Z", "lt2026-03-03T11:00:00Z"],
        "service-type": "neuro_consult",
    }
    assert valid(client.get(f"/fhir/Slot/{slot_id(small_clinic)}"))["status"] == "free"
    free = valid(client.get("/fhir/Slot", params=params))
    starts = [e["resource"]["start"] for e in free["entry"]]
    assert starts == ["2026-03-03T10:00:00Z", "2026-03-03T10:30:00Z"]
    assert all(e["resource"]["status"] == "free" for e in free["entry"])
    booked = client.post(
        "/fhir/Appointment", json=appointment(small_clinic), headers=personas.headers["patient_a"]
    )
    assert booked.status_code == 201, booked.text
    free = valid(client.get("/fhir/Slot", params=params))
    assert [e["resource"]["start"] for e in free["entry"]] == ["2026-03-03T10:30:00Z"]
    busy = valid(client.get("/fhir/Slot", params={**params, "status": "busy"}))
    [taken] = [e["resource"] for e in busy["entry"]]
    assert (taken["id"], taken["status"]) == (slot_id(small_clinic), "busy")
    assert "Patient" not in str(taken)
    assert valid(client.get(f"/fhir/Slot/{slot_id(small_clinic)}"))["status"] == "busy"


def test_a_patient_books_a_slot_and_the_appointment_is_theirs_and_audited(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    body = appointment(small_clinic)
    patient_id = small_clinic.patient_a.id
    response = client.post(
        "/fhir/Appointment",
        content=json.dumps(body),
        headers={**FHIR_JSON, **personas.headers["patient_a"]},
    )
    assert response.status_code == 201, response.text
    booked = valid(response)
    assert booked["status"] == "booked"
    assert response.headers["location"].endswith(f"/fhir/Appointment/{booked['id']}")
    assert {"reference": f"Patient/{patient_id}"} in [p["actor"] for p in booked["participant"]]
    session.expire_all()
    row = session.get(Appointment, int(booked["id"]))
    assert row is not None and row.patient_id == patient_id
    assert [r.subject_id for r in audit_rows(session, "appointment", "create")] == [booked["id"]]
    # On SQLite the app and the test share one connection: end the test's transaction.
    session.commit()
    again = client.post("/fhir/Appointment", json=body, headers=personas.headers["patient_b"])
    assert outcome(again, 409)["code"] == "conflict"
    own = valid(
        client.get(f"/fhir/Appointment/{booked['id']}", headers=personas.headers["patient_a"])
    )
    assert own["id"] == booked["id"]
    assert outcome(
        client.get(f"/fhir/Appointment/{booked['id']}", headers=personas.headers["patient_b"]), 404
    )
    mine = valid(client.get("/fhir/Appointment", headers=personas.headers["patient_b"]))
    assert mine["total"] == 0


def test_the_front_desk_books_for_a_named_patient(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    body = appointment(small_clinic, patient_id=small_clinic.patient_b.id)
    booked = valid(
        client.post("/fhir/Appointment", json=body, headers=personas.headers["front_desk"])
    )
    assert {"reference": f"Patient/{small_clinic.patient_b.id}"} in [
        p["actor"] for p in booked["participant"]
    ]
    unnamed = client.post(
        "/fhir/Appointment", json=appointment(small_clinic), headers=personas.headers["front_desk"]
    )
    assert outcome(unnamed, 422)["expression"] == ["Appointment.participant"]


def test_a_clinician_may_not_book_and_is_told_so(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    refused = client.post(
        "/fhir/Appointment", json=appointment(small_clinic), headers=personas.headers["clinician"]
    )
    assert outcome(refused, 403)["code"] == "forbidden"


def test_invalid_appointments_are_422_operation_outcomes_naming_the_element(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    headers = personas.headers["patient_a"]
    wrong_status = {**appointment(small_clinic), "status": "xyz"}
    assert outcome(client.post("/fhir/Appointment", json=wrong_status, headers=headers), 422)[
        "expression"
    ] == ["Appointment.status"]
    no_slot = {
        "resourceType": "Appointment",
        "status": "booked",
        "participant": appointment(small_clinic)["participant"],
    }
    assert outcome(client.post("/fhir/Appointment", json=no_slot, headers=headers), 422)[
        "expression"
    ] == ["Appointment.slot"]
    bad_slot = {**appointment(small_clinic), "slot": [{"reference": "Slot/tomorrow"}]}
    assert outcome(client.post("/fhir/Appointment", json=bad_slot, headers=headers), 422)[
        "expression"
    ] == ["Appointment.slot[0].reference"]
    not_json = client.post(
        "/fhir/Appointment", content=b"{not json", headers={**FHIR_JSON, **headers}
    )
    assert outcome(not_json, 422)["code"] == "invalid"
    missing_participant_status = {
        **appointment(small_clinic),
        "participant": [{"actor": {"reference": "Patient/1"}}],
    }
    issue = outcome(
        client.post("/fhir/Appointment", json=missing_participant_status, headers=headers), 422
    )
    assert "participant" in issue["expression"][0]
    session.expire_all()
    assert session.scalars(select(Appointment)).all() == []


def test_find_hold_and_book_in_the_manner_of_ihe_scheduling(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "start", "valueDateTime": "2026-03-03T09:00:00Z"},
            {"name": "end", "valueDateTime": "2026-03-03T12:00:00Z"},
            {
                "name": "practitioner",
                "valueReference": {"reference": f"Practitioner/{small_clinic.neurologist.id}"},
            },
            {"name": "service-type", "valueCode": "neuro_consult"},
            {"name": "_count", "valueString": "3"},
        ],
    }
    found = valid(client.post("/fhir/Appointment/$find", json=parameters))
    proposed = [e["resource"] for e in found["entry"]]
    assert [p["status"] for p in proposed] == ["proposed"] * 3
    assert proposed[0]["start"] == "2026-03-03T09:00:00Z"
    chosen = proposed[1]
    headers = personas.headers["patient_a"]
    hold_request = {
        "resourceType": "Parameters",
        "parameter": [{"name": "appointment-resource", "resource": chosen}],
    }
    held = client.post("/fhir/Appointment/$hold", json=hold_request, headers=headers)
    assert held.status_code == 201, held.text
    pending = valid(held)
    assert (pending["status"], pending["start"]) == ("pending", chosen["start"])
    other = client.post(
        "/fhir/Appointment/$hold", json=hold_request, headers=personas.headers["patient_b"]
    )
    assert outcome(other, 409)["code"] == "conflict"
    book_request = {
        "resourceType": "Parameters",
        "parameter": [{"name": "appointment-resource", "resource": pending}],
    }
    booked = valid(client.post("/fhir/Appointment/$book", json=book_request, headers=headers))
    assert (booked["status"], booked["start"]) == ("booked", chosen["start"])
    session.expire_all()
    assert session.scalars(select(SlotHold)).all() == []
    assert len(session.scalars(select(Appointment)).all()) == 1


def test_everything_exports_the_patients_record_with_their_case_for_clinicians(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    session: Session,
    kb: KnowledgeBase,
) -> None:
    case = Case.model_validate(
        yaml.safe_load(Path("examples/cases/l5_radiculopathy.yaml").read_text())
    )
    clinician = Actor(user_id=small_clinic.clinician_user.id, role="clinician")
    cases.create_case(
        session=session,
        actor=clinician,
        patient_id=small_clinic.patient_a.id,
        title="Left foot drop",
        case=case,
        note_for_patient="",
        kb=kb,
        now=TEST_NOW,
    )
    session.commit()
    url = f"/fhir/Patient/{small_clinic.patient_a.id}/$everything"
    exported = valid(client.get(url, headers=personas.headers["clinician"]))
    kinds = {e["resource"]["resourceType"] for e in exported["entry"]}
    assert {
        "Patient",
        "Practitioner",
        "Observation",
        "Condition",
        "DiagnosticReport",
        "RiskAssessment",
        "CarePlan",
    } <= kinds
    addresses = {entry["fullUrl"] for entry in exported["entry"]}
    references = {
        found["reference"]
        for entry in exported["entry"]
        for found in _references(entry["resource"])
        if found["reference"].startswith("urn:uuid:")
    }
    assert references and references <= addresses
    assert len(audit_rows(session, "case", "read")) == 1
    session.commit()
    assert (
        outcome(client.get(url, headers=personas.headers["patient_a"]), 403)["code"] == "forbidden"
    )
    assert outcome(client.get(url, headers=personas.headers["front_desk"]), 403)


def test_anything_else_under_fhir_is_an_operation_outcome(
    client: TestClient, personas: Personas
) -> None:
    unknown = client.get("/fhir/Observation", headers=personas.headers["clinician"])
    assert outcome(unknown, 404)["code"] == "not-found"
    not_here = client.delete("/fhir/Patient/1", headers=personas.headers["admin"])
    assert outcome(not_here, 405)["code"] == "not-supported"


def test_appointments_are_searched_by_practitioner_status_and_date(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    headers = personas.headers["front_desk"]
    patient_b = small_clinic.patient_b.id
    for start in (TUESDAY_10, datetime(2026, 3, 4, 10, 0, tzinfo=UTC)):
        body = appointment(small_clinic, patient_id=patient_b, start=start)
        assert client.post("/fhir/Appointment", json=body, headers=headers).status_code == 201
    params: dict[str, Any] = {
        "practitioner": f"Practitioner/{small_clinic.neurologist.id}",
        "status": "booked",
        "date": ["ge2026-03-04"],
    }
    found = valid(client.get("/fhir/Appointment", params=params, headers=headers))
    assert [e["resource"]["start"] for e in found["entry"]] == ["2026-03-04T10:00:00Z"]
    none = valid(
        client.get("/fhir/Appointment", params={**params, "status": "cancelled"}, headers=headers)
    )
    assert none["total"] == 0
    bad = client.get("/fhir/Appointment", params={"date": "yesterday"}, headers=headers)
    assert outcome(bad, 422)["expression"] == ["date"]


def test_a_retried_booking_with_the_same_idempotency_key_books_once(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    headers = {**personas.headers["patient_a"], "Idempotency-Key": "ehr-retry-7"}
    body = appointment(small_clinic)
    first = client.post("/fhir/Appointment", json=body, headers=headers)
    again = client.post("/fhir/Appointment", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert valid(again)["id"] == valid(first)["id"]
    other = {
        **body,
        "slot": [{"reference": f"Slot/{slot_id(small_clinic, TUESDAY_10.replace(hour=11))}"}],
    }
    reused = client.post("/fhir/Appointment", json=other, headers=headers)
    assert outcome(reused, 422)["expression"] == ["Idempotency-Key"]
    session.expire_all()
    assert len(session.scalars(select(Appointment)).all()) == 1
