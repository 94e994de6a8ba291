"""Turn a case into the etiology feature vector: each feature present, absent or unknown.

The features are the closed vocabulary of `etiology_features.yaml`. A feature is *unknown*
when the case does not say (a field left empty), which is different from *absent* (asked and
denied, measured and normal): unknown features are left out of the cause ranking instead of
counting against any cause. One convention reads an empty field as absent: a cancer history
recorded without pelvic radiotherapy is taken as no radiotherapy (the treatment is part of that
history), while with no cancer recorded radiotherapy stays unknown. Each derived state keeps a
short reason in the clinic's words so the ranking can say which findings moved it.

The numeric cut-offs (HbA1c, weight loss, INR, pain scores, ESR, CRP, CSF protein, CK, ...) are
clinical content and come from the knowledge base (`clinical_thresholds.yaml`, each with its
comparison and sources); the word lists below only map the case's own vocabulary onto features.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Case
from plexcare.knowledge.engine_parameters_model import ClinicalThresholds
from plexcare.knowledge.model import KnowledgeBase

FeatureState = Literal["present", "absent", "unknown"]

PELVIC_SURGERY = frozenset(
    {"hip_arthroplasty", "pelvic", "abdominal", "spinal", "vascular", "lithotomy"}
)
"""Recent operations that count as `recent_pelvic_or_hip_surgery`; stewart_focal_2010."""

PELVIC_TRAUMA = frozenset({"pelvic_fracture", "sacral_fracture", "hip_dislocation", "penetrating"})
"""Injuries that count as `pelvic_trauma`; stewart_focal_2010, planner_2006."""

IMAGING_FEATURES: Mapping[str, str] = {
    "mass": "imaging_mass",
    "haematoma": "imaging_haematoma",
    "abscess": "imaging_abscess",
    "nerve_signal": "imaging_nerve_enhancement",
    "disc_herniation": "imaging_disc_herniation",
    "stenosis": "imaging_stenosis",
    "fracture": "imaging_fracture",
    "hip_arthritis": "imaging_hip_arthritis",
}
"""Imaging finding kinds of the case and the feature each one sets."""

SEX_IS_FEMALE: Mapping[str, bool] = {"female": True, "male": False}
"""Sex as the `female` feature; "other" leaves it unknown."""


@dataclass(frozen=True)
class EtiologyFindings:
    """The known etiology features of one case with the reason for each state."""

    present: frozenset[str]
    absent: frozenset[str]
    reasons: Mapping[str, str]

    def state(self, feature: str) -> FeatureState:
        if feature in self.present:
            return "present"
        if feature in self.absent:
            return "absent"
        return "unknown"


class _Collector:
    """Accumulates feature states; the first statement about a feature wins."""

    def __init__(self) -> None:
        self.states: dict[str, bool] = {}
        self.reasons: dict[str, str] = {}

    def set(self, feature: str, present: bool | None, reason: str) -> None:
        if present is None or feature in self.states:
            return
        self.states[feature] = present
        self.reasons[feature] = reason

    def flag(self, feature: str, present: bool | None, what: str) -> None:
        """A yes/no item of the history: 'fever' when present, 'no fever' when denied."""
        self.set(feature, present, what if present else f"no {what}")

    def findings(self) -> EtiologyFindings:
        return EtiologyFindings(
            present=frozenset(f for f, p in self.states.items() if p),
            absent=frozenset(f for f, p in self.states.items() if not p),
            reasons=dict(self.reasons),
        )


def _any_true(values: Iterable[bool | None]) -> bool | None:
    """True if any is true, False if some are known and none true, None if none known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return any(known)


