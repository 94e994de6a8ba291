"""The engine's answer as FHIR resources: the leading cause as a provisional Condition, the
ranked differential (causes and sites) as RiskAssessments, the work-up as ServiceRequests and
the treatment plan as a CarePlan. Pure: reads the assessment's JSON form (`Assessment.to_dict`,
which is also what a stored case version keeps), so a stored answer is exported as the
clinician saw it, not recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plexcare.fhir import codes
from plexcare.fhir.elements import ResourceList
from plexcare.knowledge.model import KnowledgeBase

PRIORITY = {"emergency": "stat", "same_day": "asap", "urgent": "urgent", "routine": "routine"}
"""Our urgency words as FHIR request priorities."""
DIFFERENTIAL_SIZE = 8
PLAN_GROUPS = ("cause_directed", "pain", "rehabilitation", "supportive", "referrals")


def disorder_concept(
    kb: KnowledgeBase, disorder: str, name: str, *, diabetes: str | None
) -> dict[str, Any]:
    """Our disorder code with the ICD-10-CM and SNOMED CT codes the knowledge base gives."""
    standard = []
    if diabetes in ("type1", "type2"):
        standard = codes.standard_codings(kb, f"disorder.{disorder}.{diabetes}")
    if not standard:
        standard = codes.standard_codings(kb, f"disorder.{disorder}")
    return codes.concept(*standard, codes.coding(codes.DISORDER, disorder, name), text=name)


def write_assessment(
    *,
    assessment: Mapping[str, Any],
    kb: KnowledgeBase,
    patient: str,
    practitioner: str | None,
    basis: Sequence[str],
    diabetes: str | None,
    side: str | None,
    issued: str,
    out: ResourceList,
) -> dict[str, list[str]]:
    """Add the assessment's resources to `out`; the references by resource type."""
    written: dict[str, list[str]] = {}

    def add(resource: dict[str, Any]) -> None:
        written.setdefault(str(resource["resourceType"]), []).append(out.add(resource))

    causes = list(assessment.get("etiology") or [])
    method = codes.concept(
        codes.coding(codes.ASSESSMENT, "plexcare_engine", "plexcare decision support"),
        text=f"plexcare engine, knowledge base {assessment.get('kb_version', '')}",
    )
    if causes:
        leader = causes[0]
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "clinicalStatus": codes.concept(codes.coding(codes.CONDITION_CLINICAL, "active")),
            "verificationStatus": codes.concept(
                codes.coding(codes.CONDITION_VERIFICATION, "provisional")
            ),
            "category": [
                codes.concept(codes.coding(codes.CONDITION_CATEGORY, "encounter-diagnosis"))
            ],
            "code": disorder_concept(
                kb, str(leader["disorder"]), str(leader["name"]), diabetes=diabetes
            ),
            "subject": {"reference": patient},
            "recordedDate": issued,
            "note": [
                {"text": f"Decision support, not a diagnosis: {leader.get('explanation', '')}"}
            ],
        }
        if side is not None:
            condition["bodySite"] = [
                codes.concept(*codes.standard_codings(kb, f"laterality.{side}"), text=f"{side} leg")
            ]
        if practitioner is not None:
            condition["asserter"] = {"reference": practitioner}
        if basis:
            condition["evidence"] = [{"detail": [{"reference": ref} for ref in basis]}]
        add(condition)
        add(
            _risk(
                patient=patient,
                issued=issued,
                method=method,
                basis=basis,
                text="Ranked causes",
                code=codes.concept(codes.coding(codes.ASSESSMENT, "cause"), text="cause"),
                predictions=[
                    {
                        "outcome": disorder_concept(
                            kb, str(c["disorder"]), str(c["name"]), diabetes=diabetes
                        ),
                        "probabilityDecimal": float(c["probability"]),
                        "rationale": str(c.get("explanation", "")) or None,
                    }
                    for c in causes[:DIFFERENTIAL_SIZE]
                ],
            )
        )
    sites = list(assessment.get("localization") or [])
    if sites:
        add(
            _risk(
                patient=patient,
                issued=issued,
                method=method,
                basis=basis,
                text="Where the lesion is",
                code=codes.concept(codes.coding(codes.ASSESSMENT, "site"), text="lesion site"),
                predictions=[
                    {
                        "outcome": codes.concept(
                            codes.coding(codes.LESION_SITE, str(s["key"]), str(s["label"])),
                            text=str(s["label"]),
                        ),
                        "probabilityDecimal": float(s["probability"]),
                    }
                    for s in sites[:DIFFERENTIAL_SIZE]
                ],
            )
        )
    for item in assessment.get("workup") or []:
        request: dict[str, Any] = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "priority": PRIORITY.get(str(item.get("priority")), "routine"),
            "code": codes.concept(
                codes.coding(codes.TEST, str(item["test"]), str(item["name"])),
                text=str(item["name"]),
            ),
            "subject": {"reference": patient},
            "authoredOn": issued,
            "reasonCode": [{"text": str(item.get("reason") or item["name"])}],
        }
        if item.get("timing"):
            request["note"] = [{"text": f"When: {item['timing']}"}]
        add(request)
    plan = assessment.get("plan") or {}
    activities = [_activity(item) for group in PLAN_GROUPS for item in plan.get(group) or []] + [
        {
            "detail": {
                "status": "scheduled",
                "description": f"Follow-up {v.get('when', '')}: {v.get('what', '')}",
            }
        }
        for v in plan.get("follow_up") or []
    ]
    if activities:
        care_plan: dict[str, Any] = {
            "resourceType": "CarePlan",
            "status": "draft",
            "intent": "proposal",
            "title": "Treatment plan (decision support, for the clinician to confirm)",
            "subject": {"reference": patient},
            "created": issued,
            "activity": activities,
        }
        if practitioner is not None:
            care_plan["author"] = {"reference": practitioner}
        if "Condition" in written:
            care_plan["addresses"] = [{"reference": written["Condition"][0]}]
        add(care_plan)
    return written


def _risk(
    *,
    patient: str,
    issued: str,
    method: dict[str, Any],
    basis: Sequence[str],
    text: str,
    code: dict[str, Any],
    predictions: list[dict[str, Any]],
) -> dict[str, Any]:
    risk: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "preliminary",
        "subject": {"reference": patient},
        "occurrenceDateTime": issued,
        "method": method,
        "code": code,
        "prediction": [{k: v for k, v in p.items() if v is not None} for p in predictions],
        "note": [{"text": f"{text}: decision support for the clinician, not a diagnosis."}],
    }
    if basis:
        risk["basis"] = [{"reference": ref} for ref in basis]
    return risk


def _activity(item: Mapping[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "code": codes.concept(
            codes.coding(codes.TREATMENT, str(item["treatment"]), str(item["name"])),
            text=str(item["name"]),
        ),
        "status": "not-started",
        "description": str(item.get("why") or item["name"]),
    }
    if item.get("contraindicated"):
        # Kept and marked, as on the clinician's page: the plan shows what not to give.
        detail["doNotPerform"] = True
    return {"detail": detail}
