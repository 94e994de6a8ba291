"""plexcare's CDS Services called by an EHR (`ehr_client.Ehr`), on SQLite and PostgreSQL:
discovery, red-flag and differential cards on patient-view, appointment advice on
appointment-book, feedback, and the spec's required fields in every request and answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.engine import Case
from plexcare.fhir import codes
from plexcare.fhir.bundle import case_bundle
from plexcare.fhir.conformance import problems_in
from plexcare.fhir.people import PatientFacts
from plexcare.knowledge.model import KnowledgeBase
from tests.cds_hooks.ehr_client import Ehr, EhrRecord
from tests.conftest_db import Personas, SmallClinic


def record_of(case: Case, kb: KnowledgeBase, patient_id: str = "ehr-123") -> EhrRecord:
    """The EHR's record of a patient holding this case's findings (in plexcare's codes)."""
    bundle = case_bundle(
        case=case,
        assessment=None,
        kb=kb,
        patient=PatientFacts(id=patient_id, name="Pat Example"),
        practitioner=None,
        issued="2026-03-02T08:00:00Z",
    )
    resources = [entry["resource"] for entry in bundle["entry"]]
    return EhrRecord(patient=resources[0], resources=resources[1:])


def example(name: str, **changes: Any) -> Case:
    data = yaml.safe_load(Path(f"examples/cases/{name}.yaml").read_text())
    data.update(changes)
    return Case.model_validate(data)


@pytest.fixture
def ehr(client: TestClient, personas: Personas) -> Ehr:
    return Ehr(client, personas.headers["clinician"])


def test_discovery_lists_both_hooks_with_prefetch_templates(ehr: Ehr) -> None:
    services = ehr.discover()
    assert set(services) == {"patient-view", "appointment-book"}
    for service in services.values():
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert all("{{context.patientId}}" in template for template in service["prefetch"].values())


def test_a_cauda_equina_record_gets_a_critical_red_flag_card(ehr: Ehr, kb: KnowledgeBase) -> None:
    status, answer = ehr.call(
        ehr.discover()["patient-view"], record_of(example("cauda_equina"), kb)
    )
    assert status == 200
    critical = [card for card in answer["cards"] if card["indicator"] == "critical"]
    assert critical
    assert all(card["summary"].startswith("Red flag:") for card in critical)


def test_a_full_record_gets_the_differential_with_an_order_and_a_smart_link(
    ehr: Ehr, kb: KnowledgeBase
) -> None:
    status, answer = ehr.call(
        ehr.discover()["patient-view"], record_of(example("l5_radiculopathy"), kb)
    )
    assert status == 200
    [card] = [c for c in answer["cards"] if "Likely site" in c["summary"]]
    assert card["indicator"] == "info"
    assert "L5 radiculopathy" in card["summary"]
    assert card["links"][0]["type"] == "smart"
    assert card["links"][0]["url"].endswith("/smart/launch")
    for suggestion in card["suggestions"]:
        for action in suggestion["actions"]:
            assert problems_in(action["resource"]) == []
            assert action["resource"]["subject"]["reference"] == "Patient/ehr-123"


def test_a_thin_record_gets_no_differential(ehr: Ehr, kb: KnowledgeBase) -> None:
    thin = Case.model_validate({"age": 40, "sex": "female", "symptoms": {"back_pain": True}})
    status, answer = ehr.call(ehr.discover()["patient-view"], record_of(thin, kb))
    assert status == 200
    assert [c for c in answer["cards"] if "Likely site" in c["summary"]] == []


def test_appointment_book_suggests_the_study_the_workup_calls_for(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    desk = Ehr(client, personas.headers["front_desk"])
    case = example("l5_radiculopathy", nerve_conduction={}, emg={})
    proposed = {
        "resourceType": "Appointment",
        "id": "ehr-appt-1",
        "status": "proposed",
        "serviceType": [{"coding": [{"system": codes.APPOINTMENT_TYPE, "code": "neuro_consult"}]}],
        "participant": [{"actor": {"reference": "Patient/ehr-123"}, "status": "accepted"}],
    }
    context = {
        "appointments": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": proposed}],
        }
    }
    status, answer = desk.call(
        desk.discover()["appointment-book"], record_of(case, kb), context=context
    )
    assert status == 200
    advice = answer["cards"][0]
    assert advice["summary"].startswith("Book: Nerve conduction study and EMG.")
    [action] = advice["suggestions"][0]["actions"]
    assert action["type"] == "update"
    assert action["resource"]["id"] == "ehr-appt-1"
    assert action["resource"]["serviceType"][0]["coding"][0]["code"] == "emg_ncs"
    assert problems_in(action["resource"]) == []


def test_booking_advice_for_an_emergency_says_not_to_book(
    client: TestClient, personas: Personas, kb: KnowledgeBase
) -> None:
    desk = Ehr(client, personas.headers["front_desk"])
    status, answer = desk.call(
        desk.discover()["appointment-book"], record_of(example("cauda_equina"), kb)
    )
    assert status == 200
    [advice] = answer["cards"]
    assert advice["indicator"] == "critical"
    assert "emergency department" in advice["summary"]
    assert advice.get("suggestions", []) == []
    assert "Red flag" not in str(answer)  # the clinical cards are patient-view's


def test_the_call_and_the_feedback_are_audited(
    ehr: Ehr, kb: KnowledgeBase, session: Session
) -> None:
    service = ehr.discover()["patient-view"]
    _, answer = ehr.call(service, record_of(example("l5_radiculopathy"), kb))
    card = answer["cards"][-1]
    assert ehr.feedback(service, card, "accepted") == 200
    assert ehr.feedback(service, card, "overridden") == 200
    session.expire_all()
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.subject_type, r.subject_id) for r in rows if r.subject_type.startswith("cds")] == [
        ("cds_patient_view", "ehr-123"),
        ("cds_feedback", f"{card['uuid']}:accepted"),
        ("cds_feedback", f"{card['uuid']}:overridden"),
    ]


