"""The rows of the assessment page, each read from one part of the stored answer.

The stored form (`Assessment.to_dict()`) is read defensively: a part the engine did not give,
or gives in a newer shape, is shown as absent rather than failing, and only names reach the
page, never the engine's ids. Each part of the answer (a candidate site, a cause, a red flag,
a test, a plan item) becomes one frozen row here; `assessment_views` assembles the rows into
the page and its one-screen summary, and the report (`report`) reuses the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


def percent(probability: float) -> str:
    if 0 < probability < 0.01:
        return "<1%"
    return f"{probability:.0%}"


def bar_width(probability: float) -> int:
    return max(0, min(100, round(probability * 100)))


def _factor(weight: float) -> str:
    factor = math.exp(max(-50.0, min(50.0, weight)))
    return f"×{factor:.1f}" if weight >= 0 else f"÷{1 / factor:.1f}"


def text_of(part: Mapping[str, Any], *names: str) -> str:
    """The first of `names` the part gives as text; '' when none."""
    for name in names:
        value = part.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def number_of(part: Mapping[str, Any], name: str) -> float:
    value = part.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def parts_of(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a stored list; anything else in it is skipped."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def in_words_of(identifier: str) -> str:
    return identifier.replace("_", " ")


def _finding(weight: Mapping[str, Any]) -> Evidence:
    label = text_of(weight, "label") or in_words_of(text_of(weight, "finding"))
    result = text_of(weight, "result")
    return Evidence(
        f"{label} ({result})" if result else label, _factor(number_of(weight, "weight"))
    )


def _feature(weight: Mapping[str, Any]) -> Evidence:
    return Evidence(text_of(weight, "reason", "name"), _factor(number_of(weight, "weight")))


def localization_row(candidate: Mapping[str, Any]) -> LocalizationRow:
    probability = number_of(candidate, "probability")
    return LocalizationRow(
        label=text_of(candidate, "title", "label") or "unnamed site",
        probability=percent(probability),
        bar=bar_width(probability),
        supporting=tuple(_finding(w) for w in parts_of(candidate.get("supporting"))),
        contradicting=tuple(_finding(w) for w in parts_of(candidate.get("contradicting"))),
    )


def cause_row(cause: Mapping[str, Any]) -> CauseRow:
    probability = number_of(cause, "probability")
    category = text_of(cause, "category")
    return CauseRow(
        name=text_of(cause, "name") or "unnamed cause",
        category=CATEGORY_NAMES.get(category, in_words_of(category)),
        probability=percent(probability),
        bar=bar_width(probability),
        supporting=tuple(_feature(w) for w in parts_of(cause.get("supporting"))),
        against=tuple(_feature(w) for w in parts_of(cause.get("against"))),
        anatomy=text_of(cause, "localization_note"),
    )


def _headline(reason: str) -> str:
    """The red flag's first clause, for the summary: 'Acute loss of weight-bearing'."""
    for stop in (":", ". ", ";"):
        head = reason.split(stop, 1)[0]
        if len(head) < len(reason):
            return head.rstrip(".")
    return reason.rstrip(".")


def red_flag_row(flag: Mapping[str, Any]) -> RedFlagRow:
    urgency = text_of(flag, "urgency") or "urgent"
    reason = text_of(flag, "reason")
    return RedFlagRow(
        urgency=urgency,
        urgency_label=URGENCY_LABELS.get(urgency, in_words_of(urgency).capitalize()),
        reason=reason,
        headline=_headline(reason),
        finding=text_of(flag, "finding"),
    )


def next_test_row(test: Mapping[str, Any]) -> TestRow:
    gain = test.get("information_gain")
    return TestRow(
        name=text_of(test, "name") or in_words_of(text_of(test, "target", "test")),
        gain=f"{gain:.2f} bits" if isinstance(gain, int | float) else "",
        reason=text_of(test, "reason"),
    )


def plan_row(item: Mapping[str, Any]) -> PlanRow:
    cautions = tuple(
        CautionRow(
            severity=text_of(c, "severity"),
            severity_label=SEVERITY_LABELS.get(
                text_of(c, "severity"), in_words_of(text_of(c, "severity"))
            ),
            text=text_of(c, "text"),
            because=text_of(c, "because"),
            condition=CONDITION_NAMES.get(
                text_of(c, "condition"), in_words_of(text_of(c, "condition"))
            ),
        )
        for c in parts_of(item.get("cautions"))
    )
    unchecked = item.get("unchecked")
    return PlanRow(
        name=text_of(item, "name") or in_words_of(text_of(item, "treatment")),
        why=text_of(item, "why"),
        dosing=text_of(item, "dosing"),
        evidence=text_of(item, "evidence"),
        contraindicated=item.get("contraindicated") is True,
        cautions=cautions,
        unchecked=tuple(
            CONDITION_NAMES.get(name, in_words_of(name))
            for name in (unchecked if isinstance(unchecked, list | tuple) else ())
            if isinstance(name, str)
        ),
    )
