"""An EHR's record of a patient (a CDS Hooks prefetch, or what a SMART launch read) as a case.

The Patient, its Conditions and Observations are put into one Bundle and read by
`fhir.case_import`, so a case built inside an EHR goes through exactly the reader a FHIR upload
does. Pure: the date that turns a birth date into an age comes in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from plexcare.engine.case import Case
from plexcare.errors import InvalidInput, ServiceError
from plexcare.fhir.case_import import BundleError, case_from_bundle
from plexcare.fhir.conformance import NotConformant
from plexcare.knowledge.model import KnowledgeBase


class PrefetchMissing(ServiceError):
    """CDS Hooks: without the data it needs and no way to fetch it, a service answers 412."""

    status = 412
    title = "Precondition failed"


def prefetch_bundle(
    prefetch: Mapping[str, Any] | None, context: Mapping[str, Any]
) -> dict[str, Any]:
    """One collection Bundle of every resource in the prefetch (searchset Bundles unpacked)."""
    if not prefetch or not isinstance(prefetch.get("patient"), Mapping):
        raise PrefetchMissing(
            "send the prefetch this service lists (at least the patient)", field="prefetch.patient"
        )
    patient = prefetch["patient"]
    wanted = str(context.get("patientId") or "")
    if wanted and str(patient.get("id") or wanted) != wanted:
        raise InvalidInput(
            "the prefetched patient is not context.patientId", field="prefetch.patient.id"
        )
    entries: list[dict[str, Any]] = [{"resource": dict(patient)}]
    for key, value in prefetch.items():
        if key == "patient" or not isinstance(value, Mapping):
            continue
        if value.get("resourceType") == "Bundle":
            entries.extend(
                {"resource": dict(entry["resource"])}
                for entry in value.get("entry") or []
                if isinstance(entry, Mapping) and isinstance(entry.get("resource"), Mapping)
            )
        elif "resourceType" in value:
            entries.append({"resource": dict(value)})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def case_from_prefetch(
    prefetch: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    kb: KnowledgeBase,
    *,
    today: date,
) -> Case:
    bundle = prefetch_bundle(prefetch, context)
    try:
        return case_from_bundle(bundle, kb, today=today)
    except NotConformant as error:
        problem = error.problems[0]
        raise InvalidInput(problem.message, field=f"prefetch: {problem.location}") from error
    except BundleError as error:
        raise InvalidInput(error.message, field=f"prefetch: {error.location}") from error
