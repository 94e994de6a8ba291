"""The clinician's report of one assessment, as a typed page context.

Order follows clinical priority, as in the terminal report: red flags first, then where the
lesion is (with the findings for and against each place), how likely a plexopathy is, what
causes it and why, the next most informative tests, the outstanding work-up, the plan with
this patient's cautions, and the honest limits of the answer. Bars are widths in per cent,
drawn by CSS, so the report needs no JavaScript and prints as it shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from plexcare.engine import Assessment
from plexcare.engine.etiology import FeatureWeight, RankedCause
from plexcare.engine.localization import FindingWeight, RankedCandidate
from plexcare.engine.plan import PlanItem
from plexcare.portal.layout import Frame, PortalPage

CANDIDATES_SHOWN = 8
CAUSES_SHOWN = 6
PLAN_GROUPS = (
    ("cause_directed", "Treat the cause"),
    ("pain", "Pain"),
    ("rehabilitation", "Rehabilitation"),
    ("supportive", "Supportive care"),
    ("referrals", "Referrals and surgery"),
)
SEVERITY_LABELS = {
    "contraindicated": "Contraindicated",
    "adjust_dose": "Adjust the dose",
    "monitor": "Monitor",
}


@dataclass(frozen=True)
class Evidence:
    """One finding's pull, as a reader weighs it: `×3.2` for, `÷2.0` against."""

    text: str
    strength: str


@dataclass(frozen=True)
class LocalizationRow:
    label: str
    probability: str
    bar: int
    supporting: tuple[Evidence, ...]
    contradicting: tuple[Evidence, ...]


@dataclass(frozen=True)
class CauseRow:
    name: str
    category: str
    probability: str
    bar: int
    supporting: tuple[Evidence, ...]
    against: tuple[Evidence, ...]
    anatomy: str


@dataclass(frozen=True)
class RedFlagRow:
    urgency: str
    reason: str
    finding: str


@dataclass(frozen=True)
class TestRow:
    name: str
    gain: str
    reason: str


@dataclass(frozen=True)
class WorkupRow:
    name: str
    priority: str
    timing: str
    reason: str


@dataclass(frozen=True)
class CautionRow:
    severity: str
    severity_label: str
    text: str
    because: str


@dataclass(frozen=True)
class PlanRow:
    name: str
    why: str
    dosing: str
    evidence: str
    contraindicated: bool
    cautions: tuple[CautionRow, ...]
    unchecked: tuple[str, ...]


@dataclass(frozen=True)
class PlanGroup:
    title: str
    items: tuple[PlanRow, ...]


@dataclass(frozen=True)
class FollowUpRow:
    when: str
    what: str
    why: str


@dataclass(frozen=True, kw_only=True)
class AssessmentPage(PortalPage):
    case_label: str
    kb_version: str
    leading: LocalizationRow
    localization: tuple[LocalizationRow, ...]
    plexopathy_probability: str
    plexopathy_bar: int
    background_polyneuropathy: str
    findings_used: int
    days_since_onset: str
    causes: tuple[CauseRow, ...]
    red_flags: tuple[RedFlagRow, ...]
    next_tests: tuple[TestRow, ...]
    workup: tuple[WorkupRow, ...]
    plan: tuple[PlanGroup, ...]
    follow_up: tuple[FollowUpRow, ...]
    uncertainty: tuple[str, ...]
    saved_note: str


def _percent(probability: float) -> str:
    if 0 < probability < 0.01:
        return "<1%"
    return f"{probability:.0%}"


def _bar(probability: float) -> int:
    return max(0, min(100, round(probability * 100)))


def _factor(weight: float) -> str:
    factor = math.exp(weight)
    return f"×{factor:.1f}" if weight >= 0 else f"÷{1 / factor:.1f}"


def _finding(weight: FindingWeight) -> Evidence:
    return Evidence(f"{weight.label} ({weight.result})", _factor(weight.weight))


def _feature(weight: FeatureWeight) -> Evidence:
    return Evidence(weight.reason, _factor(weight.weight))


def _candidate(candidate: RankedCandidate) -> LocalizationRow:
    return LocalizationRow(
        label=candidate.label,
        probability=_percent(candidate.probability),
        bar=_bar(candidate.probability),
        supporting=tuple(_finding(w) for w in candidate.supporting),
        contradicting=tuple(_finding(w) for w in candidate.contradicting),
    )


def _cause(cause: RankedCause) -> CauseRow:
    return CauseRow(
        name=cause.name,
        category=cause.category.replace("_", " "),
        probability=_percent(cause.probability),
        bar=_bar(cause.probability),
        supporting=tuple(_feature(w) for w in cause.supporting),
        against=tuple(_feature(w) for w in cause.against),
        anatomy=cause.localization_note,
    )


def _plan_row(item: PlanItem) -> PlanRow:
    return PlanRow(
        name=item.name,
        why=item.why,
        dosing=item.dosing,
        evidence=item.evidence,
        contraindicated=item.contraindicated,
        cautions=tuple(
            CautionRow(
                severity=c.severity,
                severity_label=SEVERITY_LABELS.get(c.severity, c.severity),
                text=c.text,
                because=c.because,
            )
            for c in item.cautions
        ),
        unchecked=item.unchecked,
    )


def assessment_page(
    *, frame: Frame, assessment: Assessment, saved_note: str = ""
) -> AssessmentPage:
    localization = assessment.localization
    rows = tuple(_candidate(c) for c in localization.candidates[:CANDIDATES_SHOWN])
    days = localization.days_since_onset
    plan = assessment.plan
    groups = tuple(
        PlanGroup(title, tuple(_plan_row(item) for item in getattr(plan, name)))
        for name, title in PLAN_GROUPS
        if getattr(plan, name)
    )
    return AssessmentPage(
        frame=frame,
        case_label=assessment.case_id or "unlabelled case",
        kb_version=assessment.kb_version,
        leading=rows[0],
        localization=rows,
        plexopathy_probability=_percent(localization.plexopathy_probability),
        plexopathy_bar=_bar(localization.plexopathy_probability),
        background_polyneuropathy=_percent(localization.background_polyneuropathy),
        findings_used=localization.findings_used,
        days_since_onset="not recorded" if days is None else f"{days:g} days",
        causes=tuple(_cause(c) for c in assessment.etiology[:CAUSES_SHOWN]),
        red_flags=tuple(
            RedFlagRow(flag.urgency, flag.reason, flag.finding) for flag in assessment.red_flags
        ),
        next_tests=tuple(
            TestRow(t.name, f"{t.information_gain:.2f} bits", t.reason)
            for t in assessment.next_tests
        ),
        workup=tuple(WorkupRow(w.name, w.priority, w.timing, w.reason) for w in assessment.workup),
        plan=groups,
        follow_up=tuple(FollowUpRow(v.when, v.what, v.why) for v in plan.follow_up),
        uncertainty=assessment.uncertainty,
        saved_note=saved_note,
    )
