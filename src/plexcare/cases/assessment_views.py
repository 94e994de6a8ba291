"""The clinician's view of one assessment, as a typed page context.

The page opens with a summary that fits one screen: the leading site and cause with their
probabilities, whether this is a plexopathy, the red flags and the next test. The details
follow in clinical priority, as in the terminal report: red flags, where the lesion is (with
the findings for and against each place), what causes it and why, the next most informative
tests, the outstanding work-up, the plan with this patient's cautions, and the honest limits
of the answer. Bars are widths in per cent, drawn by CSS, so the page needs no JavaScript and
prints as it shows.

It is built from the assessment as stored with the case version (`Assessment.to_dict()`), not
by running the engine again: a saved version shows what the clinician saw when they decided,
even after the knowledge base has moved on. The stored form is read defensively (a part the
engine did not give, or gives in a newer shape, is shown as absent rather than failing), and
only names reach the page, never the engine's ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plexcare.cases.body_map import BodyMap
from plexcare.engine import Assessment
from plexcare.portal.layout import Frame, PortalPage

CANDIDATES_SHOWN = 8
CAUSES_SHOWN = 6
PLEXOPATHY_LIKELY = 0.5
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
URGENCY_LABELS = {
    "emergency": "Emergency",
    "same_day": "Same day",
    "urgent": "Urgent",
    "routine": "Routine",
}
CONDITION_NAMES = {
    "renal_impairment": "kidney function",
    "severe_renal_impairment": "severe kidney impairment",
    "anticoagulated": "anticoagulation",
    "diabetes": "diabetes",
    "older_adult": "older age or frailty",
    "pregnancy": "pregnancy",
    "peptic_ulcer": "peptic ulcer disease",
    "heart_failure": "heart failure",
    "active_infection": "active infection",
    "cancer": "cancer",
    "falls_risk": "risk of falls",
}
"""The patient conditions a plan item's cautions are checked against (`Caution.condition`),
in words: the page lists the ones the case does not record, so they can be asked about."""
CATEGORY_NAMES = {
    "plexopathy_cause": "cause of plexopathy",
    "mimic": "mimic of plexopathy",
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
    urgency_label: str
    reason: str
    headline: str
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
    condition: str = ""
    """The patient condition it checks, in words ('kidney function'), for short listings."""


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


@dataclass(frozen=True)
class Summary:
    """The one-screen answer: site, cause, plexopathy yes or no, red flags, next test."""

    site: str
    site_probability: str
    cause: str
    cause_probability: str
    plexopathy: str
    plexopathy_probability: str
    red_flags: tuple[RedFlagRow, ...]
    next_test: str
    next_test_reason: str


@dataclass(frozen=True)
class CaseHeader:
    """Which stored record this is: the patient, the case and the version shown."""

    case_id: int
    patient_id: int
    patient_name: str
    title: str
    version: int
    latest_version: int
    versions: tuple[int, ...]
    saved_on: str
    author: str


@dataclass(frozen=True)
class Evaluation:
    """How much the answer rests on: findings the site ranking weighed, history features."""

    findings_used: int
    features_used: int
    days_since_onset: str

    @property
    def in_words(self) -> str:
        if self.findings_used == 0:
            found = "no examination or study findings yet (the site ranking is the prior)"
        else:
            found = f"{self.findings_used} examination and study findings"
        plural = "" if self.features_used == 1 else "s"
        return f"{found}; {self.features_used} history and imaging feature{plural}"


@dataclass(frozen=True, kw_only=True)
class AssessmentPage(PortalPage):
    case_label: str
    kb_version: str
    summary: Summary
    evaluation: Evaluation
    leading: LocalizationRow
    localization: tuple[LocalizationRow, ...]
    plexopathy_probability: str
    plexopathy_bar: int
    background_polyneuropathy: str
    causes: tuple[CauseRow, ...]
    red_flags: tuple[RedFlagRow, ...]
    next_tests: tuple[TestRow, ...]
    workup: tuple[WorkupRow, ...]
    plan: tuple[PlanGroup, ...]
    follow_up: tuple[FollowUpRow, ...]
    uncertainty: tuple[str, ...]
    saved_note: str = ""
    header: CaseHeader | None = None
    body_map: BodyMap | None = None
    study_summary: str = ""
    """The planned study as a whole (the order of the next tests), when the engine gives one."""
    study_note: str = ""
    """Why no test is suggested, or when to repeat an early study, when the engine says."""


def _percent(probability: float) -> str:
    if 0 < probability < 0.01:
        return "<1%"
    return f"{probability:.0%}"


def _bar(probability: float) -> int:
    return max(0, min(100, round(probability * 100)))


def _factor(weight: float) -> str:
    factor = math.exp(max(-50.0, min(50.0, weight)))
    return f"×{factor:.1f}" if weight >= 0 else f"÷{1 / factor:.1f}"


def _text(part: Mapping[str, Any], *names: str) -> str:
    """The first of `names` the part gives as text; '' when none."""
    for name in names:
        value = part.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _number(part: Mapping[str, Any], name: str) -> float:
    value = part.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _parts(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a stored list; anything else in it is skipped."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


def _finding(weight: Mapping[str, Any]) -> Evidence:
    label = _text(weight, "label") or _words(_text(weight, "finding"))
    result = _text(weight, "result")
    return Evidence(f"{label} ({result})" if result else label, _factor(_number(weight, "weight")))


def _feature(weight: Mapping[str, Any]) -> Evidence:
    return Evidence(_text(weight, "reason", "name"), _factor(_number(weight, "weight")))


def _candidate(candidate: Mapping[str, Any]) -> LocalizationRow:
    probability = _number(candidate, "probability")
    return LocalizationRow(
        label=_text(candidate, "title", "label") or "unnamed site",
        probability=_percent(probability),
        bar=_bar(probability),
        supporting=tuple(_finding(w) for w in _parts(candidate.get("supporting"))),
        contradicting=tuple(_finding(w) for w in _parts(candidate.get("contradicting"))),
    )


def _cause(cause: Mapping[str, Any]) -> CauseRow:
    probability = _number(cause, "probability")
    category = _text(cause, "category")
    return CauseRow(
        name=_text(cause, "name") or "unnamed cause",
        category=CATEGORY_NAMES.get(category, _words(category)),
        probability=_percent(probability),
        bar=_bar(probability),
        supporting=tuple(_feature(w) for w in _parts(cause.get("supporting"))),
        against=tuple(_feature(w) for w in _parts(cause.get("against"))),
        anatomy=_text(cause, "localization_note"),
    )


def _headline(reason: str) -> str:
    """The red flag's first clause, for the summary: 'Acute loss of weight-bearing'."""
    for stop in (":", ". ", ";"):
        head = reason.split(stop, 1)[0]
        if len(head) < len(reason):
            return head.rstrip(".")
    return reason.rstrip(".")


