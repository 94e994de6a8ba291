"""The etiology features of many cases at once, states only (no reasons), for batch scoring.

`etiology_features.derive_etiology_findings` states each feature with the reason a clinician
reads, which is what one assessment needs. A batch needs only the states, and building
forty-odd reason strings per case cost more than the rest of batch scoring together, so this
module reads the same fields with the same rules into one row of numbers per case:
+1 present, -1 absent, 0 unknown. The two must agree exactly on every case; a property test
(tests/engine/test_feature_columns.py) checks them against each other on generated cases, so a
rule changed in one and not the other fails the build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Cancer, Case, ImagingFinding, Radiotherapy
from plexcare.engine.etiology_features import (
    IMAGING_FEATURES,
    PELVIC_SURGERY,
    PELVIC_TRAUMA,
    SEX_IS_FEMALE,
)
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]

ORDER: tuple[str, ...] = (
    "hba1c_high",
    "diabetes",
    "recent_weight_loss",
    "cancer_history",
    "cancer_active",
    "pelvic_radiotherapy",
    "anticoagulated",
    "inr_supratherapeutic",
    "recent_pelvic_or_hip_surgery",
    "recent_delivery",
    "pregnant",
    "delivery_instrumental",
    "labour_prolonged",
    "pelvic_trauma",
    "gluteal_injection",
    "injection_drug_use",
    "immunosuppressed",
    "recent_infection",
    "fall",
    "lay_immobile_for_hours",
    "atrial_fibrillation",
    "leg_crossing_or_squatting",
    "fever",
    "onset_acute",
    "onset_subacute",
    "onset_chronic",
    "severe_pain",
    "painless",
    "back_pain",
    "bilateral",
    "sphincter_dysfunction",
    "night_or_lying_pain",
    "pain_on_hip_rotation",
    "pain_before_weakness",
    "cramps",
    "fasciculations_seen",
    "night_sweats",
    "obesity",
    "dermatomal_rash",
    "cyclical_pain",
    "vascular_claudication",
    "limb_swelling",
    "pain_on_coughing",
    "spread_to_other_leg",
    "difficulty_rising_from_chair",
    "age_over_50",
    "female",
    "neurogenic_claudication",
    "give_way_weakness",
    "upper_motor_neuron_signs",
    "absent_foot_pulses",
    "emg_myokymia",
    *IMAGING_FEATURES.values(),
    "raised_inflammatory_markers",
    "leucocytosis",
    "csf_protein_raised",
    "ck_raised",
)
"""Every feature `derive_etiology_findings` can state, in the order of a row."""

STATE: Mapping[bool | None, float] = {True: 1.0, False: -1.0, None: 0.0}
"""A feature's state as a row holds it: +1 present, -1 absent, 0 unknown."""


def _any_true(*values: bool | None) -> bool | None:
    known = [v for v in values if v is not None]
    return any(known) if known else None


def cancer_history(
    cancer: Cancer | None,
    radiotherapy: Radiotherapy | None,
    years: float | None,
    anticoagulant: str | None,
    in_field: frozenset[str],
) -> tuple[bool | None, bool | None, bool | None, bool | None]:
    """cancer_history, cancer_active, pelvic_radiotherapy and anticoagulated from the history
    fields they are read from (`in_field`: the regions whose radiotherapy reaches the plexus);
    one rule for a row here and for a batch read from data (`case_data_features`)."""
    known = cancer.known if cancer is not None else None
    active = (cancer.status == "active") if cancer is not None and known else None
    pelvic: bool | None = None
    if radiotherapy is not None and radiotherapy.status == "given":
        pelvic = None if radiotherapy.region is None else radiotherapy.region in in_field
    elif radiotherapy is not None and radiotherapy.status == "none":
        pelvic = False
    elif years is not None:
        pelvic = True
    elif radiotherapy is None and cancer is not None and known:
        pelvic = False
    anticoagulated = (
        None if anticoagulant is None else anticoagulant.strip().lower() not in ("", "none", "no")
    )
    return known, active, pelvic, anticoagulated


