"""The plan as the patient reads it: how soon, whom to see, what is planned, in plain words.

DESIGN.md's rule for patient-facing output is "urgency and whom to see, not diagnoses", so this
is built from a whitelist of the assessment's parts, never by removing parts from it: the
localization, the differential, the red-flag reasoning, the evidence and dosing stay with the
clinician. Plan items the engine marked contraindicated for this patient are left out, since
the patient must not read them as advice. Pure: a stored assessment in, a frozen plan out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plexcare.callbacks.queue_rules import EMERGENCY_ADVICE

URGENCY_ORDER = ("emergency", "same_day", "urgent", "routine")

WHAT_TO_DO_NOW = {
    "emergency": EMERGENCY_ADVICE,
    "same_day": (
        "You need to be seen today. If the clinic has not called you within a few hours, call "
        "us; if the clinic is closed, call NHS 111 or your GP's out-of-hours service now."
    ),
    "urgent": (
        "Your clinician needs to see you again within days, and some tests should be done "
        "soon. If the front desk has not called you within one working day, please call us."
    ),
    "routine": (
        "Follow the plan below and come to your follow-up visits. Contact us sooner if your "
        "weakness gets worse, or if you have new numbness between the legs or new trouble "
        "with your bladder or bowel."
    ),
}

PLAN_GROUPS = ("cause_directed", "pain", "rehabilitation", "supportive", "referrals")
GROUP_WORDS = {
    "cause_directed": "Treatment",
    "pain": "Pain relief",
    "rehabilitation": "Rehabilitation",
    "supportive": "Support",
    "referrals": "Referral",
}
WHO_FOR_GROUP = {
    "pain": "The pain medicine team",
    "rehabilitation": "A rehabilitation doctor and physiotherapist",
}


@dataclass(frozen=True)
class PlanLine:
    group: str
    name: str
    what_it_is: str


@dataclass(frozen=True)
class FollowUpLine:
    when: str
    what: str


@dataclass(frozen=True)
class PatientPlan:
    urgency: str
    what_to_do_now: str
    whom_to_see: tuple[str, ...]
    plan: tuple[PlanLine, ...]
    follow_up: tuple[FollowUpLine, ...]


def urgency_of(assessment: Mapping[str, Any]) -> str:
    """The most urgent red flag's urgency, or routine when no flag is raised."""
    levels = {str(flag.get("urgency")) for flag in assessment.get("red_flags") or []}
    return next((level for level in URGENCY_ORDER if level in levels), "routine")


def patient_plan(assessment: Mapping[str, Any]) -> PatientPlan:
    urgency = urgency_of(assessment)
    plan = assessment.get("plan") or {}
    lines: list[PlanLine] = []
    whom = ["Your neurologist"]
    for group in PLAN_GROUPS:
        for item in plan.get(group) or []:
            if item.get("contraindicated"):
                continue
            lines.append(
                PlanLine(
                    group=GROUP_WORDS[group],
                    name=str(item.get("name", "")),
                    what_it_is=str(item.get("patient_text", "")),
                )
            )
            who = WHO_FOR_GROUP.get(group) or (
                str(item.get("name", "")) if group == "referrals" else None
            )
            if who and who not in whom:
                whom.append(who)
    if urgency == "emergency":
        whom.insert(0, "An emergency department, now")
    follow_up = tuple(
        FollowUpLine(when=str(visit.get("when", "")), what=str(visit.get("what", "")))
        for visit in plan.get("follow_up") or []
    )
    return PatientPlan(
        urgency=urgency,
        what_to_do_now=WHAT_TO_DO_NOW[urgency],
        whom_to_see=tuple(whom),
        plan=tuple(lines),
        follow_up=follow_up,
    )
