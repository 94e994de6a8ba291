"""Cards from the engine's answer, per CDS Hooks 2.0. Pure: the assessment (its JSON form), the
hook instance (card ids derive from it, so feedback can name a card) and what the clinic offers
come in; cards go out.

- Red flags: one card each, critical when the patient needs the emergency department or to be
  seen today, warning when urgent; they are shown whatever the ranking says.
- The differential (patient-view): only when the record holds enough findings to say
  something; otherwise no card, since a near-flat ranking would only mislead.
- Appointment advice (appointment-book): the appointment type the work-up calls for and how
  soon, as an update to the proposed appointment.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from plexcare.cds_hooks.schemas import Action, Card, Indicator, Link, Source, Suggestion
from plexcare.fhir import codes
from plexcare.fhir.assessment_export import PRIORITY

ENOUGH_FINDINGS = 4
"""Fewer findings than this and the differential is not shown: the engine's answer is then
mostly its prior (it says so itself), which is no help at the bedside."""
SUMMARY_LIMIT = 140
INDICATOR: dict[str, Indicator] = {
    "emergency": "critical",
    "same_day": "critical",
    "urgent": "warning",
    "routine": "info",
}
URGENCY_ORDER = ("emergency", "same_day", "urgent", "routine")
HOW_SOON = {
    "emergency": "Do not book a clinic visit: this needs the emergency department now.",
    "same_day": "Needs to be seen today.",
    "urgent": "Book the earliest slot.",
    "routine": "A routine appointment is fine.",
}
NAMESPACE = uuid.UUID("0f3c2b0e-8d44-4c0b-a1f5-7a1e2f9d6c31")
SOURCE = Source(
    label="plexcare decision support",
    topic={"system": codes.ASSESSMENT, "code": "plexcare_engine", "display": "plexcare"},
)


def fit(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """A summary within the spec's limit, cut at a word with an ellipsis if it must be."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def card_id(instance: str, what: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{instance}/{what}"))


def urgency_of(assessment: Mapping[str, Any]) -> str:
    levels = {str(flag.get("urgency")) for flag in assessment.get("red_flags") or []}
    return next((level for level in URGENCY_ORDER if level in levels), "routine")


def service_request(item: Mapping[str, Any], patient: str) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "priority": PRIORITY.get(str(item.get("priority")), "routine"),
        "code": codes.concept(
            codes.coding(codes.TEST, str(item["test"]), str(item["name"])), text=str(item["name"])
        ),
        "subject": {"reference": patient},
        "reasonCode": [{"text": str(item.get("reason") or item["name"])}],
    }


def _order(item: Mapping[str, Any], patient: str, instance: str) -> Suggestion:
    return Suggestion(
        label=fit(f"Order: {item['name']}", 200),
        uuid=card_id(instance, f"order/{item['test']}"),
        isRecommended=True,
        actions=[
            Action(
                type="create",
                description=f"Propose {item['name']}",
                resource=service_request(item, patient),
            )
        ],
    )


def red_flag_cards(assessment: Mapping[str, Any], *, patient: str, instance: str) -> list[Card]:
    cards = []
    workup = list(assessment.get("workup") or [])
    for flag in assessment.get("red_flags") or []:
        urgency = str(flag.get("urgency"))
        concerns = set(flag.get("concerns") or [])
        matching = [w for w in workup if concerns & set(w.get("for_causes") or [])]
        suggestions = [_order(matching[0], patient, instance)] if matching else []
        concern_text = ", ".join(sorted(concerns)).replace("_", " ")
        cards.append(
            Card(
                uuid=card_id(instance, f"flag/{flag.get('feature')}"),
                summary=fit(f"Red flag: {flag.get('reason', '')}"),
                detail="\n\n".join(
                    part
                    for part in (
                        str(flag.get("finding", "")),
                        f"Consider: {concern_text}." if concern_text else "",
                        HOW_SOON.get(urgency, ""),
                    )
                    if part
                ),
                indicator=INDICATOR.get(urgency, "warning"),
                source=SOURCE,
                suggestions=suggestions,
                selectionBehavior="at-most-one" if suggestions else None,
            )
        )
    return cards


