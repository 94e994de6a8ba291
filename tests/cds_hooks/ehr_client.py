"""A small CDS Hooks client that calls plexcare the way an EHR does: it discovers the services,
fills each service's prefetch templates from its own record of the patient, sends the hook with
a fresh hookInstance, checks the answer against the spec's required fields, and sends feedback.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

INDICATORS = {"info", "warning", "critical"}
ACTION_TYPES = {"create", "update", "delete"}
LINK_TYPES = {"absolute", "smart"}


@dataclass
class EhrRecord:
    """What the EHR holds on one patient: resources by type."""

    patient: dict[str, Any]
    resources: list[dict[str, Any]] = field(default_factory=list)

    def search(self, kind: str) -> dict[str, Any]:
        found = [r for r in self.resources if r["resourceType"] == kind]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r} for r in found],
        }


def check_card(card: dict[str, Any]) -> None:
    """The spec's rules for a card (CDS Hooks 2.0, "Card Attributes")."""
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) <= 140, card["summary"]
    assert card["indicator"] in INDICATORS
    assert card["source"]["label"]
    assert isinstance(card["uuid"], str) and uuid.UUID(card["uuid"])
    if card.get("suggestions"):
        assert card["selectionBehavior"] in {"at-most-one", "any"}
    for suggestion in card.get("suggestions", []):
        assert suggestion["label"]
        for action in suggestion.get("actions", []):
            assert action["type"] in ACTION_TYPES
            assert action["description"]
    for link in card.get("links", []):
        assert link["label"] and link["url"] and link["type"] in LINK_TYPES


class Ehr:
    def __init__(self, http: TestClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    def discover(self) -> dict[str, dict[str, Any]]:
        answer = self.http.get("/cds-services")
        assert answer.status_code == 200
        services = answer.json()["services"]
        for service in services:
            assert service["hook"] and service["description"] and service["id"]
        return {service["hook"]: service for service in services}

    def prefetch(self, service: dict[str, Any], record: EhrRecord) -> dict[str, Any]:
        """Fill each template: `Patient/{{context.patientId}}` is the patient, `Kind?patient=…`
        a search of the record."""
        filled: dict[str, Any] = {}
        for key, template in service.get("prefetch", {}).items():
            query = template.replace("{{context.patientId}}", record.patient["id"])
            if query == f"Patient/{record.patient['id']}":
                filled[key] = record.patient
            else:
                kind = re.match(r"^([A-Za-z]+)\?", query)
                assert kind is not None, template
                filled[key] = record.search(kind.group(1))
        return filled

    def call(
        self,
        service: dict[str, Any],
        record: EhrRecord,
        *,
        context: dict[str, Any] | None = None,
        with_prefetch: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        request: dict[str, Any] = {
            "hook": service["hook"],
            "hookInstance": str(uuid.uuid4()),
            "fhirServer": "https://ehr.example.org/fhir",
            "context": {
                "userId": "Practitioner/ehr-7",
                "patientId": record.patient["id"],
                **(context or {}),
            },
        }
        if with_prefetch:
            request["prefetch"] = self.prefetch(service, record)
        answer = self.http.post(
            f"/cds-services/{service['id']}", json=request, headers=self.headers
        )
        body = answer.json()
        if answer.status_code == 200:
            assert set(body) <= {"cards", "systemActions"}
            for card in body["cards"]:
                check_card(card)
        return answer.status_code, body

    def feedback(self, service: dict[str, Any], card: dict[str, Any], outcome: str) -> int:
        item: dict[str, Any] = {
            "card": card["uuid"],
            "outcome": outcome,
            "outcomeTimestamp": "2026-03-02T08:05:00Z",
        }
        if outcome == "accepted" and card.get("suggestions"):
            item["acceptedSuggestions"] = [{"id": card["suggestions"][0]["uuid"]}]
        if outcome == "overridden":
            item["overrideReason"] = {"userComment": "seen in clinic already"}
        answer = self.http.post(
            f"/cds-services/{service['id']}/feedback",
            json={"feedback": [item]},
            headers=self.headers,
        )
        return answer.status_code
