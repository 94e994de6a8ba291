"""The server's CapabilityStatement (`GET /fhir/metadata`): what a client may ask of `/fhir`."""

from __future__ import annotations

from typing import Any

from plexcare import __version__
from plexcare.fhir import codes

SEARCH_PARAMS: dict[str, list[tuple[str, str]]] = {
    "Patient": [("name", "string"), ("email", "token")],
    "Practitioner": [("name", "string"), ("specialty", "token")],
    "Schedule": [("actor", "reference")],
    "Slot": [
        ("schedule", "reference"),
        ("start", "date"),
        ("status", "token"),
        ("service-type", "token"),
    ],
    "Appointment": [
        ("patient", "reference"),
        ("practitioner", "reference"),
        ("status", "token"),
        ("date", "date"),
    ],
}

SECURITY = (
    "Bearer tokens from POST /api/v1/auth/token; the same roles as the JSON API. "
    "Slots, schedules, practitioners and this statement are public."
)


def capability_statement(*, base_url: str, date: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for kind, params in SEARCH_PARAMS.items():
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if kind == "Appointment":
            interactions.append({"code": "create"})
        entry: dict[str, Any] = {
            "type": kind,
            "interaction": interactions,
            "searchParam": [{"name": name, "type": kind_of} for name, kind_of in params],
        }
        if kind == "Appointment":
            entry["operation"] = [
                {
                    "name": name,
                    "definition": f"{codes.PLEXCARE}/OperationDefinition/appointment-{name}",
                }
                for name in ("find", "hold", "book")
            ]
        if kind == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "plexcare",
        "kind": "instance",
        "software": {"name": "plexcare", "version": __version__},
        "implementation": {"description": "plexcare FHIR R4 endpoint", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": SECURITY,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                },
                "resource": resources,
            }
        ],
    }