def _row(case: Case, kb: KnowledgeBase, in_field: frozenset[str]) -> list[float]:
    """One case's states in `ORDER` (the rules of `etiology_features`, without the words)."""
    limits = kb.thresholds
    history, labs, symptoms = case.history, case.labs, case.symptoms
    hba1c = None if labs.hba1c is None else limits.hba1c_diabetes.reached(labs.hba1c)
    if history.diabetes in ("type1", "type2") or hba1c:
        diabetes: bool | None = True
    elif history.diabetes == "none" or hba1c is False:
        diabetes = False
    else:
        diabetes = None
    weight = symptoms.weight_loss_kg
    infection = history.recent_infection
    if infection is None:
        infection = history.infection_risk
    tempo = case.tempo
    score = case.pain.score
    back = symptoms.back_pain
    if back is None and any("back" in site.lower() for site in case.pain.sites):
        back = True
    if case.affected_side is not None:
        bilateral: bool | None = case.affected_side == "both"
    elif len(case.exam) == 2 and all(
        any(mrc < 5 for mrc in side.strength.values()) for side in case.exam.values()
    ):
        bilateral = True
    else:
        bilateral = None
    anal = None if case.anal_tone is None else case.anal_tone == "reduced"
    exams = case.exam.values()
    if any(exam.give_way for exam in exams):
        give_way: bool | None = True
    elif any(exam.strength for exam in exams):
        give_way = False
    else:
        give_way = None
    signs = any(grade == "brisk" for exam in exams for grade in exam.reflexes.values()) or any(
        exam.plantar == "extensor" for exam in exams
    )
    tested = any(e.reflexes or e.plantar in ("flexor", "extensor") for e in exams)
    pulses = [exam.foot_pulses for exam in exams if exam.foot_pulses]
    needled = [result for results in case.emg.values() for result in results.values()]
    states: list[bool | None] = [
        hba1c,
        diabetes,
        None if weight is None else limits.significant_weight_loss.reached(weight),
        *cancer_history(
            history.cancer,
            history.radiotherapy,
            history.pelvic_radiotherapy_years_ago,
            history.anticoagulant,
            in_field,
        ),
        None if labs.inr is None else limits.inr_supratherapeutic.reached(labs.inr),
        None if history.recent_surgery is None else history.recent_surgery in PELVIC_SURGERY,
        None
        if history.delivery_weeks_ago is None
        else limits.recent_delivery.reached(history.delivery_weeks_ago),
        history.pregnant,
        history.delivery_instrumental,
        history.labour_prolonged,
        None if history.trauma is None else history.trauma in PELVIC_TRAUMA,
        history.gluteal_injection,
        history.injection_drug_use,
        _any_true(history.immunosuppressed, history.chemotherapy_recent),
        infection,
        history.fall,
        history.lay_immobile_for_hours,
        history.atrial_fibrillation,
        history.leg_crossing_or_squatting,
        symptoms.fever,
        None if tempo is None else tempo == "acute",
        None if tempo is None else tempo == "subacute",
        None if tempo is None else tempo == "chronic",
        None if score is None else limits.severe_pain.reached(score),
        None if score is None else limits.little_or_no_pain.reached(score),
        back,
        bilateral,
        _any_true(symptoms.bladder_bowel, symptoms.saddle_numbness, anal),
        _any_true(symptoms.pain_worse_lying_flat, symptoms.night_pain),
        symptoms.pain_on_hip_rotation,
        symptoms.pain_before_weakness,
        symptoms.cramps,
        symptoms.fasciculations_seen,
        symptoms.night_sweats,
        None if case.bmi is None else limits.obesity.reached(case.bmi),
        symptoms.dermatomal_rash,
        symptoms.cyclical_pain,
        symptoms.vascular_claudication,
        _any_true(symptoms.swelling_or_bruising, symptoms.tense_buttock_or_thigh),
        symptoms.pain_on_coughing,
        symptoms.spread_to_other_leg,
        symptoms.difficulty_rising_from_chair,
        limits.age_over_50.reached(case.age),
        SEX_IS_FEMALE.get(case.sex),
        symptoms.neurogenic_claudication,
        give_way,
        True if signs else (False if tested else None),
        any(grade != "present" for grade in pulses) if pulses else None,
        any(bool(result.myokymia) for result in needled) if needled else None,
        *imaging_features(case.imaging, kb),
        *_labs(case, kb),
    ]
    return [STATE[state] for state in states]


def imaging_features(findings: Sequence[ImagingFinding], kb: KnowledgeBase) -> list[bool | None]:
    """The imaging features of one case's findings: each kind seen is present; one not seen
    is absent where the regions imaged could show it (unknown with no imaging at all)."""
    if not findings:
        return [None] * len(IMAGING_FEATURES)
    seen = {finding.kind for finding in findings}
    shown = kb.site_and_cause.kinds_shown(frozenset(finding.region for finding in findings))
    return [
        True if kind in seen else (False if shown is None or kind in shown else None)
        for kind in IMAGING_FEATURES
    ]


def _labs(case: Case, kb: KnowledgeBase) -> list[bool | None]:
    limits, labs = kb.thresholds, case.labs
    markers = [
        limit.reached(value)
        for value, limit in ((labs.esr, limits.esr_raised), (labs.crp, limits.crp_raised))
        if value is not None
    ]
    ck: bool | None = None
    if labs.ck is not None:
        if limits.ck_raised.reached(labs.ck):
            ck = True
        elif limits.ck_normal.reached(labs.ck):
            ck = False
    return [
        any(markers) if markers else None,
        None
        if labs.white_cell_count is None
        else limits.leucocytosis.reached(labs.white_cell_count),
        None if labs.csf_protein is None else limits.csf_protein_raised.reached(labs.csf_protein),
        ck,
    ]


def feature_columns(
    cases: Sequence[Case], index: Mapping[str, int], kb: KnowledgeBase
) -> FloatArray:
    """Cases × features (`index`: feature id -> column): +1 present, -1 absent, 0 unknown;
    the same matrix as `etiology_features.feature_states`, without the reasons."""
    field = kb.site_and_cause.radiotherapy_field
    in_field = frozenset(field.regions) if field is not None else frozenset()
    rows = np.array([_row(case, kb, in_field) for case in cases], dtype=np.float64)
    rows = rows.reshape(len(cases), len(ORDER))
    matrix = np.zeros((len(cases), len(index)))
    pairs = [(position, index[f]) for position, f in enumerate(ORDER) if f in index]
    if pairs:
        positions, columns = (list(p) for p in zip(*pairs, strict=True))
        matrix[:, columns] = rows[:, positions]
    return matrix