def _red_flag(flag: Mapping[str, Any]) -> RedFlagRow:
    urgency = _text(flag, "urgency") or "urgent"
    reason = _text(flag, "reason")
    return RedFlagRow(
        urgency=urgency,
        urgency_label=URGENCY_LABELS.get(urgency, _words(urgency).capitalize()),
        reason=reason,
        headline=_headline(reason),
        finding=_text(flag, "finding"),
    )


def _test(test: Mapping[str, Any]) -> TestRow:
    gain = test.get("information_gain")
    return TestRow(
        name=_text(test, "name") or _words(_text(test, "target", "test")),
        gain=f"{gain:.2f} bits" if isinstance(gain, int | float) else "",
        reason=_text(test, "reason"),
    )


def _plan_row(item: Mapping[str, Any]) -> PlanRow:
    cautions = tuple(
        CautionRow(
            severity=_text(c, "severity"),
            severity_label=SEVERITY_LABELS.get(_text(c, "severity"), _words(_text(c, "severity"))),
            text=_text(c, "text"),
            because=_text(c, "because"),
            condition=CONDITION_NAMES.get(_text(c, "condition"), _words(_text(c, "condition"))),
        )
        for c in _parts(item.get("cautions"))
    )
    unchecked = item.get("unchecked")
    return PlanRow(
        name=_text(item, "name") or _words(_text(item, "treatment")),
        why=_text(item, "why"),
        dosing=_text(item, "dosing"),
        evidence=_text(item, "evidence"),
        contraindicated=item.get("contraindicated") is True,
        cautions=cautions,
        unchecked=tuple(
            CONDITION_NAMES.get(name, _words(name))
            for name in (unchecked if isinstance(unchecked, list | tuple) else ())
            if isinstance(name, str)
        ),
    )


