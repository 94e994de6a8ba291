"""SMART App Launch from a simulated EHR: the clinician's case form opens with the EHR's record
of the patient as a draft, passed by a random id; the EHR's authorization is checked (state,
PKCE) and never replayable; untrusted EHRs and other clinicians get nothing."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.case_drafts.models import CaseDraft, SmartLaunch
from plexcare.config import get_settings
from plexcare.engine import Case
from plexcare.fhir import smart_routes
from plexcare.fhir.bundle import case_bundle
from plexcare.fhir.people import PatientFacts
from plexcare.fhir.smart import EhrUnreachable
from plexcare.knowledge.model import KnowledgeBase
from tests.conftest_db import SmallClinic
from tests.portal.forms import ON_SQLITE, sign_in

pytestmark = ON_SQLITE
EHR = "https://ehr.example.org/fhir"


class SimulatedEhr:
    """The EHR's side of SMART: its configuration, an authorization server that issues one
    code bound to a PKCE challenge, and a FHIR server holding one patient's record."""

    def __init__(self, case: Case, kb: KnowledgeBase) -> None:
        bundle = case_bundle(
            case=case,
            assessment=None,
            kb=kb,
            patient=PatientFacts(id="ehr-42", name="Pat Example"),
            practitioner=None,
            issued="2026-03-02T08:00:00Z",
        )
        self.patient = bundle["entry"][0]["resource"]
        self.resources = [entry["resource"] for entry in bundle["entry"][1:]]
        self.challenge = ""
        self.code = "code-1"
        self.calls: list[str] = []

    def authorize(self, url: str) -> str:
        """The clinician approves at the EHR: the browser is sent back with a code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query["code_challenge_method"] == "S256"
        assert query["aud"] == EHR
        self.challenge = query["code_challenge"]
        return f"{query['redirect_uri']}?code={self.code}&state={query['state']}"

    def get_json(self, url: str, *, bearer: str | None = None) -> dict[str, Any]:
        self.calls.append(url)
        if url == f"{EHR}/.well-known/smart-configuration":
            return {
                "authorization_endpoint": "https://ehr.example.org/authorize",
                "token_endpoint": "https://ehr.example.org/token",
            }
        assert bearer == "ehr-access-token"
        if url == f"{EHR}/Patient/ehr-42":
            return self.patient
        kind = url.removeprefix(f"{EHR}/").split("?")[0]
        found = [r for r in self.resources if r["resourceType"] == kind]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in found],
        }

    def post_form(self, url: str, form: Mapping[str, str]) -> dict[str, Any]:
        assert url == "https://ehr.example.org/token"
        digest = hashlib.sha256(form["code_verifier"].encode()).digest()
        if (
            form["code"] != self.code
            or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != self.challenge
        ):
            raise EhrUnreachable("the EHR refused the code")
        return {
            "access_token": "ehr-access-token",
            "token_type": "Bearer",
            "patient": "ehr-42",
            "scope": "launch",
        }


def example_case() -> Case:
    return Case.model_validate(
        yaml.safe_load(Path("examples/cases/l5_radiculopathy.yaml").read_text())
    )


@pytest.fixture
def ehr(
    client: TestClient, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SimulatedEhr]:
    simulated = SimulatedEhr(example_case(), kb)
    client.app.state.ehr_connection = simulated  # type: ignore[attr-defined]
    settings = get_settings().model_copy(update={"smart_issuers": (EHR,)})
    monkeypatch.setattr(smart_routes, "get_settings", lambda: settings)
    yield simulated


def _return_from_the_ehr(client: TestClient, ehr: SimulatedEhr) -> str:
    """A clinician signs in and launches from the EHR; the URL the EHR sends them back to."""
    sign_in(client, "dr.okafor@clinic.example")
    authorize = client.get(
        "/smart/launch", params={"iss": EHR, "launch": "l1"}, follow_redirects=False
    ).headers["location"]
    return ehr.authorize(authorize)


def test_an_ehr_launch_opens_the_case_form_with_the_patients_record_as_a_draft(
    client: TestClient, ehr: SimulatedEhr, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    to_ehr = client.get(
        "/smart/launch", params={"iss": EHR, "launch": "xyz123"}, follow_redirects=False
    )
    assert to_ehr.status_code == 303
    authorize = to_ehr.headers["location"]
    assert authorize.startswith("https://ehr.example.org/authorize?")
    assert parse_qs(urlsplit(authorize).query)["launch"] == ["xyz123"]
    back = client.get(ehr.authorize(authorize), follow_redirects=False)
    assert back.status_code == 303, back.text
    location = back.headers["location"]
    assert location.startswith("/clinic/cases/new?draft=")
    assert "ehr-42" not in location and "Pat" not in location
    draft_id = location.split("=", 1)[1]
    session.expire_all()
    draft = session.get(CaseDraft, draft_id)
    assert draft is not None
    assert Case.model_validate(draft.case_data) == example_case().model_copy(update={"id": None})
    assert (draft.ehr_patient, draft.patient_name, draft.source) == ("ehr-42", "Pat Example", EHR)
    assert session.scalars(select(SmartLaunch)).all() == []
    created = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "case_draft")
    ).all()
    assert [row.action for row in created] == ["create"]


def test_a_replayed_or_forged_return_is_refused(
    client: TestClient, ehr: SimulatedEhr, small_clinic: SmallClinic
) -> None:
    back = _return_from_the_ehr(client, ehr)
    assert client.get(back, follow_redirects=False).status_code == 303
    again = client.get(back, follow_redirects=False)
    assert again.status_code == 404
    assert "launch again from the EHR" in again.text
    forged = client.get(
        "/smart/callback", params={"code": "code-1", "state": "guessed"}, follow_redirects=False
    )
    assert forged.status_code == 404


def test_a_wrong_pkce_verifier_gets_no_record(
    client: TestClient, ehr: SimulatedEhr, small_clinic: SmallClinic
) -> None:
    back = _return_from_the_ehr(client, ehr)
    ehr.challenge = "someone-elses-challenge"
    refused = client.get(back, follow_redirects=False)
    assert refused.status_code == 502
    assert not any("/Patient/" in call for call in ehr.calls)


def test_an_untrusted_ehr_is_refused_before_anything_is_sent(
    client: TestClient, ehr: SimulatedEhr, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    refused = client.get(
        "/smart/launch",
        params={"iss": "https://evil.example/fhir", "launch": "l"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "not one the clinic has connected" in refused.text
    assert ehr.calls == []


def test_standalone_launch_asks_the_ehr_to_choose_the_patient(
    client: TestClient, ehr: SimulatedEhr, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    authorize = client.get("/smart/launch", params={"iss": EHR}, follow_redirects=False).headers[
        "location"
    ]
    query = parse_qs(urlsplit(authorize).query)
    assert "launch" not in query
    assert "launch/patient" in query["scope"][0].split()


def test_without_an_ehr_the_launch_falls_back_to_the_blank_case_form(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    answer = client.get("/smart/launch", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/clinic/cases/new")


def test_only_clinicians_launch(
    client: TestClient, ehr: SimulatedEhr, small_clinic: SmallClinic
) -> None:
    anonymous = client.get(
        "/smart/launch", params={"iss": EHR, "launch": "l"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    sign_in(client, "desk@clinic.example")
    assert (
        client.get(
            "/smart/launch", params={"iss": EHR, "launch": "l"}, follow_redirects=False
        ).status_code
        == 403
    )
    assert ehr.calls == []
