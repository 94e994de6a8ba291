"""The vocabulary clinicians record (issue 11, item 4), and how each fact moves the answer.

Each test is a clinical situation: the same patient with one fact recorded differently, read
through `assess` the way a clinician reads the report. Every fact moves the posterior through
a cited frequency in the knowledge base, so the tests compare probabilities, not constants.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from plexcare.engine import Assessment, assess
from plexcare.engine.case import Case
from plexcare.engine.etiology_features import IMAGING_FEATURES, derive_etiology_findings
from plexcare.knowledge.model import KnowledgeBase

VIGNETTES = Path(__file__).parent / "vignettes"
RADIATION = "radiation_induced_lumbosacral_plexopathy"
NEOPLASTIC = "neoplastic_lumbosacral_plexopathy"
HIP = "hip_joint_disease"
ABSCESS = "psoas_abscess_plexopathy"
EPIDURAL = "spinal_epidural_abscess"
HAEMATOMA = "retroperitoneal_haematoma_plexopathy"
CAUDA = "cauda_equina_syndrome"


def _raw(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((VIGNETTES / name).read_text())
    return loaded


def _assess(raw: dict[str, Any], kb: KnowledgeBase) -> Assessment:
    return assess(Case.model_validate(raw), kb)


def _cause(result: Assessment, disorder: str) -> float:
    return next(c.probability for c in result.etiology if c.disorder == disorder)


def _site(result: Assessment, lesion: str) -> float:
    return sum(c.probability for c in result.localization.candidates if c.id == lesion)


def _with(raw: dict[str, Any], section: str, **values: Any) -> dict[str, Any]:
    edited = copy.deepcopy(raw)
    edited.setdefault(section, {}).update(values)
    return edited


def _minimal(**history: Any) -> Case:
    return Case.model_validate({"age": 60, "sex": "female", "history": history})


# --- Cancer: none, past, active, unknown ------------------------------------------------------


@pytest.mark.parametrize(
    ("cancer", "history_state", "active_state"),
    [
        ("none", "absent", "unknown"),
        ({"status": "past", "site": "rectum"}, "present", "absent"),
        ({"status": "active", "site": "cervix"}, "present", "present"),
        ("unknown", "unknown", "unknown"),
    ],
)
def test_cancer_is_recorded_as_none_past_active_or_unknown(
    cancer: Any, history_state: str, active_state: str, kb: KnowledgeBase
) -> None:
    found = derive_etiology_findings(_minimal(cancer=cancer), kb)
    assert found.state("cancer_history") == history_state
    assert found.state("cancer_active") == active_state


@pytest.mark.parametrize(
    ("older", "status"),
    [
        ({"site": "prostate", "active": True}, "active"),
        ({"site": "endometrium", "active": False}, "past"),
        ({"site": "lung"}, "active"),
    ],
)
def test_older_cases_cancer_boolean_is_read_as_the_status(older: Any, status: str) -> None:
    assert _minimal(cancer=older).history.cancer is not None
    assert _minimal(cancer=older).history.cancer.status == status  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "contradiction",
    [
        {"status": "none", "site": "breast"},
        {"status": "past", "active": True},
        {"status": "sometimes"},
    ],
)
def test_a_contradictory_cancer_record_is_refused_naming_the_field(contradiction: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        _minimal(cancer=contradiction)
    assert "cancer" in str(refused.value)


def test_a_tumour_recurrence_is_likelier_with_active_than_with_past_cancer(
    kb: KnowledgeBase,
) -> None:
    """Painful sacral plexopathy after rectal cancer: recorded as active cancer, tumour
    recurrence gains; recorded as in remission, radiation plexopathy keeps more of its share."""
    raw = _raw("tumour_recurrence_painful_sacral_plexus.yaml")
    active = _assess(_with(raw, "history", cancer={"status": "active", "site": "rectum"}), kb)
    past = _assess(_with(raw, "history", cancer={"status": "past", "site": "rectum"}), kb)
    assert _cause(active, NEOPLASTIC) > _cause(past, NEOPLASTIC)
    assert _cause(active, RADIATION) < _cause(past, RADIATION)


# --- Radiotherapy: none, unknown, given to a region -------------------------------------------


def test_radiotherapy_recorded_as_none_excludes_radiation_plexopathy(kb: KnowledgeBase) -> None:
    raw = _raw("radiation_plexopathy_late_painless.yaml")
    raw["history"].pop("pelvic_radiotherapy_years_ago")
    none = _assess(_with(raw, "history", radiotherapy="none"), kb)
    unknown = _assess(_with(raw, "history", radiotherapy="unknown"), kb)
    pelvis = _assess(
        _with(
            raw, "history", radiotherapy={"status": "given", "region": "pelvis", "years_ago": 14}
        ),
        kb,
    )
    assert _cause(none, RADIATION) < 1e-6 < _cause(unknown, RADIATION) < _cause(pelvis, RADIATION)
    assert pelvis.leading_cause == RADIATION
    assert none.leading_cause != RADIATION


def test_radiotherapy_outside_the_plexus_field_counts_as_none_for_the_plexus(
    kb: KnowledgeBase,
) -> None:
    """Breast radiotherapy does not reach the lumbosacral plexus."""
    raw = _raw("radiation_plexopathy_late_painless.yaml")
    raw["history"].pop("pelvic_radiotherapy_years_ago")
    breast = _with(raw, "history", radiotherapy={"status": "given", "region": "breast_or_chest"})
    result = _assess(breast, kb)
    assert _cause(result, RADIATION) < 1e-6
    found = derive_etiology_findings(Case.model_validate(breast), kb)
    assert "outside the plexus" in found.reasons["pelvic_radiotherapy"]


def test_radiotherapy_details_need_it_to_have_been_given() -> None:
    with pytest.raises(ValidationError, match="radiotherapy"):
        _minimal(radiotherapy={"status": "none", "region": "pelvis"})


def test_older_pelvic_radiotherapy_years_contradicting_none_is_refused() -> None:
    with pytest.raises(ValidationError, match="pelvic_radiotherapy_years_ago"):
        _minimal(radiotherapy="none", pelvic_radiotherapy_years_ago=5)


# --- Infection risks, each its own fact ---------------------------------------------------------


def test_injection_drug_use_immunosuppression_and_recent_infection_are_separate_facts(
    kb: KnowledgeBase,
) -> None:
    drugs = derive_etiology_findings(_minimal(injection_drug_use=True), kb)
    assert drugs.state("injection_drug_use") == "present"
    assert drugs.state("immunosuppressed") == "unknown"
    assert drugs.state("recent_infection") == "unknown"
    chemo = derive_etiology_findings(_minimal(chemotherapy_recent=True), kb)
    assert chemo.state("immunosuppressed") == "present"
    assert "recent chemotherapy" in chemo.reasons["immunosuppressed"]


def test_older_cases_catch_all_infection_risk_reads_as_a_recent_infection(
    kb: KnowledgeBase,
) -> None:
    older = derive_etiology_findings(_minimal(infection_risk=True), kb)
    assert older.state("recent_infection") == "present"
    stated = derive_etiology_findings(_minimal(infection_risk=True, recent_infection=False), kb)
    assert stated.state("recent_infection") == "absent"


def test_injection_drug_use_raises_a_psoas_abscess_against_a_haematoma(kb: KnowledgeBase) -> None:
    raw = _raw("psoas_abscess_injection_drug_use.yaml")
    raw["imaging"] = []
    with_drugs = _assess(raw, kb)
    denied = _assess(_with(raw, "history", injection_drug_use=False), kb)
    assert _cause(with_drugs, ABSCESS) / _cause(with_drugs, HAEMATOMA) > 5 * (
        _cause(denied, ABSCESS) / _cause(denied, HAEMATOMA)
    )


# --- Sex, pregnancy and childbirth --------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "field"),
    [
        ({"pregnant": True}, "history.pregnant"),
        ({"delivery_weeks_ago": 3}, "delivery_weeks_ago"),
        ({"delivery_instrumental": True}, "delivery_instrumental"),
    ],
)
def test_pregnancy_or_childbirth_recorded_for_a_man_is_refused_naming_the_field(
    history: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        Case.model_validate({"age": 30, "sex": "male", "history": history})


# --- History facts: night pain, hip rotation, a fall, the buttock injection ----------------------


def test_pain_on_hip_rotation_points_to_the_hip_when_the_studies_are_normal(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("hip_osteoarthritis_normal_studies.yaml")
    raw["imaging"] = []
    asked = _cause(_assess(_with(raw, "symptoms", pain_on_hip_rotation=True), kb), HIP)
    denied = _cause(_assess(_with(raw, "symptoms", pain_on_hip_rotation=False), kb), HIP)
    assert asked > denied


def test_night_pain_favours_a_tumour_over_a_disc(kb: KnowledgeBase) -> None:
    raw = _raw("tumour_recurrence_painful_sacral_plexus.yaml")
    night = _assess(_with(raw, "symptoms", night_pain=True), kb)
    none = _assess(_with(raw, "symptoms", night_pain=False, pain_worse_lying_flat=False), kb)
    assert _cause(night, NEOPLASTIC) > _cause(none, NEOPLASTIC)
    found = derive_etiology_findings(
        Case.model_validate(_with(raw, "symptoms", pain_worse_lying_flat=True)), kb
    )
    assert found.reasons["night_or_lying_pain"] == "pain worse lying flat"


def test_a_fall_and_a_buttock_injection_are_recorded_facts(kb: KnowledgeBase) -> None:
    found = derive_etiology_findings(_minimal(fall=True, gluteal_injection=False), kb)
    assert found.state("fall") == "present"
    assert found.state("gluteal_injection") == "absent"


# --- Blood counts --------------------------------------------------------------------------------


def test_a_raised_white_cell_count_raises_spinal_infection_against_a_disc(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("spinal_epidural_abscess_cauda.yaml")
    high = _assess(_with(raw, "labs", white_cell_count=16.5), kb)
    normal = _assess(_with(raw, "labs", white_cell_count=7.0), kb)
    assert _cause(high, EPIDURAL) / _cause(high, CAUDA) > 3 * (
        _cause(normal, EPIDURAL) / _cause(normal, CAUDA)
    )
    found = derive_etiology_findings(
        Case.model_validate(_with(raw, "labs", white_cell_count=7)), kb
    )
    assert found.reasons["leucocytosis"] == "white cell count 7 x10^9/L"


# --- Imaging: new findings, and the region a study covered ---------------------------------------


def test_every_imaging_kind_of_the_case_has_its_feature_in_the_knowledge_base(
    kb: KnowledgeBase,
) -> None:
    listed = {entry.kind: entry.feature for entry in kb.site_and_cause.imaging_kinds}
    assert listed == dict(IMAGING_FEATURES)
    assert set(IMAGING_FEATURES.values()) <= set(kb.etiology_features)


def test_radiation_fibrosis_on_imaging_favours_radiation_over_recurrence(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("tumour_recurrence_painful_sacral_plexus.yaml")
    fibrosis = copy.deepcopy(raw)
    fibrosis["imaging"] = [{"kind": "radiation_fibrosis", "level": "sacral plexus", "side": "left"}]
    normal = copy.deepcopy(raw)
    normal["imaging"] = [{"kind": "normal", "region": "pelvis"}]
    with_fibrosis, without = _assess(fibrosis, kb), _assess(normal, kb)
    ratio_fibrosis = _cause(with_fibrosis, RADIATION) / _cause(with_fibrosis, NEOPLASTIC)
    ratio_normal = _cause(without, RADIATION) / _cause(without, NEOPLASTIC)
    assert ratio_fibrosis > 2 * ratio_normal


def test_a_normal_lumbar_mri_says_nothing_of_a_pelvic_tumour_but_a_normal_pelvic_mri_does(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("tumour_recurrence_painful_sacral_plexus.yaml")
    lumbar, pelvic = copy.deepcopy(raw), copy.deepcopy(raw)
    lumbar["imaging"] = [{"kind": "normal", "region": "lumbar_spine"}]
    pelvic["imaging"] = [{"kind": "normal", "region": "pelvis"}]
    none = copy.deepcopy(raw)
    none["imaging"] = []
    tumour_after_lumbar = _cause(_assess(lumbar, kb), NEOPLASTIC)
    assert tumour_after_lumbar == pytest.approx(_cause(_assess(none, kb), NEOPLASTIC), rel=0.05)
    assert _cause(_assess(pelvic, kb), NEOPLASTIC) < 0.8 * tumour_after_lumbar
    found = derive_etiology_findings(Case.model_validate(lumbar), kb)
    assert found.state("imaging_mass") == "unknown"
    assert found.state("imaging_haematoma") == "unknown"
    assert found.state("imaging_disc_herniation") == "absent"


def test_a_bakers_cyst_moves_the_lesion_to_the_tibial_nerve_at_the_knee(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("tibial_neuropathy_popliteal_cyst.yaml")
    cyst = copy.deepcopy(raw)
    cyst["imaging"] = [{"kind": "bakers_cyst", "level": "popliteal fossa", "side": "right"}]
    plain = copy.deepcopy(raw)
    plain["imaging"] = []
    assert _site(_assess(cyst, kb), "tibial_in_popliteal_fossa") > _site(
        _assess(plain, kb), "tibial_in_popliteal_fossa"
    )


def test_enlarged_nodes_raise_a_tumour_and_degenerative_change_does_not_make_a_disc(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("neoplastic_upper_plexus_nodal_mass.yaml")
    nodes = copy.deepcopy(raw)
    nodes["imaging"] = [{"kind": "lymphadenopathy", "level": "retroperitoneal", "side": "left"}]
    nothing = copy.deepcopy(raw)
    nothing["imaging"] = [{"kind": "normal", "region": "abdomen"}]
    assert _cause(_assess(nodes, kb), NEOPLASTIC) > _cause(_assess(nothing, kb), NEOPLASTIC)
    disc = _raw("s1_radiculopathy_acute_sciatica_mri.yaml")
    degenerate = copy.deepcopy(disc)
    degenerate["imaging"] = [
        {"kind": "degenerative_without_compression", "level": "L5-S1", "region": "lumbar_spine"}
    ]
    found = derive_etiology_findings(Case.model_validate(degenerate), kb)
    assert found.state("imaging_disc_herniation") == "absent"
    assert found.state("imaging_degenerative") == "present"


def test_each_new_case_field_has_a_description_for_the_form(kb: KnowledgeBase) -> None:
    schema = Case.model_json_schema()
    defs = schema["$defs"]
    for model, fields in {
        "History": ("cancer", "radiotherapy", "recent_infection", "fall", "injection_drug_use"),
        "Symptoms": ("pain_worse_lying_flat", "night_pain", "pain_on_hip_rotation"),
        "Labs": ("white_cell_count",),
        "ImagingFinding": ("kind", "level", "side", "region"),
        "Cancer": ("status", "site"),
        "Radiotherapy": ("status", "region", "years_ago"),
    }.items():
        for name in fields:
            assert defs[model]["properties"][name].get("description"), f"{model}.{name}"


# --- Labour, obesity, cramps and twitching, pain before weakness, night sweats ------------------


def test_a_forceps_delivery_after_a_long_labour_raises_the_obstetric_injury(
    kb: KnowledgeBase,
) -> None:
    raw = _raw("obstetric_lumbosacral_trunk_forceps_week_four.yaml")
    hard = _assess(_with(raw, "history", delivery_instrumental=True, labour_prolonged=True), kb)
    easy = _assess(_with(raw, "history", delivery_instrumental=False, labour_prolonged=False), kb)
    obstetric = "obstetric_lumbosacral_trunk_injury"
    assert _cause(hard, obstetric) > _cause(easy, obstetric)


def test_obesity_raises_meralgia_paraesthetica(kb: KnowledgeBase) -> None:
    raw = _raw("meralgia_paresthetica_low_lfcn_snap.yaml")
    heavy = _cause(_assess({**raw, "bmi": 36}, kb), "meralgia_paresthetica")
    slim = _cause(_assess({**raw, "bmi": 22}, kb), "meralgia_paresthetica")
    assert heavy > slim
    found = derive_etiology_findings(Case.model_validate({**raw, "bmi": 36}), kb)
    assert found.reasons["obesity"] == "BMI 36"


def test_cramps_and_twitching_favour_motor_neuron_disease(kb: KnowledgeBase) -> None:
    raw = _raw("mnd_mimicking_plexopathy.yaml")
    told = _assess(_with(raw, "symptoms", cramps=True, fasciculations_seen=True), kb)
    denied = _assess(_with(raw, "symptoms", cramps=False, fasciculations_seen=False), kb)
    assert _cause(told, "motor_neuron_disease") > _cause(denied, "motor_neuron_disease")


def test_pain_before_weakness_favours_a_tumour_over_radiation(kb: KnowledgeBase) -> None:
    raw = _raw("tumour_recurrence_painful_sacral_plexus.yaml")
    first = _assess(_with(raw, "symptoms", pain_before_weakness=True), kb)
    later = _assess(_with(raw, "symptoms", pain_before_weakness=False), kb)
    assert _cause(first, NEOPLASTIC) / _cause(first, RADIATION) > _cause(
        later, NEOPLASTIC
    ) / _cause(later, RADIATION)


def test_night_sweats_raise_neurolymphomatosis(kb: KnowledgeBase) -> None:
    raw = _raw("neurolymphomatosis_sacral_plexus.yaml")
    sweats = _cause(_assess(_with(raw, "symptoms", night_sweats=True), kb), "neurolymphomatosis")
    none = _cause(_assess(_with(raw, "symptoms", night_sweats=False), kb), "neurolymphomatosis")
    assert sweats > none


def test_pregnancy_raises_meralgia_paraesthetica_in_a_woman(kb: KnowledgeBase) -> None:
    raw = _raw("meralgia_paresthetica_low_lfcn_snap.yaml")
    if raw["sex"] != "female":
        raw["sex"] = "female"
    pregnant = _cause(_assess(_with(raw, "history", pregnant=True), kb), "meralgia_paresthetica")
    not_pregnant = _cause(
        _assess(_with(raw, "history", pregnant=False), kb), "meralgia_paresthetica"
    )
    assert pregnant > not_pregnant