def _summary(
    localization: Sequence[LocalizationRow],
    causes: Sequence[CauseRow],
    plexopathy: float,
    red_flags: tuple[RedFlagRow, ...],
    tests: Sequence[TestRow],
    study_note: str,
) -> Summary:
    site = localization[0] if localization else None
    cause = causes[0] if causes else None
    test = tests[0] if tests else None
    return Summary(
        site=site.label[:1].upper() + site.label[1:] if site else "Not known",
        site_probability=site.probability if site else "",
        cause=cause.name if cause else "Not known",
        cause_probability=cause.probability if cause else "",
        plexopathy="Likely" if plexopathy >= PLEXOPATHY_LIKELY else "Unlikely",
        plexopathy_probability=_percent(plexopathy),
        red_flags=red_flags,
        next_test=test.name if test else "No further test changes the ranking much",
        next_test_reason=test.reason if test else study_note,
    )


def stored_assessment_page(
    *,
    frame: Frame,
    answer: Mapping[str, Any],
    header: CaseHeader | None = None,
    body_map: BodyMap | None = None,
    saved_note: str = "",
    days_since_onset: float | None = None,
) -> AssessmentPage:
    """The page for an assessment in its stored form (`Assessment.to_dict()`);
    `days_since_onset` comes from the case, which the stored answer does not repeat."""
    if not isinstance(answer, Mapping):
        answer = {}
    localization = tuple(
        _candidate(c) for c in _parts(answer.get("localization"))[:CANDIDATES_SHOWN]
    )
    leading = localization[0] if localization else LocalizationRow("not known", "", 0, (), ())
    plexopathy = _number(answer, "plexopathy_probability")
    causes = tuple(_cause(c) for c in _parts(answer.get("etiology"))[:CAUSES_SHOWN])
    red_flags = tuple(_red_flag(flag) for flag in _parts(answer.get("red_flags")))
    tests = tuple(_test(t) for t in _parts(answer.get("next_tests")))
    plan = answer.get("plan") if isinstance(answer.get("plan"), Mapping) else {}
    assert isinstance(plan, Mapping)
    groups = tuple(
        PlanGroup(title, tuple(_plan_row(item) for item in _parts(plan.get(name))))
        for name, title in PLAN_GROUPS
        if _parts(plan.get(name))
    )
    study = answer.get("study_plan") if isinstance(answer.get("study_plan"), Mapping) else {}
    assert isinstance(study, Mapping)
    study_note = " ".join(part for part in (_text(study, "note"), _text(study, "repeat")) if part)
    features = answer.get("features") if isinstance(answer.get("features"), Mapping) else {}
    assert isinstance(features, Mapping)
    days = days_since_onset
    uncertainty = answer.get("uncertainty")
    return AssessmentPage(
        frame=frame,
        case_label=header.title if header else (_text(answer, "case_id") or "unlabelled case"),
        kb_version=_text(answer, "kb_version") or "not recorded",
        summary=_summary(localization, causes, plexopathy, red_flags, tests, study_note),
        evaluation=Evaluation(
            findings_used=int(_number(answer, "findings_used")),
            features_used=sum(len(features.get(key) or ()) for key in ("present", "absent")),
            days_since_onset=(
                f"{days:g} days" if isinstance(days, int | float) else "not recorded"
            ),
        ),
        leading=leading,
        localization=localization,
        plexopathy_probability=_percent(plexopathy),
        plexopathy_bar=_bar(plexopathy),
        background_polyneuropathy=_percent(_number(answer, "background_polyneuropathy")),
        causes=causes,
        red_flags=red_flags,
        next_tests=tests,
        workup=tuple(
            WorkupRow(
                _text(w, "name") or _words(_text(w, "test")),
                _words(_text(w, "priority")),
                _text(w, "timing"),
                _text(w, "reason"),
            )
            for w in _parts(answer.get("workup"))
        ),
        plan=groups,
        follow_up=tuple(
            FollowUpRow(_text(v, "when"), _text(v, "what"), _text(v, "why"))
            for v in _parts(plan.get("follow_up"))
        ),
        uncertainty=tuple(
            note for note in (uncertainty if isinstance(uncertainty, list) else ()) if note
        ),
        saved_note=saved_note,
        header=header,
        body_map=body_map,
        study_summary=_text(study, "summary"),
        study_note=study_note,
    )


def assessment_page(
    *, frame: Frame, assessment: Assessment, saved_note: str = "", body_map: BodyMap | None = None
) -> AssessmentPage:
    """The page for an assessment just computed and not stored (a preview)."""
    return stored_assessment_page(
        frame=frame,
        answer=assessment.to_dict(),
        body_map=body_map,
        saved_note=saved_note,
        days_since_onset=assessment.localization.days_since_onset,
    )
