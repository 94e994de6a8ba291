"""Work-up not yet done: the tests the likely causes call for, minus what the case already has.

Each disorder in the knowledge base lists its work-up (test, timing, reason, priority). The
tests of the leading causes are pooled, weighted by the probability of the causes asking for
them, and the tests of any cause whose red flag is raised are always kept, whatever its rank.
A test the case already represents (imaging of that region, those labs, an EMG) is not asked
for again, with one exception that electromyographers know well: needle EMG in the first three
weeks cannot show denervation yet, so an early study is repeated after three weeks from onset
(the knowledge base's `needle_emg_denervation` threshold, with its sources).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from plexcare.engine.case import Case
from plexcare.engine.etiology import RankedCause
from plexcare.engine.red_flags import URGENCY_RANK, RedFlagAlert, Urgency
from plexcare.knowledge.model import KnowledgeBase

LEADING_MASS = 0.9
"""Causes are taken, most probable first, until they cover this much probability..."""
LEADING_MAX = 5
"""...but no more than this many..."""
LEADING_MIN_PROBABILITY = 0.02
"""...and none below this probability (unless a red flag concerns it)."""

URGENT_MIN_PROBABILITY = 0.1
"""An urgent or emergency test keeps its priority only for a cause at least this probable or one
a red flag concerns: an urgent CT for a 3 % possibility would crowd out what matters (the red
flags keep every dangerous cause covered whatever its probability)."""

IMAGING_REGION: Mapping[str, str] = {
    "mri_lumbosacral_plexus": "pelvis",
    "ct_abdomen_pelvis": "pelvis",
    "xray_pelvis_hip": "pelvis",
    "mri_lumbar_spine": "spine",
    "mri_lumbar_spine_emergency": "spine",
}
"""Which imaging tests a case's recorded imaging stands for, by region. Tests not listed
(PET-CT, nerve ultrasound) answer a different question and are never taken as done."""

FINDING_REGION: Mapping[str, str] = {
    "mass": "pelvis",
    "haematoma": "pelvis",
    "abscess": "pelvis",
    "nerve_signal": "pelvis",
    "fracture": "pelvis",
    "hip_arthritis": "pelvis",
    "disc_herniation": "spine",
    "stenosis": "spine",
}

LAB_FIELDS: Mapping[str, tuple[str, ...]] = {
    "hba1c": ("hba1c",),
    "fasting_glucose": ("hba1c",),
    "esr_crp": ("esr", "crp"),
    "ck": ("ck",),
    "coagulation_screen": ("inr",),
    "renal_function": ("egfr",),
    "csf_analysis": ("csf_protein",),
}
"""Which lab results in the case stand for which test (HbA1c makes a fasting glucose moot)."""


@dataclass(frozen=True)
class WorkupRecommendation:
    test: str
    name: str
    kind: str
    priority: Urgency
    timing: str
    reason: str
    for_causes: tuple[str, ...]
    weight: float
    sources: tuple[str, ...]


def leading_causes(causes: Iterable[RankedCause], flagged: Iterable[str] = ()) -> dict[str, float]:
    """The causes a plan should act on: the most probable ones, plus any a red flag concerns."""
    chosen: dict[str, float] = {}
    mass = 0.0
    ranked = list(causes)
    for cause in ranked:
        if mass >= LEADING_MASS or len(chosen) >= LEADING_MAX:
            break
        if cause.probability < LEADING_MIN_PROBABILITY and chosen:
            break
        chosen[cause.disorder] = cause.probability
        mass += cause.probability
    wanted = set(flagged)
    for cause in ranked:
        if cause.disorder in wanted:
            chosen.setdefault(cause.disorder, cause.probability)
    return chosen


def _imaged_regions(case: Case, *, specific: bool) -> set[str]:
    """Regions the case's imaging covers; `specific` ignores a 'normal' report with no level."""
    regions: set[str] = set()
    for finding in case.imaging:
        if finding.kind in FINDING_REGION:
            regions.add(FINDING_REGION[finding.kind])
        elif finding.kind == "normal" and finding.level:
            spinal = finding.level.upper()[:1] in ("L", "S", "T")
            regions.add("spine" if spinal else "pelvis")
        elif finding.kind == "normal" and not specific:
            regions.update({"spine", "pelvis"})
    return regions


