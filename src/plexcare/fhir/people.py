"""Patient and Practitioner resources from what the clinic knows of a person. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plexcare.fhir import codes

GENDERS = ("male", "female", "other", "unknown")
"""FHIR administrative gender; the models accept any word, so we check it ourselves."""


@dataclass(frozen=True)
class PatientFacts:
    id: str
    name: str
    gender: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class PractitionerFacts:
    id: str
    name: str
    specialty: str | None = None


def _human_name(name: str) -> dict[str, Any]:
    parts = name.split()
    found: dict[str, Any] = {"text": name}
    if len(parts) >= 2 and parts[0].rstrip(".").lower() in ("dr", "prof"):
        found["prefix"] = [parts[0]]
        parts = parts[1:]
    if parts:
        found["family"] = parts[-1]
        if len(parts) > 1:
            found["given"] = parts[:-1]
    return found


def patient_resource(facts: PatientFacts) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": facts.id,
        "identifier": [{"system": codes.PATIENT_ID, "value": facts.id}],
        "active": True,
        "name": [_human_name(facts.name)],
    }
    if facts.gender is not None:
        resource["gender"] = facts.gender if facts.gender in GENDERS else "unknown"
    telecom = []
    if facts.email:
        telecom.append({"system": "email", "value": facts.email})
    if facts.phone:
        telecom.append({"system": "phone", "value": facts.phone})
    if telecom:
        resource["telecom"] = telecom
    return resource


def practitioner_resource(facts: PractitionerFacts) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": facts.id,
        "active": True,
        "name": [_human_name(facts.name)],
    }
    if facts.specialty:
        resource["qualification"] = [
            {
                "code": codes.concept(
                    codes.coding(codes.SPECIALTY, facts.specialty),
                    text=facts.specialty.replace("_", " "),
                )
            }
        ]
    return resource