def _history(case: Case, limits: ClinicalThresholds, out: _Collector) -> None:
    history, labs = case.history, case.labs
    hba1c_high = None if labs.hba1c is None else limits.hba1c_diabetes.reached(labs.hba1c)
    out.set("hba1c_high", hba1c_high, f"HbA1c {labs.hba1c} %")
    if history.diabetes in ("type1", "type2"):
        out.set("diabetes", True, f"diabetes ({history.diabetes.replace('type', 'type ')})")
    elif hba1c_high:
        out.set("diabetes", True, f"HbA1c {labs.hba1c} % (diabetic range)")
    elif history.diabetes == "none" or hba1c_high is False:
        out.set("diabetes", False, "no diabetes")
    weight = case.symptoms.weight_loss_kg
    if weight is not None:
        heavy = limits.significant_weight_loss.reached(weight)
        out.set("recent_weight_loss", heavy, f"weight loss {weight:g} kg")
    if history.cancer is not None:
        state = "active" if history.cancer.active else "past"
        out.set("cancer_history", True, f"{state} cancer ({history.cancer.site})")
    years = history.pelvic_radiotherapy_years_ago
    if years is not None:
        out.set("pelvic_radiotherapy", True, f"pelvic radiotherapy {years:g} years ago")
    elif history.cancer is not None:
        out.set("pelvic_radiotherapy", False, "no pelvic radiotherapy in the cancer history")
    drug = (history.anticoagulant or "").strip()
    if history.anticoagulant is not None:
        taking = drug.lower() not in ("", "none", "no")
        out.set(
            "anticoagulated", taking, f"anticoagulant: {drug}" if taking else "no anticoagulant"
        )
    if labs.inr is not None:
        high = limits.inr_supratherapeutic.reached(labs.inr)
        out.set("inr_supratherapeutic", high, f"INR {labs.inr:g}")
    if history.recent_surgery is not None:
        kind = history.recent_surgery.replace("_", " ")
        out.set(
            "recent_pelvic_or_hip_surgery",
            history.recent_surgery in PELVIC_SURGERY,
            f"recent {kind} surgery",
        )
    if history.delivery_weeks_ago is not None:
        weeks = history.delivery_weeks_ago
        recent = limits.recent_delivery.reached(weeks)
        out.set("recent_delivery", recent, f"delivery {weeks:g} weeks ago")
    if history.trauma is not None:
        kind = history.trauma.replace("_", " ")
        out.set("pelvic_trauma", history.trauma in PELVIC_TRAUMA, f"trauma: {kind}")
    out.flag("gluteal_injection", history.gluteal_injection, "injection into the buttock")
    risks = (
        (history.injection_drug_use, "injection drug use"),
        (history.immunosuppressed, "immunosuppression"),
        (history.chemotherapy_recent, "recent chemotherapy"),
        (history.infection_risk, "infection risk"),
    )
    at_risk = _any_true(value for value, _ in risks)
    named = ", ".join(what for value, what in risks if value)
    out.set("infection_risk", at_risk, named if at_risk else "no infection risk")
    out.flag("leg_crossing_or_squatting", history.leg_crossing_or_squatting, "leg crossing")


def _presentation(case: Case, limits: ClinicalThresholds, out: _Collector) -> None:
    symptoms = case.symptoms
    out.flag("fever", symptoms.fever, "fever")
    if case.tempo is not None:
        for tempo in ("acute", "subacute", "chronic"):
            out.set(f"onset_{tempo}", case.tempo == tempo, f"{case.tempo} onset")
    score = case.pain.score
    if score is not None:
        out.set("severe_pain", limits.severe_pain.reached(score), f"pain {score}/10")
        out.set("painless", limits.little_or_no_pain.reached(score), f"pain {score}/10")
    back_site = any("back" in site.lower() for site in case.pain.sites) or None
    out.flag("back_pain", symptoms.back_pain, "low back pain")
    out.set("back_pain", back_site, "pain in the back")
    if case.affected_side is not None:
        out.set("bilateral", case.affected_side == "both", f"affected side: {case.affected_side}")
    elif len(case.exam) == 2 and all(
        any(mrc < 5 for mrc in side.strength.values()) for side in case.exam.values()
    ):
        out.set("bilateral", True, "weakness in both legs")
    anal = None if case.anal_tone is None else case.anal_tone == "reduced"
    sphincter = _any_true((symptoms.bladder_bowel, symptoms.saddle_numbness, anal))
    reasons = [
        text
        for flag, text in (
            (symptoms.bladder_bowel, "new bladder or bowel trouble"),
            (symptoms.saddle_numbness, "saddle numbness"),
            (anal, "reduced anal tone"),
        )
        if flag
    ]
    out.set("sphincter_dysfunction", sphincter, ", ".join(reasons) or "sphincters normal")
    out.set("age_over_50", limits.age_over_50.reached(case.age), f"age {case.age}")
    out.set("female", SEX_IS_FEMALE.get(case.sex), case.sex)
    out.flag("neurogenic_claudication", symptoms.neurogenic_claudication, "neurogenic claudication")


