"""The treatment plan: what to do for the likely causes and for this patient's deficits.

Items come from the knowledge base only: the treatments each leading cause lists (by role), and
rehabilitation matched to the movements this patient cannot do well (a treatment's
`indicated_when_weak`, e.g. an ankle-foot orthosis for weak ankle dorsiflexion). Every item is
checked against this patient's conditions (kidney function, anticoagulation, diabetes, age,
pregnancy, infection, cancer, falls risk). A contraindicated item is kept and marked, never
silently dropped: the clinician sees what was considered and why it is unsafe; conditions the
case does not record are listed as unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from plexcare.engine.case import Case
from plexcare.engine.case_names import MOVEMENTS
from plexcare.engine.etiology import RankedCause
from plexcare.engine.etiology_features import EtiologyFindings
from plexcare.engine.red_flags import RedFlagAlert
from plexcare.engine.workup import leading_causes
from plexcare.knowledge.engine_parameters_model import ClinicalThresholds
from plexcare.knowledge.model import Caution, KnowledgeBase, Treatment

Group = Literal["cause_directed", "pain", "rehabilitation", "supportive", "referrals", "follow_up"]
ROLE_GROUP: Mapping[str, Group] = {
    "cause_directed": "cause_directed",
    "pain": "pain",
    "rehabilitation": "rehabilitation",
    "supportive": "supportive",
    "referral": "referrals",
    "surgery": "referrals",
}

FALLS_MOVEMENTS = frozenset(
    {"knee_extension", "hip_abduction", "hip_extension", "ankle_dorsiflexion"}
)
"""Movements whose weakness makes a fall likely (knee buckling, foot drop, a Trendelenburg
gait); how weak is the knowledge base's `falls_risk_weakness` threshold, as are the eGFR and
age cut-offs the cautions are checked against (`clinical_thresholds.yaml`)."""

CAUSE_DIRECTED_MIN = 0.2
"""Cause-directed treatment is offered only for causes at least this probable (or the leader):
immunotherapy for a 5 % possibility would do more harm than good."""
CONFIRM_BELOW = 0.6
"""Below this probability a cause-directed item says 'once the cause is confirmed'."""

SEVERITY_RANK = {"contraindicated": 0, "adjust_dose": 1, "monitor": 2}


@dataclass(frozen=True)
class AppliedCaution:
    condition: str
    severity: str
    text: str
    because: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class PlanItem:
    treatment: str
    name: str
    kind: str
    group: Group
    why: str
    evidence: str
    dosing: str
    patient_text: str
    cautions: tuple[AppliedCaution, ...]
    unchecked: tuple[str, ...]
    contraindicated: bool
    for_causes: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FollowUpVisit:
    when: str
    what: str
    why: str


@dataclass(frozen=True)
class TreatmentPlan:
    cause_directed: tuple[PlanItem, ...]
    pain: tuple[PlanItem, ...]
    rehabilitation: tuple[PlanItem, ...]
    supportive: tuple[PlanItem, ...]
    referrals: tuple[PlanItem, ...]
    follow_up: tuple[FollowUpVisit, ...]

    @property
    def items(self) -> tuple[PlanItem, ...]:
        return (
            *self.cause_directed,
            *self.pain,
            *self.rehabilitation,
            *self.supportive,
            *self.referrals,
        )


@dataclass(frozen=True)
class WeakMovement:
    movement: str
    mrc: int
    where: str


def weak_movements(case: Case, kb: KnowledgeBase) -> dict[str, WeakMovement]:
    """The weakest MRC grade per movement, from strength keyed by muscle or by movement."""
    weakest: dict[str, WeakMovement] = {}
    for side, exam in sorted(case.exam.items()):
        for key, mrc in exam.strength.items():
            movement = kb.muscles[key].movement if key in kb.muscles else key
            if movement not in MOVEMENTS or mrc >= 5:
                continue
            current = weakest.get(movement)
            if current is None or mrc < current.mrc:
                where = f"{key.replace('_', ' ')} {side}"
                weakest[movement] = WeakMovement(movement, mrc, where)
    return weakest


def patient_conditions(
    case: Case,
    findings: EtiologyFindings,
    weak: Mapping[str, WeakMovement],
    limits: ClinicalThresholds,
) -> dict[str, tuple[bool | None, str]]:
    """Each caution condition: true, false or unknown (None), with what shows it."""
    egfr = case.labs.egfr
    renal = None if egfr is None else limits.renal_impairment.reached(egfr)
    severe = None if egfr is None else limits.severe_renal_impairment.reached(egfr)
    infection = "present" in (findings.state("fever"), findings.state("imaging_abscess"))
    infection_known = findings.state("fever") != "unknown" or bool(case.imaging)
    falls = [
        w
        for m, w in weak.items()
        if m in FALLS_MOVEMENTS and limits.falls_risk_weakness.reached(w.mrc)
    ]
    older = limits.older_adult.reached(case.age)
    falls_known = bool(case.exam) or older

    def feature(name: str) -> bool | None:
        state = findings.state(name)
        return None if state == "unknown" else state == "present"

    return {
        "renal_impairment": (renal, f"eGFR {egfr:g}" if egfr is not None else ""),
        "severe_renal_impairment": (severe, f"eGFR {egfr:g}" if egfr is not None else ""),
        "anticoagulated": (feature("anticoagulated"), findings.reasons.get("anticoagulated", "")),
        "diabetes": (feature("diabetes"), findings.reasons.get("diabetes", "")),
        "older_adult": (older, f"age {case.age}"),
        "pregnancy": (False, "male") if case.sex == "male" else (case.history.pregnant, "pregnant"),
        "active_infection": (
            infection if infection_known else None,
            findings.reasons.get("fever", "") if infection else "",
        ),
        "cancer": (feature("cancer_history"), findings.reasons.get("cancer_history", "")),
        "falls_risk": (
            bool(falls) or older if falls_known else None,
            ", ".join(f"{w.where} MRC {w.mrc}" for w in falls)
            or (f"age {case.age}" if older else ""),
        ),
        "peptic_ulcer": (None, ""),
        "heart_failure": (None, ""),
    }


def _check(
    treatment: Treatment, conditions: Mapping[str, tuple[bool | None, str]]
) -> tuple[tuple[AppliedCaution, ...], tuple[str, ...]]:
    applied: list[AppliedCaution] = []
    unchecked: list[str] = []
    for caution in treatment.cautions:
        state, because = conditions.get(caution.condition, (None, ""))
        if state:
            applied.append(_applied(caution, because))
        elif state is None and caution.condition not in unchecked:
            unchecked.append(caution.condition)
    applied.sort(key=lambda c: SEVERITY_RANK[c.severity])
    return tuple(applied), tuple(unchecked)


def _applied(caution: Caution, because: str) -> AppliedCaution:
    return AppliedCaution(
        condition=caution.condition,
        severity=caution.severity,
        text=caution.text,
        because=because,
        sources=caution.sources,
    )


def _item(
    treatment: Treatment,
    group: Group,
    why: str,
    causes: tuple[str, ...],
    conditions: Mapping[str, tuple[bool | None, str]],
) -> PlanItem:
    cautions, unchecked = _check(treatment, conditions)
    return PlanItem(
        treatment=treatment.id,
        name=treatment.name,
        kind=treatment.kind,
        group=group,
        why=why,
        evidence=treatment.evidence,
        dosing=treatment.dosing,
        patient_text=treatment.patient_text,
        cautions=cautions,
        unchecked=unchecked,
        contraindicated=any(c.severity == "contraindicated" for c in cautions),
        for_causes=causes,
        sources=treatment.sources,
    )


def _follow_up(
    red_flags: Iterable[RedFlagAlert], weak: Mapping[str, WeakMovement]
) -> tuple[FollowUpVisit, ...]:
    """A visit schedule (conventions from dyck_thaisetthawatkul_2014 and stewart_focal_2010)."""
    visits: list[FollowUpVisit] = []
    if any(flag.urgency in ("emergency", "urgent") for flag in red_flags):
        visits.append(
            FollowUpVisit(
                "within 1 week",
                "review the urgent work-up results and the examination",
                "a red flag is raised",
            )
        )
    visits.append(
        FollowUpVisit(
            "in 6 weeks",
            "repeat the MRC sum score, pain score and walking",
            "to see whether weakness and pain are improving and adjust treatment",
        )
    )
    if weak:
        visits.append(
            FollowUpVisit(
                "at 3-6 months",
                "repeat nerve conduction and needle EMG if strength has not improved",
                "reinnervation shows on EMG before strength returns; no change suggests an "
                "ongoing or missed cause",
            )
        )
    return tuple(visits)


def _deficits_treated(treatment: Treatment, weak: Mapping[str, WeakMovement]) -> list[WeakMovement]:
    """This patient's weak movements that the treatment is indicated for (`indicated_when_weak`
    below `indicated_below_mrc`)."""
    return [
        weak[movement]
        for movement in treatment.indicated_when_weak
        if movement in weak and weak[movement].mrc < treatment.indicated_below_mrc
    ]


def _deficit_absent(
    treatment: Treatment, weak: Mapping[str, WeakMovement], *, examined: bool
) -> bool:
    """A device or therapy for a deficit (an orthosis for foot drop) the examination excludes."""
    if not treatment.indicated_when_weak or not examined:
        return False
    return not _deficits_treated(treatment, weak)


def _treatments_for_weakness(kb: KnowledgeBase) -> tuple[Treatment, ...]:
    """The treatments indicated for a weak movement (orthoses, physiotherapy), in knowledge
    base order: the few the plan checks against every patient's weakness."""
    return kb.derived(
        "treatments_for_weakness",
        lambda base: tuple(t for t in base.treatments.values() if t.indicated_when_weak),
    )