def differential_card(
    assessment: Mapping[str, Any], *, patient: str, instance: str, launch_url: str | None
) -> Card | None:
    sites = list(assessment.get("localization") or [])
    causes = list(assessment.get("etiology") or [])
    if not sites or not causes or int(assessment.get("findings_used") or 0) < ENOUGH_FINDINGS:
        return None
    site, cause = sites[0], causes[0]
    summary = fit(
        f"Likely site: {site['label']} ({site['probability']:.0%}); "
        f"likely cause: {cause['name']} ({cause['probability']:.0%})"
    )
    lines = ["**Where** (decision support, not a diagnosis):"]
    lines += [f"- {s['label']}: {s['probability']:.0%}" for s in sites[:3]]
    lines += ["", "**What causes it:**"]
    lines += [
        f"- {c['name']}: {c['probability']:.0%} — {c.get('explanation', '')}" for c in causes[:3]
    ]
    next_tests = list(assessment.get("next_tests") or [])
    if next_tests:
        lines += ["", f"**Next test:** {next_tests[0]['name']} — {next_tests[0].get('reason', '')}"]
    workup = list(assessment.get("workup") or [])
    suggestions = [_order(workup[0], patient, instance)] if workup else []
    links = []
    if launch_url:
        links.append(Link(label="Open the evaluation in plexcare", url=launch_url, type="smart"))
    return Card(
        uuid=card_id(instance, "differential"),
        summary=summary,
        detail="\n".join(lines),
        indicator="info",
        source=SOURCE,
        suggestions=suggestions,
        selectionBehavior="at-most-one" if suggestions else None,
        links=links,
    )


def booking_card(
    assessment: Mapping[str, Any],
    *,
    instance: str,
    proposed: Mapping[str, Any] | None,
    offered: Sequence[tuple[str, str]],
) -> Card:
    """The appointment type and urgency. A type the clinic offers under the code of a work-up
    test (a nerve conduction and EMG study) is suggested when the work-up asks for it."""
    urgency = urgency_of(assessment)
    names = dict(offered)
    wanted = next(
        (str(w["test"]) for w in assessment.get("workup") or [] if str(w["test"]) in names), None
    )
    current = None
    if proposed is not None:
        for concept in proposed.get("serviceType") or []:
            current = codes.code_in(concept, codes.APPOINTMENT_TYPE) or current
    suggestions: list[Suggestion] = []
    if wanted is not None and wanted != current and proposed is not None and urgency != "emergency":
        updated = {
            **proposed,
            "serviceType": [
                codes.concept(
                    codes.coding(codes.APPOINTMENT_TYPE, wanted, names[wanted]), text=names[wanted]
                )
            ],
        }
        suggestions.append(
            Suggestion(
                label=fit(f"Book {names[wanted]} instead", 200),
                uuid=card_id(instance, f"type/{wanted}"),
                isRecommended=True,
                actions=[
                    Action(
                        type="update",
                        description=f"Change the appointment type to {names[wanted]}",
                        resource=updated,
                    )
                ],
            )
        )
    what = names.get(wanted or "", "") if wanted else ""
    summary = HOW_SOON[urgency]
    if what and urgency != "emergency":
        summary = f"Book: {what}. {summary}"
    reasons = [
        str(flag.get("patient_reason") or flag.get("reason", ""))
        for flag in assessment.get("red_flags") or []
    ]
    return Card(
        uuid=card_id(instance, "booking"),
        summary=fit(summary),
        detail="\n".join(f"- {reason}" for reason in reasons) or None,
        indicator=INDICATOR[urgency],
        source=SOURCE,
        suggestions=suggestions,
        selectionBehavior="at-most-one" if suggestions else None,
    )