def test_requests_missing_the_specs_required_fields_are_refused_naming_them(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.headers["clinician"]
    url = "/cds-services/plexcare-plexopathy-review"
    for missing in ("hook", "hookInstance", "context"):
        request: dict[str, Any] = {
            "hook": "patient-view",
            "hookInstance": "a1",
            "context": {"patientId": "p"},
        }
        request.pop(missing)
        answer = client.post(url, json=request, headers=headers)
        assert answer.status_code == 422
        assert missing in {e["field"] for e in answer.json()["errors"]}
    wrong_hook = client.post(
        url,
        json={"hook": "order-sign", "hookInstance": "a1", "context": {"patientId": "p"}},
        headers=headers,
    )
    assert (wrong_hook.status_code, wrong_hook.json()["errors"][0]["field"]) == (422, "hook")
    feedback = client.post(
        f"{url}/feedback",
        json={"feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "t"}]},
        headers=headers,
    )
    assert feedback.status_code == 422


def test_without_the_prefetch_the_service_answers_412(ehr: Ehr, kb: KnowledgeBase) -> None:
    status, answer = ehr.call(
        ehr.discover()["patient-view"], record_of(example("cidp"), kb), with_prefetch=False
    )
    assert status == 412
    assert answer["errors"][0]["field"] == "prefetch.patient"


def test_a_prefetch_with_an_invalid_resource_is_422_naming_it(ehr: Ehr, kb: KnowledgeBase) -> None:
    record = record_of(example("cidp"), kb)
    record.patient["gender"] = "xyz"
    status, answer = ehr.call(ehr.discover()["patient-view"], record)
    assert status == 422
    assert "gender" in answer["errors"][0]["field"]


def test_roles_as_in_the_json_api(
    client: TestClient, personas: Personas, kb: KnowledgeBase
) -> None:
    service = Ehr(client, {}).discover()
    record = record_of(example("cidp"), kb)
    assert Ehr(client, {}).call(service["patient-view"], record)[0] == 401
    assert (
        Ehr(client, personas.headers["patient_a"]).call(service["patient-view"], record)[0] == 403
    )
    assert (
        Ehr(client, personas.headers["front_desk"]).call(service["patient-view"], record)[0] == 403
    )
    assert (
        Ehr(client, personas.headers["front_desk"]).call(service["appointment-book"], record)[0]
        == 200
    )


def test_an_invalid_proposed_appointment_is_422_naming_it(
    client: TestClient, personas: Personas, kb: KnowledgeBase
) -> None:
    desk = Ehr(client, personas.headers["front_desk"])
    broken = {"resourceType": "Appointment", "status": "someday", "participant": []}
    context = {
        "appointments": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": broken}],
        }
    }
    status, answer = desk.call(
        desk.discover()["appointment-book"], record_of(example("cidp"), kb), context=context
    )
    assert status == 422
    assert answer["errors"][0]["field"].startswith("context.appointments")