def build_plan(
    case: Case,
    findings: EtiologyFindings,
    causes: Iterable[RankedCause],
    red_flags: Iterable[RedFlagAlert],
    kb: KnowledgeBase,
) -> TreatmentPlan:
    """Assemble the plan from the knowledge base for this patient's causes and deficits.

    A cause that is here only because a red flag concerns it (not because it is probable)
    contributes its referrals, the action the flag asks for, and nothing else: a known cancer
    flags L5 radiculopathy for spinal metastasis, which is no reason to offer an epidural
    injection, nor glycaemic control to a patient without diabetes because the same flag
    concerns diabetic amyotrophy.
    """
    ranked = list(causes)
    flags = list(red_flags)
    leading = leading_causes(ranked, {d for f in flags for d in f.concerns})
    probable = leading_causes(ranked)
    leader = ranked[0].disorder if ranked else None
    weak = weak_movements(case, kb)
    conditions = patient_conditions(case, findings, weak, kb.thresholds)
    chosen: dict[str, tuple[Group, list[str], list[str]]] = {}
    for disorder_id, probability in leading.items():
        disorder = kb.disorders[disorder_id]
        for use in disorder.treatments:
            group = ROLE_GROUP[use.role]
            if disorder_id not in probable and use.role != "referral":
                continue
            if _deficit_absent(kb.treatments[use.treatment], weak, examined=bool(case.exam)):
                continue
            if (
                group in ("cause_directed", "referrals")
                and use.role != "referral"
                and (probability < CAUSE_DIRECTED_MIN and disorder_id != leader)
            ):
                continue
            confirm = group == "cause_directed" and probability < CONFIRM_BELOW
            why = f"for {disorder.name} ({probability:.0%})"
            why += ", once the cause is confirmed" if confirm else ""
            entry = chosen.setdefault(use.treatment, (group, [], []))
            entry[1].append(why)
            entry[2].append(disorder_id)
    for treatment in _treatments_for_weakness(kb) if weak else ():
        matched = _deficits_treated(treatment, weak)
        if matched:
            why = "for weakness: " + ", ".join(
                f"{w.movement.replace('_', ' ')} MRC {w.mrc} ({w.where})" for w in matched
            )
            entry = chosen.setdefault(treatment.id, ("rehabilitation", [], []))
            entry[1].insert(0, why)
    groups: dict[Group, list[PlanItem]] = {g: [] for g in get_args(Group)}
    for treatment_id, (group, whys, disorder_ids) in chosen.items():
        item = _item(
            kb.treatments[treatment_id], group, "; ".join(whys), tuple(disorder_ids), conditions
        )
        groups[group].append(item)
    return TreatmentPlan(
        cause_directed=tuple(groups["cause_directed"]),
        pain=tuple(groups["pain"]),
        rehabilitation=tuple(groups["rehabilitation"]),
        supportive=tuple(groups["supportive"]),
        referrals=tuple(groups["referrals"]),
        follow_up=_follow_up(flags, weak),
    )