def _examination(case: Case, out: _Collector) -> None:
    brisk = [
        f"brisk {reflex.replace('_', ' ')} ({side})"
        for side, exam in case.exam.items()
        for reflex, grade in exam.reflexes.items()
        if grade == "brisk"
    ]
    extensor = [
        f"extensor plantar ({side})" for side, e in case.exam.items() if e.plantar == "extensor"
    ]
    give_way = [
        f"{', '.join(what.replace('_', ' ') for what in exam.give_way)} ({side})"
        for side, exam in case.exam.items()
        if exam.give_way
    ]
    if give_way:
        out.set("give_way_weakness", True, f"give-way weakness: {'; '.join(give_way)}")
    elif any(exam.strength for exam in case.exam.values()):
        out.set("give_way_weakness", False, "no give-way weakness")
    signs = brisk + extensor
    tested = any(e.reflexes or e.plantar in ("flexor", "extensor") for e in case.exam.values())
    if signs:
        out.set("upper_motor_neuron_signs", True, ", ".join(signs))
    elif tested:
        out.set("upper_motor_neuron_signs", False, "no brisk reflexes or extensor plantars")
    needled = [(side, muscle, r) for side, rs in case.emg.items() for muscle, r in rs.items()]
    if needled:
        myokymic = [f"{m.replace('_', ' ')} ({side})" for side, m, r in needled if r.myokymia]
        out.set(
            "emg_myokymia",
            bool(myokymic),
            f"myokymia in {', '.join(myokymic)}" if myokymic else "no myokymia on needle EMG",
        )


def _imaging_and_labs(case: Case, limits: ClinicalThresholds, out: _Collector) -> None:
    if case.imaging:
        seen = {finding.kind for finding in case.imaging}
        for kind, feature in IMAGING_FEATURES.items():
            if kind in seen:
                where = [f.level or f.side or "" for f in case.imaging if f.kind == kind]
                detail = f" ({', '.join(w for w in where if w)})" if any(where) else ""
                out.set(feature, True, f"imaging: {kind.replace('_', ' ')}{detail}")
            else:
                out.set(feature, False, f"imaging shows no {kind.replace('_', ' ')}")
    labs = case.labs
    markers = [
        (labs.esr, limits.esr_raised, "ESR", "mm/h"),
        (labs.crp, limits.crp_raised, "CRP", "mg/L"),
    ]
    measured = [
        (limit.reached(value), f"{name} {value:g} {unit}")
        for value, limit, name, unit in markers
        if value is not None
    ]
    if measured:
        raised = [text for high, text in measured if high]
        out.set(
            "raised_inflammatory_markers",
            bool(raised),
            ", ".join(raised) if raised else ", ".join(text for _, text in measured),
        )
    if labs.csf_protein is not None:
        out.set(
            "csf_protein_raised",
            limits.csf_protein_raised.reached(labs.csf_protein),
            f"CSF protein {labs.csf_protein:g} mg/dL",
        )
    if labs.ck is not None:
        if limits.ck_raised.reached(labs.ck):
            out.set("ck_raised", True, f"CK {labs.ck:g} U/L")
        elif limits.ck_normal.reached(labs.ck):
            out.set("ck_raised", False, f"CK {labs.ck:g} U/L (normal)")


def derive_etiology_findings(case: Case, kb: KnowledgeBase) -> EtiologyFindings:
    """Every etiology feature the case lets us state, with the reason for each."""
    limits = kb.thresholds
    out = _Collector()
    _history(case, limits, out)
    _presentation(case, limits, out)
    _examination(case, out)
    _imaging_and_labs(case, limits, out)
    return out.findings()


def feature_states(
    cases: Sequence[Case], index: Mapping[str, int], kb: KnowledgeBase
) -> npt.NDArray[np.float64]:
    """Cases × features (`index`: feature id -> column): +1 present, -1 absent, 0 unknown."""
    matrix = np.zeros((len(cases), len(index)))
    for row, case in enumerate(cases):
        found = derive_etiology_findings(case, kb)
        for feature in found.present:
            if feature in index:
                matrix[row, index[feature]] = 1.0
        for feature in found.absent:
            if feature in index:
                matrix[row, index[feature]] = -1.0
    return matrix
