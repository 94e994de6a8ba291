"""One patient's case and assessment as a FHIR R4 Bundle (type `collection`). Pure.

What goes in: the Patient and the clinician (Practitioner), every finding of the case
(`case_export`), a DiagnosticReport for the nerve conduction and EMG study and one for the
imaging, and the engine's answer (`assessment_export`). The same inputs always give the same
Bundle, ids included, so a re-export can be compared with the last one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plexcare.engine.case import Case
from plexcare.fhir import codes
from plexcare.fhir.assessment_export import write_assessment
from plexcare.fhir.case_export import CaseWriter
from plexcare.fhir.elements import ResourceList
from plexcare.fhir.people import (
    PatientFacts,
    PractitionerFacts,
    patient_resource,
    practitioner_resource,
)
from plexcare.knowledge.model import KnowledgeBase


def case_bundle(
    *,
    case: Case,
    assessment: Mapping[str, Any] | None,
    kb: KnowledgeBase,
    patient: PatientFacts,
    practitioner: PractitionerFacts | None,
    issued: str,
) -> dict[str, Any]:
    """The Bundle; `issued` (an ISO instant) stamps it, since the mapping has no clock."""
    seed = f"{patient.id}/{case.id or ''}/{issued}"
    out = ResourceList(seed=seed)
    subject = patient_resource(PatientFacts(**{**patient.__dict__, "gender": case.sex}))
    entries: list[tuple[str, dict[str, Any]]] = [(f"Patient/{patient.id}", subject)]
    patient_ref = f"Patient/{patient.id}"
    practitioner_ref = None
    if practitioner is not None:
        practitioner_ref = f"Practitioner/{practitioner.id}"
        entries.append((practitioner_ref, practitioner_resource(practitioner)))
    writer = CaseWriter(case=case, kb=kb, patient=patient_ref, out=out)
    writer.write()
    if writer.study_results:
        out.add(
            _report(
                patient=patient_ref,
                practitioner=practitioner_ref,
                service="EN",
                code=codes.concept(
                    *codes.standard_codings(kb, "procedure.emg"),
                    codes.coding(codes.TEST, "emg_ncs", "Nerve conduction study and EMG"),
                    text="Nerve conduction study and needle EMG",
                ),
                results=writer.study_results,
                issued=issued,
                effective=case.evaluated_on.isoformat() if case.evaluated_on else None,
            )
        )
    if writer.imaging_results:
        out.add(
            _report(
                patient=patient_ref,
                practitioner=practitioner_ref,
                service="RAD",
                code=codes.concept(
                    codes.coding(codes.TEST, "imaging", "Imaging"), text="Imaging findings"
                ),
                results=writer.imaging_results,
                issued=issued,
                effective=case.evaluated_on.isoformat() if case.evaluated_on else None,
            )
        )
    if assessment is not None:
        write_assessment(
            assessment=assessment,
            kb=kb,
            patient=patient_ref,
            practitioner=practitioner_ref,
            basis=writer.all_results,
            diabetes=case.history.diabetes,
            side=case.affected_side,
            issued=issued,
            out=out,
        )
    entries.extend(out.entries)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": issued,
        "entry": [{"fullUrl": _full_url(name), "resource": resource} for name, resource in entries],
    }
    if case.id is not None:
        bundle["identifier"] = {"system": codes.CASE_ID, "value": case.id}
    return bundle


def _full_url(name: str) -> str:
    return name if name.startswith("urn:") else f"{codes.PLEXCARE}/fhir/{name}"


def _report(
    *,
    patient: str,
    practitioner: str | None,
    service: str,
    code: dict[str, Any],
    results: list[str],
    issued: str,
    effective: str | None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "category": [codes.concept(codes.coding(codes.DIAGNOSTIC_SERVICE, service))],
        "code": code,
        "subject": {"reference": patient},
        "issued": issued,
        "result": [{"reference": ref} for ref in results],
    }
    if effective is not None:
        report["effectiveDateTime"] = effective
    if practitioner is not None:
        report["performer"] = [{"reference": practitioner}]
    return report
