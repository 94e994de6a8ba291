"""Turn a case into the etiology feature vector: each feature present, absent or unknown.

The features are the closed vocabulary of `etiology_features.yaml`. A feature is *unknown*
when the case does not say (a field left empty), which is different from *absent* (asked and
denied, measured and normal): unknown features are left out of the cause ranking instead of
counting against any cause. Each derived state keeps a short reason in the clinic's words so
the ranking can say which findings moved it.

How older cases and empty fields are read (a migration of the input, not a guess):
- cancer: `none` is absent, `past` and `active` present (`cancer_active` tells them apart),
  `unknown` says nothing; cases written as `{site, active}` carry their status over
  (`engine.case.Cancer`);
- radiotherapy: `none` is absent, `unknown` says nothing, `given` counts as pelvic
  radiotherapy only when its region lies in the plexus field (`site_and_cause.yaml`,
  `radiotherapy_field`; breast or head-and-neck radiotherapy is recorded as none for the
  plexus); the older `pelvic_radiotherapy_years_ago` is radiotherapy to the pelvis. With the
  radiotherapy left empty, a past or active cancer reads as no radiotherapy (the treatment is
  part of that history, as before); with no cancer recorded it stays unknown;
- infection: injection drug use, immunosuppression (with recent chemotherapy) and a recent
  infection are three facts; the older catch-all `infection_risk` is read as a recent
  infection when that field is empty;
- imaging: a finding kind not reported is absent only where a study looked
  (`imaging_regions`); a finding without its region stands for a study that shows every kind.

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
    "degenerative_without_compression": "imaging_degenerative",
    "fracture": "imaging_fracture",
    "radiation_fibrosis": "imaging_radiation_fibrosis",
    "lymphadenopathy": "imaging_lymphadenopathy",
    "aneurysm": "imaging_aneurysm",
    "bakers_cyst": "imaging_bakers_cyst",
    "hip_arthritis": "imaging_hip_arthritis",
}
"""Imaging finding kinds of the case and the feature each one sets (the same pairs as
`site_and_cause.yaml`'s `imaging_kinds`, which a knowledge-base test checks)."""

IMAGING_PHRASES: Mapping[str, str] = {
    "degenerative_without_compression": "degenerative change without compression",
    "nerve_signal": "abnormal nerve signal",
    "bakers_cyst": "Baker's cyst",
}
"""The kinds whose code does not read as words ("imaging shows no degenerative without
compression"); every other kind is its code with spaces."""
IMAGING_WORDS: Mapping[str, str] = {
    kind: IMAGING_PHRASES.get(kind, kind.replace("_", " ")) for kind in IMAGING_FEATURES
}
IMAGING_NOT_SHOWN: Mapping[str, str] = {
    kind: f"imaging shows no {words}" for kind, words in IMAGING_WORDS.items()
}
"""The words of each kind, worked out once: every case with imaging states every kind."""

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


def _cancer_and_radiotherapy(case: Case, kb: KnowledgeBase, out: _Collector) -> None:
    history = case.history
    cancer = history.cancer
    if cancer is not None:
        where = f" ({cancer.site})" if cancer.site else ""
        out.set("cancer_history", cancer.known, f"{cancer.status} cancer{where}")
        if cancer.known:
            active = cancer.status == "active"
            out.set("cancer_active", active, f"{cancer.status} cancer{where}")
    field = kb.site_and_cause.radiotherapy_field
    in_field = frozenset(field.regions) if field is not None else frozenset()
    given = history.radiotherapy
    years = history.pelvic_radiotherapy_years_ago
    if given is not None and given.status == "given":
        region = given.region
        when = f" {given.years_ago:g} years ago" if given.years_ago is not None else ""
        if region is not None:
            place = region.replace("_", " ")
            out.set(
                "pelvic_radiotherapy",
                region in in_field,
                f"radiotherapy to the {place}{when}"
                + ("" if region in in_field else ", outside the plexus"),
            )
    elif given is not None and given.status == "none":
        out.set("pelvic_radiotherapy", False, "no radiotherapy")
    elif years is not None:
        out.set("pelvic_radiotherapy", True, f"pelvic radiotherapy {years:g} years ago")
    elif given is None and cancer is not None and cancer.known:
        out.set("pelvic_radiotherapy", False, "no radiotherapy in the cancer history")


def _history(case: Case, kb: KnowledgeBase, out: _Collector) -> None:
    limits = kb.thresholds
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
    _cancer_and_radiotherapy(case, kb, out)
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
    out.flag("pregnant", history.pregnant, "pregnant")
    out.flag("delivery_instrumental", history.delivery_instrumental, "forceps or vacuum delivery")
    out.flag("labour_prolonged", history.labour_prolonged, "prolonged second stage of labour")
    if history.trauma is not None:
        kind = history.trauma.replace("_", " ")
        out.set("pelvic_trauma", history.trauma in PELVIC_TRAUMA, f"trauma: {kind}")
    out.flag("gluteal_injection", history.gluteal_injection, "injection into the buttock")
    out.flag("injection_drug_use", history.injection_drug_use, "injection drug use")
    immune = _any_true((history.immunosuppressed, history.chemotherapy_recent))
    reasons = [
        what
        for value, what in (
            (history.immunosuppressed, "immunosuppression"),
            (history.chemotherapy_recent, "recent chemotherapy"),
        )
        if value
    ]
    out.set("immunosuppressed", immune, ", ".join(reasons) or "not immunosuppressed")
    infection = history.recent_infection
    if infection is None:
        infection = history.infection_risk
    out.flag("recent_infection", infection, "recent infection")
    out.flag("fall", history.fall, "a fall")
    out.flag("lay_immobile_for_hours", history.lay_immobile_for_hours, "lying immobile for hours")
    out.flag("atrial_fibrillation", history.atrial_fibrillation, "atrial fibrillation")
    out.flag("leg_crossing_or_squatting", history.leg_crossing_or_squatting, "leg crossing")


def _presentation(case: Case, limits: ClinicalThresholds, out: _Collector) -> None:
    symptoms = case.symptoms
    out.flag("fever", symptoms.fever, "fever")
    if case.tempo is not None:
        onset = f"{case.tempo} onset"
        for tempo in ("acute", "subacute", "chronic"):
            out.set(f"onset_{tempo}", case.tempo == tempo, onset)
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
    lying = _any_true((symptoms.pain_worse_lying_flat, symptoms.night_pain))
    worse = [
        what
        for value, what in (
            (symptoms.pain_worse_lying_flat, "pain worse lying flat"),
            (symptoms.night_pain, "night pain"),
        )
        if value
    ]
    out.set("night_or_lying_pain", lying, ", ".join(worse) or "no night or lying-flat pain")
    out.flag("pain_on_hip_rotation", symptoms.pain_on_hip_rotation, "pain on hip rotation")
    out.flag("pain_before_weakness", symptoms.pain_before_weakness, "pain before the weakness")
    out.flag("cramps", symptoms.cramps, "cramps")
    out.flag("fasciculations_seen", symptoms.fasciculations_seen, "twitching seen or felt")
    out.flag("night_sweats", symptoms.night_sweats, "night sweats")
    if case.bmi is not None:
        out.set("obesity", limits.obesity.reached(case.bmi), f"BMI {case.bmi:g}")
    out.flag("dermatomal_rash", symptoms.dermatomal_rash, "dermatomal rash")
    out.flag("cyclical_pain", symptoms.cyclical_pain, "pain with each period")
    out.flag("vascular_claudication", symptoms.vascular_claudication, "vascular claudication")
    tense = symptoms.tense_buttock_or_thigh
    swollen = _any_true((symptoms.swelling_or_bruising, tense))
    what = "tense, swollen buttock or thigh" if tense else "swelling or bruising"
    out.set("limb_swelling", swollen, what if swollen else "no swelling or bruising")
    out.flag("pain_on_coughing", symptoms.pain_on_coughing, "pain on coughing or straining")
    out.flag("spread_to_other_leg", symptoms.spread_to_other_leg, "spread to the other leg")
    out.flag(
        "difficulty_rising_from_chair",
        symptoms.difficulty_rising_from_chair,
        "difficulty rising from a chair",
    )
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
    pulses = [(side, e.foot_pulses) for side, e in case.exam.items() if e.foot_pulses]
    if pulses:
        weak = [f"{grade} foot pulses ({side})" for side, grade in pulses if grade != "present"]
        out.set("absent_foot_pulses", bool(weak), ", ".join(weak) or "foot pulses present")
    needled = [(side, muscle, r) for side, rs in case.emg.items() for muscle, r in rs.items()]
    if needled:
        myokymic = [f"{m.replace('_', ' ')} ({side})" for side, m, r in needled if r.myokymia]
        out.set(
            "emg_myokymia",
            bool(myokymic),
            f"myokymia in {', '.join(myokymic)}" if myokymic else "no myokymia on needle EMG",
        )


def _imaging_and_labs(case: Case, kb: KnowledgeBase, out: _Collector) -> None:
    limits = kb.thresholds
    if case.imaging:
        seen = {finding.kind for finding in case.imaging}
        shown = kb.site_and_cause.kinds_shown(frozenset(finding.region for finding in case.imaging))
        for kind, feature in IMAGING_FEATURES.items():
            if kind in seen:
                where = [f.level or f.side or "" for f in case.imaging if f.kind == kind]
                detail = f" ({', '.join(w for w in where if w)})" if any(where) else ""
                out.set(feature, True, f"imaging: {IMAGING_WORDS[kind]}{detail}")
            elif shown is None or kind in shown:
                out.set(feature, False, IMAGING_NOT_SHOWN[kind])
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
    if labs.white_cell_count is not None:
        count = labs.white_cell_count
        out.set(
            "leucocytosis",
            limits.leucocytosis.reached(count),
            f"white cell count {count:g} x10^9/L",
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


def _collect(case: Case, kb: KnowledgeBase) -> _Collector:
    out = _Collector()
    _history(case, kb, out)
    _presentation(case, kb.thresholds, out)
    _examination(case, out)
    _imaging_and_labs(case, kb, out)
    return out


def derive_etiology_findings(case: Case, kb: KnowledgeBase) -> EtiologyFindings:
    """Every etiology feature the case lets us state, with the reason for each."""
    return _collect(case, kb).findings()


def feature_states(
    cases: Sequence[Case], index: Mapping[str, int], kb: KnowledgeBase
) -> npt.NDArray[np.float64]:
    """Cases × features (`index`: feature id -> column): +1 present, -1 absent, 0 unknown.

    The states are gathered as flat cell indices and values and written into the matrix in
    one assignment: one element at a time, the writes cost as much as deriving the features."""
    width = len(index)
    cells: list[int] = []
    values: list[float] = []
    for row, case in enumerate(cases):
        known = [(index[f], p) for f, p in _collect(case, kb).states.items() if f in index]
        base = row * width
        cells += [base + column for column, _ in known]
        values += [1.0 if present else -1.0 for _, present in known]
    matrix = np.zeros(len(cases) * width)
    matrix[cells] = values
    return matrix.reshape(len(cases), width)
