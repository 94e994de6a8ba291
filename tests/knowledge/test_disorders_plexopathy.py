"""The causes of lumbosacral plexopathy and the treatments shared across the knowledge base.

These tests read only the plexopathy-cause files, the two treatment files they own and the
vocabularies those files cite (that every citation resolves is the loader's own check, tested in
test_loader.py), so that this part of the knowledge base is checked on its own terms: what a
reviewing neurologist would insist on (a code, features with published frequencies, a work-up,
honest cautions) and the contrasts the engine relies on to tell one cause from another
(myokymia for radiation, severe pain for tumour).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plexcare.knowledge.loader import DATA_DIR, _collect
from plexcare.knowledge.model import (
    COMPOSITE_LESIONS,
    GENERALIZED_PATTERNS,
    Disorder,
    EtiologyFeature,
    Structure,
    Treatment,
)
from plexcare.knowledge.model import (
    Test as DiagnosticTest,
)

PLEXOPATHY_CAUSES: tuple[str, ...] = (
    "diabetic_lumbosacral_radiculoplexus_neuropathy",
    "nondiabetic_lumbosacral_radiculoplexus_neuropathy",
    "neoplastic_lumbosacral_plexopathy",
    "radiation_induced_lumbosacral_plexopathy",
    "retroperitoneal_haematoma_plexopathy",
    "psoas_abscess_plexopathy",
    "traumatic_lumbosacral_plexopathy",
    "obstetric_lumbosacral_trunk_injury",
    "surgical_and_positioning_plexopathy",
    "ischaemic_lumbosacral_plexopathy",
    "idiopathic_lumbosacral_plexitis",
    "vasculitic_and_autoimmune_plexopathy",
    "neurolymphomatosis",
    "nerve_sheath_tumour",
    "endometriosis_of_the_sciatic_nerve",
    "aortoiliac_aneurysm_plexopathy",
    "gluteal_or_thigh_compartment_syndrome",
    "injection_nerve_injury",
)

SHARED_TREATMENTS: frozenset[str] = frozenset(
    {
        "gabapentin",
        "pregabalin",
        "duloxetine",
        "amitriptyline",
        "nortriptyline",
        "topical_lidocaine",
        "paracetamol",
        "nsaid",
        "tramadol",
        "physiotherapy",
        "ankle_foot_orthosis",
        "knee_ankle_foot_orthosis",
        "walking_aid",
        "occupational_therapy",
        "falls_prevention",
        "pain_clinic_referral",
        "neurology_follow_up",
        "glycaemic_control",
    }
)

TREATMENT_FILES: tuple[Path, ...] = (
    DATA_DIR / "treatments" / "common.yaml",
    DATA_DIR / "treatments" / "plexopathy.yaml",
    DATA_DIR / "treatments" / "mimics.yaml",
    DATA_DIR / "treatments" / "cancer_infection_and_prevention.yaml",
)


@pytest.fixture(scope="module")
def causes() -> dict[str, Disorder]:
    paths = [DATA_DIR / "disorders" / f"{cause}.yaml" for cause in PLEXOPATHY_CAUSES]
    return _collect(Disorder, paths, DATA_DIR, {})


@pytest.fixture(scope="module")
def treatments() -> dict[str, Treatment]:
    return _collect(Treatment, TREATMENT_FILES, DATA_DIR, {})


@pytest.fixture(scope="module")
def shared_treatments() -> dict[str, Treatment]:
    return _collect(Treatment, TREATMENT_FILES[:1], DATA_DIR, {})


@pytest.fixture(scope="module")
def features() -> dict[str, EtiologyFeature]:
    return _collect(EtiologyFeature, [DATA_DIR / "etiology_features.yaml"], DATA_DIR, {})


@pytest.fixture(scope="module")
def tests() -> dict[str, DiagnosticTest]:
    return _collect(DiagnosticTest, [DATA_DIR / "tests.yaml"], DATA_DIR, {})


@pytest.fixture(scope="module")
def lesion_candidates() -> frozenset[str]:
    structures = _collect(Structure, [DATA_DIR / "anatomy" / "structures.yaml"], DATA_DIR, {})
    sites = {key for key, structure in structures.items() if structure.lesion_site}
    return frozenset(sites | set(COMPOSITE_LESIONS) | set(GENERALIZED_PATTERNS))


def _frequency(disorder: Disorder, feature: str) -> float:
    matches = [item.frequency for item in disorder.features if item.feature == feature]
    assert len(matches) == 1, f"{disorder.id} should state {feature} exactly once"
    return matches[0]


def _caution(treatments: dict[str, Treatment], treatment: str, condition: str) -> str:
    severities = [c.severity for c in treatments[treatment].cautions if c.condition == condition]
    assert severities, f"{treatment} has no caution for {condition}"
    return severities[0]


def test_every_plexopathy_cause_is_filed_as_a_cause_with_a_billable_looking_icd10_code(
    causes: dict[str, Disorder],
) -> None:
    assert set(causes) == set(PLEXOPATHY_CAUSES)
    for disorder in causes.values():
        assert disorder.category == "plexopathy_cause"
        assert disorder.icd10, disorder.id


def test_every_plexopathy_cause_has_six_features_treatments_and_a_prognosis(
    causes: dict[str, Disorder],
) -> None:
    assert set(causes) == set(PLEXOPATHY_CAUSES)
    for disorder in causes.values():
        assert len(disorder.features) >= 6, disorder.id
        assert disorder.treatments, disorder.id
        assert disorder.prognosis, disorder.id


def test_no_cause_lists_a_feature_twice(causes: dict[str, Disorder]) -> None:
    for disorder in causes.values():
        named = [item.feature for item in disorder.features]
        assert len(named) == len(set(named)), disorder.id


def test_no_feature_frequency_is_certain_so_one_unrecorded_finding_cannot_rule_a_cause_out(
    causes: dict[str, Disorder],
) -> None:
    for disorder in causes.values():
        for item in disorder.features:
            assert 0.0 < item.frequency < 1.0, (disorder.id, item.feature)


def test_every_id_a_cause_names_exists_in_the_vocabularies(
    causes: dict[str, Disorder],
    treatments: dict[str, Treatment],
    features: dict[str, EtiologyFeature],
    tests: dict[str, DiagnosticTest],
    lesion_candidates: frozenset[str],
) -> None:
    for disorder in causes.values():
        assert set(disorder.localizations) <= lesion_candidates, disorder.id
        assert {item.feature for item in disorder.features} <= set(features), disorder.id
        assert {item.test for item in disorder.workup} <= set(tests), disorder.id
        assert {use.treatment for use in disorder.treatments} <= set(treatments), disorder.id


def test_diabetic_amyotrophy_is_coded_e11_44_and_usually_brings_weight_loss(
    causes: dict[str, Disorder],
) -> None:
    diabetic = causes["diabetic_lumbosacral_radiculoplexus_neuropathy"]
    assert "E11.44" in diabetic.icd10
    assert _frequency(diabetic, "recent_weight_loss") >= 0.5
    assert _frequency(diabetic, "diabetes") > 0.9


def test_diabetes_separates_the_diabetic_from_the_non_diabetic_radiculoplexus_neuropathy(
    causes: dict[str, Disorder],
) -> None:
    diabetic = causes["diabetic_lumbosacral_radiculoplexus_neuropathy"]
    nondiabetic = causes["nondiabetic_lumbosacral_radiculoplexus_neuropathy"]
    assert _frequency(diabetic, "diabetes") > 10 * _frequency(nondiabetic, "diabetes")


def test_myokymia_is_more_frequent_after_radiation_than_with_tumour(
    causes: dict[str, Disorder],
) -> None:
    radiation = causes["radiation_induced_lumbosacral_plexopathy"]
    tumour = causes["neoplastic_lumbosacral_plexopathy"]
    assert _frequency(radiation, "emg_myokymia") > _frequency(tumour, "emg_myokymia")


def test_severe_pain_is_more_frequent_with_tumour_than_after_radiation(
    causes: dict[str, Disorder],
) -> None:
    radiation = causes["radiation_induced_lumbosacral_plexopathy"]
    tumour = causes["neoplastic_lumbosacral_plexopathy"]
    assert _frequency(tumour, "severe_pain") > _frequency(radiation, "severe_pain")
    assert _frequency(radiation, "bilateral") > _frequency(tumour, "bilateral")


def test_the_onset_frequencies_of_every_cause_add_up_to_one(
    causes: dict[str, Disorder],
) -> None:
    """Onset is acute, subacute or chronic, never two at once, so a cause that left one out
    would borrow its base rate and claim more than certainty."""
    for disorder in causes.values():
        total = sum(
            _frequency(disorder, onset)
            for onset in ("onset_acute", "onset_subacute", "onset_chronic")
        )
        assert total == pytest.approx(1.0), disorder.id


def test_the_haematoma_workup_starts_with_same_hour_imaging_and_clotting(
    causes: dict[str, Disorder],
) -> None:
    emergencies = {
        item.test
        for item in causes["retroperitoneal_haematoma_plexopathy"].workup
        if item.priority == "emergency"
    }
    assert {"ct_abdomen_pelvis", "coagulation_screen"} <= emergencies


def test_the_shared_treatment_file_holds_exactly_the_ids_other_files_rely_on(
    shared_treatments: dict[str, Treatment],
) -> None:
    assert set(shared_treatments) == SHARED_TREATMENTS


@pytest.mark.parametrize("drug", ["gabapentin", "pregabalin"])
def test_gabapentinoids_need_a_lower_dose_in_renal_impairment(
    treatments: dict[str, Treatment], drug: str
) -> None:
    assert _caution(treatments, drug, "renal_impairment") == "adjust_dose"
    assert _caution(treatments, drug, "older_adult") == "monitor"


def test_nsaids_are_contraindicated_with_anticoagulants_ulcers_and_heart_failure(
    treatments: dict[str, Treatment],
) -> None:
    for condition in ("anticoagulated", "peptic_ulcer", "heart_failure"):
        assert _caution(treatments, "nsaid", condition) == "contraindicated"


def test_duloxetine_is_avoided_in_severe_renal_impairment(
    treatments: dict[str, Treatment],
) -> None:
    assert _caution(treatments, "duloxetine", "severe_renal_impairment") == "contraindicated"


@pytest.mark.parametrize("drug", ["amitriptyline", "nortriptyline"])
def test_tricyclics_carry_older_adult_and_cardiac_cautions(
    treatments: dict[str, Treatment], drug: str
) -> None:
    assert _caution(treatments, drug, "older_adult") in {"adjust_dose", "contraindicated"}
    assert _caution(treatments, drug, "heart_failure")


@pytest.mark.parametrize("steroid", ["iv_methylprednisolone", "oral_prednisolone"])
def test_steroids_change_diabetes_treatment_and_wait_for_infection_to_be_treated(
    treatments: dict[str, Treatment], steroid: str
) -> None:
    assert _caution(treatments, steroid, "diabetes") == "monitor"
    assert _caution(treatments, steroid, "active_infection") == "contraindicated"


def test_immunotherapy_for_diabetic_amyotrophy_states_that_randomised_evidence_is_lacking(
    treatments: dict[str, Treatment],
) -> None:
    evidence = treatments["iv_methylprednisolone"].evidence.lower()
    assert "cochrane" in evidence
    assert "no published randomised evidence" in evidence


@pytest.mark.parametrize(
    ("treatment", "movements"),
    [
        ("ankle_foot_orthosis", {"ankle_dorsiflexion"}),
        ("knee_ankle_foot_orthosis", {"knee_extension"}),
        ("walking_aid", {"hip_flexion", "knee_extension", "hip_abduction"}),
        ("falls_prevention", {"knee_extension", "ankle_dorsiflexion"}),
        (
            "physiotherapy",
            {
                "hip_flexion",
                "hip_abduction",
                "knee_extension",
                "ankle_dorsiflexion",
                "plantar_flexion",
            },
        ),
    ],
)
def test_rehabilitation_is_offered_for_the_weakness_it_treats(
    treatments: dict[str, Treatment], treatment: str, movements: set[str]
) -> None:
    offered = treatments[treatment]
    assert movements <= set(offered.indicated_when_weak)
    assert offered.indicated_below_mrc >= 4