def _already_done(case: Case, test: str, priority: str) -> bool:
    if test in IMAGING_REGION:
        # An emergency scan is skipped only when imaging of that region is located explicitly.
        return IMAGING_REGION[test] in _imaged_regions(case, specific=priority == "emergency")
    if test in LAB_FIELDS:
        return any(getattr(case.labs, name) is not None for name in LAB_FIELDS[test])
    if test == "emg_ncs":
        return bool(case.emg or case.nerve_conduction)
    return False


def _emg_timing(case: Case, kb: KnowledgeBase) -> str | None:
    """'Repeat/book after 3 weeks from onset' when the case is in its first three weeks."""
    days = case.days_since_onset
    denervation = kb.thresholds.needle_emg_denervation
    if days is None or denervation.reached(days):
        return None
    wait = denervation.value
    span = wait_in_words(wait)
    if case.onset_on is not None:
        due = case.onset_on + timedelta(days=wait)
        return f"on or after {due.isoformat()} ({span} from onset)"
    return f"in {wait - days:.0f} days ({span} from onset)"


def _early_emg_reason(kb: KnowledgeBase) -> str:
    span = wait_in_words(kb.thresholds.needle_emg_denervation.value)
    return (
        f"The needle EMG was done in the first {span}, before denervation can show; "
        "repeat it to see fibrillations and their distribution."
    )


def wait_in_words(days: float) -> str:
    """'3 weeks' for 21 days, '10 days' for 10: how the clinic says a wait or an interval."""
    if days % 7 == 0:
        weeks = int(days // 7)
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    return f"{days:g} days"


def recommend_workup(
    case: Case,
    causes: Iterable[RankedCause],
    red_flags: Iterable[RedFlagAlert],
    kb: KnowledgeBase,
) -> tuple[WorkupRecommendation, ...]:
    """Tests not yet done, most urgent and most useful first."""
    flagged = {d for flag in red_flags for d in flag.concerns}
    leading = leading_causes(causes, flagged)
    pooled: dict[str, WorkupRecommendation] = {}
    for disorder_id, probability in leading.items():
        for item in kb.disorders[disorder_id].workup:
            test = kb.tests[item.test]
            early_emg = item.test == "emg_ncs" and _emg_timing(case, kb)
            if _already_done(case, item.test, item.priority) and not (early_emg and case.emg):
                continue
            timing, reason = item.timing, item.reason
            priority: Urgency = item.priority
            if probability < URGENT_MIN_PROBABILITY and disorder_id not in flagged:
                priority = "routine"
            if early_emg:
                timing = early_emg
                if case.emg:
                    reason = f"{_early_emg_reason(kb)} {reason}"
            current = pooled.get(item.test)
            weight = probability + (current.weight if current else 0.0)
            keep_current = current is not None and (
                URGENCY_RANK[current.priority] <= URGENCY_RANK[priority]
            )
            base = current if current is not None and keep_current else None
            pooled[item.test] = WorkupRecommendation(
                test=item.test,
                name=test.name,
                kind=test.kind,
                priority=base.priority if base else priority,
                timing=base.timing if base else timing,
                reason=base.reason if base else reason,
                for_causes=(*(current.for_causes if current else ()), disorder_id),
                weight=weight,
                sources=base.sources if base else item.sources,
            )
    repeat = _emg_timing(case, kb)
    if case.emg and repeat and "emg_ncs" not in pooled and "emg_ncs" in kb.tests:
        pooled["emg_ncs"] = WorkupRecommendation(
            test="emg_ncs",
            name=kb.tests["emg_ncs"].name,
            kind=kb.tests["emg_ncs"].kind,
            priority="routine",
            timing=repeat,
            reason=_early_emg_reason(kb),
            for_causes=(),
            weight=0.0,
            sources=kb.thresholds.needle_emg_denervation.sources,
        )
    return tuple(
        sorted(pooled.values(), key=lambda w: (URGENCY_RANK[w.priority], -w.weight, w.test))
    )
