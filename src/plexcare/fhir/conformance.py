"""Is a resource valid FHIR R4? The structure is checked by fhir.resources' R4B models
(cardinality, types, required elements); the codes of the value sets we rely on are checked
here, because those models accept any word where R4 binds a required value set
(`gender="xyz"` passes them).

Every resource the service emits passes `check_resource` in the tests; the `/fhir` routes run
what a client sends through it before reading it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

# The value sets that several resources bind (R4 names them so): one definition each.
ADMINISTRATIVE_GENDER = frozenset({"male", "female", "other", "unknown"})
OBSERVATION_STATUS = frozenset(
    {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
"""ObservationStatus, bound by Observation.status and RiskAssessment.status."""
REQUEST_STATUS = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
"""RequestStatus, bound by ServiceRequest.status and CarePlan.status."""
REQUIRED_CODES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "Patient": {"gender": ADMINISTRATIVE_GENDER},
    "Practitioner": {"gender": ADMINISTRATIVE_GENDER},
    "Observation": {"status": OBSERVATION_STATUS},
    "DiagnosticReport": {
        "status": frozenset(
            {
                "registered",
                "partial",
                "preliminary",
                "final",
                "amended",
                "corrected",
                "appended",
                "cancelled",
                "entered-in-error",
                "unknown",
            }
        )
    },
    "ServiceRequest": {
        "status": REQUEST_STATUS,
        "intent": frozenset(
            {
                "proposal",
                "plan",
                "directive",
                "order",
                "original-order",
                "reflex-order",
                "filler-order",
                "instance-order",
                "option",
            }
        ),
        "priority": frozenset({"routine", "urgent", "asap", "stat"}),
    },
    "CarePlan": {
        "status": REQUEST_STATUS,
        "intent": frozenset({"proposal", "plan", "order", "option"}),
    },
    "RiskAssessment": {"status": OBSERVATION_STATUS},
    "Appointment": {
        "status": frozenset(
            {
                "proposed",
                "pending",
                "booked",
                "arrived",
                "fulfilled",
                "cancelled",
                "noshow",
                "entered-in-error",
                "checked-in",
                "waitlist",
            }
        )
    },
    "Slot": {
        "status": frozenset(
            {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
        )
    },
    "Bundle": {
        "type": frozenset(
            {
                "document",
                "message",
                "transaction",
                "transaction-response",
                "batch",
                "batch-response",
                "history",
                "searchset",
                "collection",
            }
        )
    },
    "CapabilityStatement": {
        "status": frozenset({"draft", "active", "retired", "unknown"}),
        "kind": frozenset({"instance", "capability", "requirements"}),
    },
}
CONDITION_CLINICAL = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)
CONDITION_VERIFICATION = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)
PARTICIPANT_STATUS = frozenset({"accepted", "declined", "tentative", "needs-action"})
ISSUE_SEVERITY = frozenset({"fatal", "error", "warning", "information"})


@dataclass(frozen=True)
class Problem:
    """One reason a resource is not valid: where (a FHIRPath-like location) and what."""

    location: str
    message: str


class NotConformant(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.location}: {p.message}" for p in problems))
        self.problems = problems


def _checked(resource: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The resource as the R4B model reads it (nulls dropped), or the problems found."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return None, [Problem("resourceType", "missing: say which kind of resource this is")]
    try:
        model = get_fhir_model_class(kind)
    except ValueError:
        return None, [Problem("resourceType", f"{kind!r} is not an R4 resource type")]
    inner = list(_inner_kind_problems(resource)) if kind == "Bundle" else []
    if inner:
        return None, inner
    try:
        parsed = model.model_validate(dict(resource))
    except ValidationError as error:
        return None, [
            Problem(f"{kind}." + ".".join(str(part) for part in detail["loc"]), detail["msg"])
            for detail in error.errors()
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # The models trip over some malformed input (a contained resource of no known type)
        # instead of reporting it; it is still the sender's mistake, not ours.
        return None, [Problem(kind, f"cannot be read as a {kind} ({type(error).__name__})")]
    normal: dict[str, Any] = json.loads(parsed.model_dump_json(exclude_none=True))
    return normal, list(_code_problems(kind, normal, kind))


def _inner_kind_problems(bundle: Mapping[str, Any]) -> Iterator[Problem]:
    """Each Bundle entry's resource must say a resource type we can look up."""
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or entry.get("resource") is None:
            continue
        resource = entry["resource"]
        where = f"Bundle.entry[{index}].resource"
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            yield Problem(f"{where}.resourceType", "say which kind of resource this is")
            continue
        try:
            get_fhir_model_class(str(resource["resourceType"]))
        except ValueError:
            yield Problem(
                f"{where}.resourceType", f"{resource['resourceType']!r} is not an R4 resource type"
            )


def problems_in(resource: Mapping[str, Any]) -> list[Problem]:
    """Every problem found in `resource` (and, for a Bundle, in each entry's resource)."""
    return _checked(resource)[1]


def conformant(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The resource as FHIR reads it, for code that reads what a client sent: explicit nulls
    are dropped (R4 has no null) and every element has its declared type, so a reader meets
    no surprises. Raises `NotConformant` listing every problem."""
    normal, problems = _checked(resource)
    if problems or normal is None:
        raise NotConformant(problems)
    return normal


def _code_problems(kind: str, resource: Mapping[str, Any], where: str) -> Iterator[Problem]:
    for name, allowed in REQUIRED_CODES.get(kind, {}).items():
        value = resource.get(name)
        if value is not None and value not in allowed:
            yield Problem(
                f"{where}.{name}", f"{value!r} is not one of {', '.join(sorted(allowed))}"
            )
    if kind == "Condition":
        yield from _status_codes(resource, "clinicalStatus", CONDITION_CLINICAL, where)
        yield from _status_codes(resource, "verificationStatus", CONDITION_VERIFICATION, where)
    if kind == "Appointment":
        for index, participant in enumerate(resource.get("participant") or []):
            status = participant.get("status")
            if status not in PARTICIPANT_STATUS:
                yield Problem(
                    f"{where}.participant[{index}].status",
                    f"{status!r} is not a participation status",
                )
    if kind == "RiskAssessment":
        for index, prediction in enumerate(resource.get("prediction") or []):
            probability = prediction.get("probabilityDecimal")
            if probability is not None and not 0.0 <= float(probability) <= 1.0:
                yield Problem(
                    f"{where}.prediction[{index}].probabilityDecimal", "must lie between 0 and 1"
                )
    if kind == "OperationOutcome":
        for index, issue in enumerate(resource.get("issue") or []):
            if issue.get("severity") not in ISSUE_SEVERITY:
                yield Problem(f"{where}.issue[{index}].severity", "not an issue severity")
    if kind == "Bundle":
        for index, entry in enumerate(resource.get("entry") or []):
            inner = entry.get("resource")
            if isinstance(inner, Mapping):
                inner_kind = str(inner.get("resourceType"))
                yield from _code_problems(inner_kind, inner, f"Bundle.entry[{index}].resource")


def _status_codes(
    resource: Mapping[str, Any], name: str, allowed: frozenset[str], where: str
) -> Iterator[Problem]:
    for coding in (resource.get(name) or {}).get("coding") or []:
        if coding.get("code") not in allowed:
            yield Problem(
                f"{where}.{name}",
                f"{coding.get('code')!r} is not one of {', '.join(sorted(allowed))}",
            )


def check_resource(resource: Mapping[str, Any]) -> None:
    """Raise `NotConformant` listing every problem, or return quietly."""
    problems = problems_in(resource)
    if problems:
        raise NotConformant(problems)
