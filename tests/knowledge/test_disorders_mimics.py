"""The conditions lumbosacral plexopathy must be told apart from: complete, cited and safe.

Only the mimic files (and the lead's stable vocabularies they point into) are loaded here, so
these tests do not depend on knowledge-base files other people are still writing; the full
cross-check runs in the loader's own tests.
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

REQUIRED_MIMICS: frozenset[str] = frozenset(
    {
        "upper_lumbar_radiculopathy",
        "l5_radiculopathy",
        "s1_radiculopathy",
        "cauda_equina_syndrome",
        "lumbar_spinal_stenosis",
        "femoral_neuropathy",
        "obturator_neuropathy",
        "meralgia_paresthetica",
        "sciatic_neuropathy",
        "common_fibular_neuropathy",
        "tibial_neuropathy",
        "gluteal_neuropathy",
        "length_dependent_polyneuropathy",
        "cidp",
        "motor_neuron_disease",
        "myopathy",
        "hip_joint_disease",
    }
)
MIMIC_IDS: tuple[str, ...] = (*sorted(REQUIRED_MIMICS), "spinal_epidural_abscess")

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
"""Ids defined in treatments/common.yaml, which the mimics may use."""

CHECKED_ICD10_CM_CODES: frozenset[str] = frozenset(
    {
        "M54.16", "M54.17", "M51.16", "M51.17",
        "G83.4",
        "M48.061", "M48.062", "M48.07",
        "G06.1", "M46.26", "M46.46",
        "G57.00", "G57.01", "G57.02", "G57.03",
        "G57.10", "G57.11", "G57.12", "G57.13",
        "G57.20", "G57.21", "G57.22", "G57.23",
        "G57.30", "G57.31", "G57.32", "G57.33",
        "G57.40", "G57.41", "G57.42", "G57.43",
        "G57.50", "G57.51", "G57.52", "G57.53",
        "G57.80", "G57.81", "G57.82", "G57.83",
        "G62.9", "G62.1", "E11.42", "E10.42",
        "G61.81",
        "G12.20", "G12.21",
        "G72.9", "G72.0", "G72.41",
        "M16.0", "M16.11", "M16.12", "M16.9", "M25.551", "M25.552",
    }
)  # fmt: skip
"""Billable ICD-10-CM codes checked by hand against the FY2025 tabular list."""

ONSET_FEATURES: tuple[str, ...] = ("onset_acute", "onset_subacute", "onset_chronic")
GABAPENTINOIDS: frozenset[str] = frozenset({"gabapentin", "pregabalin"})

DISORDER_DIR = DATA_DIR / "disorders"


def _mimic_path(mimic_id: str) -> Path:
    return DISORDER_DIR / f"{mimic_id}.yaml"


MIMICS: dict[str, Disorder] = _collect(
    Disorder, [_mimic_path(mimic_id) for mimic_id in MIMIC_IDS], DATA_DIR, {}
)
MIMIC_TREATMENTS: dict[str, Treatment] = _collect(
    Treatment, [DATA_DIR / "treatments" / "mimics.yaml"], DATA_DIR, {}
)
FEATURES: dict[str, EtiologyFeature] = _collect(
    EtiologyFeature, [DATA_DIR / "etiology_features.yaml"], DATA_DIR, {}
)
TESTS: dict[str, DiagnosticTest] = _collect(DiagnosticTest, [DATA_DIR / "tests.yaml"], DATA_DIR, {})
STRUCTURES: dict[str, Structure] = _collect(
    Structure, [DATA_DIR / "anatomy" / "structures.yaml"], DATA_DIR, {}
)
LESION_CANDIDATES: frozenset[str] = frozenset(
    {key for key, structure in STRUCTURES.items() if structure.lesion_site}
    | set(COMPOSITE_LESIONS)
    | set(GENERALIZED_PATTERNS)
)


def _frequency(disorder: Disorder, feature: str) -> float | None:
    return next((f.frequency for f in disorder.features if f.feature == feature), None)


@pytest.mark.parametrize("mimic_id", sorted(REQUIRED_MIMICS))
def test_every_required_mimic_has_its_own_file_named_after_its_id(mimic_id: str) -> None:
    path = _mimic_path(mimic_id)
    assert path.exists(), f"missing {path.name}"
    entries = _collect(Disorder, [path], DATA_DIR, {})
    assert list(entries) == [mimic_id]
    assert entries[mimic_id].category == "mimic"


def test_the_mimic_set_covers_every_condition_the_differential_needs() -> None:
    assert set(MIMICS) >= REQUIRED_MIMICS
    assert all(disorder.category == "mimic" for disorder in MIMICS.values())


@pytest.mark.parametrize("mimic_id", MIMIC_IDS)
def test_every_mimic_carries_checked_icd10_cm_codes(mimic_id: str) -> None:
    codes = set(MIMICS[mimic_id].icd10)
    assert codes, "no ICD-10 code"
    assert codes <= CHECKED_ICD10_CM_CODES, codes - CHECKED_ICD10_CM_CODES


@pytest.mark.parametrize("mimic_id", MIMIC_IDS)
def test_every_mimic_states_at_least_six_features_from_the_vocabulary(mimic_id: str) -> None:
    features = [f.feature for f in MIMICS[mimic_id].features]
    assert len(features) >= 6
    assert len(set(features)) == len(features), "a feature is listed twice"
    assert set(features) <= set(FEATURES), set(features) - set(FEATURES)


@pytest.mark.parametrize("mimic_id", MIMIC_IDS)
def test_onset_frequencies_of_a_mimic_are_exclusive_and_add_up_to_at_most_one(
    mimic_id: str,
) -> None:
    total = sum(_frequency(MIMICS[mimic_id], onset) or 0.0 for onset in ONSET_FEATURES)
    assert total <= 1.0 + 1e-9


@pytest.mark.parametrize("mimic_id", MIMIC_IDS)
def test_every_mimic_cites_the_code_set_its_icd10_codes_come_from(mimic_id: str) -> None:
    assert "icd10cm_2025" in MIMICS[mimic_id].sources


@pytest.mark.parametrize("mimic_id", MIMIC_IDS)
def test_every_mimic_has_a_workup_of_known_tests(mimic_id: str) -> None:
    workup = MIMICS[mimic_id].workup
    assert workup
    assert {item.test for item in workup} <= set(TESTS)


@pytest.mark.parametrize("mimic_id", MIMIC_IDS)
def test_every_mimic_localizes_to_lesion_candidates_the_engine_knows(mimic_id: str) -> None:
    assert set(MIMICS[mimic_id].localizations) <= LESION_CANDIDATES


@pytest.mark.parametrize("mimic_id", MIMIC_IDS)
def test_every_treatment_a_mimic_uses_is_defined(mimic_id: str) -> None:
    used = {use.treatment for use in MIMICS[mimic_id].treatments}
    assert used <= set(MIMIC_TREATMENTS) | SHARED_TREATMENTS


def test_mimic_treatments_do_not_redefine_shared_ones() -> None:
    assert not set(MIMIC_TREATMENTS) & SHARED_TREATMENTS


def test_cauda_equina_workup_starts_with_an_emergency_mri() -> None:
    first = MIMICS["cauda_equina_syndrome"].workup[0]
    assert first.test == "mri_lumbar_spine_emergency"
    assert first.priority == "emergency"


def test_sphincter_dysfunction_dominates_the_cauda_equina_picture() -> None:
    frequency = _frequency(MIMICS["cauda_equina_syndrome"], "sphincter_dysfunction")
    assert frequency is not None
    assert frequency >= 0.9 > FEATURES["sphincter_dysfunction"].base_rate


def test_spinal_infection_workup_starts_with_an_emergency_test() -> None:
    assert MIMICS["spinal_epidural_abscess"].workup[0].priority == "emergency"


@pytest.mark.parametrize(
    "mimic_id", ["upper_lumbar_radiculopathy", "l5_radiculopathy", "s1_radiculopathy"]
)
def test_radiculopathies_do_not_offer_gabapentinoids_for_sciatica(mimic_id: str) -> None:
    used = {use.treatment for use in MIMICS[mimic_id].treatments}
    assert not used & GABAPENTINOIDS


def test_motor_neuron_disease_is_painless_with_upper_motor_neuron_signs() -> None:
    mnd = MIMICS["motor_neuron_disease"]
    for feature in ("painless", "upper_motor_neuron_signs"):
        frequency = _frequency(mnd, feature)
        assert frequency is not None and frequency >= 0.8, feature
        assert frequency > FEATURES[feature].base_rate


def test_common_fibular_neuropathy_localizes_to_the_fibular_head() -> None:
    assert MIMICS["common_fibular_neuropathy"].localizations == ("common_fibular_at_fibular_head",)


def test_l5_radiculopathy_makes_a_disc_herniation_on_imaging_more_likely() -> None:
    frequency = _frequency(MIMICS["l5_radiculopathy"], "imaging_disc_herniation")
    assert frequency is not None
    assert frequency > FEATURES["imaging_disc_herniation"].base_rate


def test_spinal_stenosis_is_marked_by_neurogenic_claudication_in_older_adults() -> None:
    stenosis = MIMICS["lumbar_spinal_stenosis"]
    for feature in ("neurogenic_claudication", "age_over_50", "imaging_stenosis"):
        frequency = _frequency(stenosis, feature)
        assert frequency is not None and frequency > FEATURES[feature].base_rate, feature


def test_cidp_raises_csf_protein_and_myopathy_raises_ck() -> None:
    cidp_csf = _frequency(MIMICS["cidp"], "csf_protein_raised")
    myopathy_ck = _frequency(MIMICS["myopathy"], "ck_raised")
    assert cidp_csf is not None and cidp_csf > FEATURES["csf_protein_raised"].base_rate
    assert myopathy_ck is not None and myopathy_ck > FEATURES["ck_raised"].base_rate


def test_hip_joint_disease_has_no_neuromuscular_lesion() -> None:
    assert MIMICS["hip_joint_disease"].localizations == ("no_neuromuscular_lesion",)


def test_radiculopathy_and_polyneuropathy_are_commoner_than_any_single_nerve_lesion() -> None:
    common = ("l5_radiculopathy", "s1_radiculopathy", "length_dependent_polyneuropathy")
    focal = (
        "femoral_neuropathy",
        "obturator_neuropathy",
        "sciatic_neuropathy",
        "common_fibular_neuropathy",
        "tibial_neuropathy",
        "gluteal_neuropathy",
    )
    assert min(MIMICS[m].prior for m in common) > max(MIMICS[m].prior for m in focal)


def test_epidural_steroid_warns_for_anticoagulation_and_diabetes() -> None:
    cautions = {
        c.condition: c.severity for c in MIMIC_TREATMENTS["epidural_steroid_injection"].cautions
    }
    assert cautions.get("anticoagulated") == "contraindicated"
    assert cautions.get("diabetes") == "monitor"


def test_ivig_warns_for_kidney_function_and_thrombosis_in_older_adults() -> None:
    conditions = {c.condition for c in MIMIC_TREATMENTS["ivig_for_cidp"].cautions}
    assert {"renal_impairment", "older_adult"} <= conditions


def test_steroids_for_cidp_warn_about_glucose_in_diabetes() -> None:
    conditions = {c.condition for c in MIMIC_TREATMENTS["corticosteroids_for_cidp"].cautions}
    assert "diabetes" in conditions


def test_riluzole_dosing_tells_how_to_monitor_the_liver() -> None:
    riluzole = MIMIC_TREATMENTS["riluzole"]
    assert "ALT" in riluzole.dosing
    assert any(c.condition == "pregnancy" for c in riluzole.cautions)
