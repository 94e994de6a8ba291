"""The rest of the vocabulary issue 11 asks for, and how each fact moves the answer.

Atrial fibrillation, pain on coughing or straining, spread to the other leg, difficulty rising
from a chair, a tense buttock or thigh and lying immobile for hours: each is a clinical
situation read through `assess`, the same patient with the fact recorded as present and as
absent. Every fact moves the posterior through a cited frequency in the knowledge base, so the
tests compare probabilities, not constants; a removed frequency turns them red.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from plexcare.engine import Assessment, assess
from plexcare.engine.case import Case
from plexcare.engine.etiology_features import derive_etiology_findings
from plexcare.engine.red_flags import raise_red_flags
from plexcare.knowledge.model import KnowledgeBase

VIGNETTES = Path(__file__).parent / "vignettes"
EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"


def _raw(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def _with(raw: dict[str, Any], section: str, **values: Any) -> dict[str, Any]:
    edited = copy.deepcopy(raw)
    edited.setdefault(section, {}).update(values)
    return edited


def _assess(raw: dict[str, Any], kb: KnowledgeBase) -> Assessment:
    return assess(Case.model_validate(raw), kb)


def _cause(result: Assessment, disorder: str) -> float:
    return next(c.probability for c in result.etiology if c.disorder == disorder)


def _ratio(result: Assessment, first: str, second: str) -> float:
    return _cause(result, first) / _cause(result, second)


def test_atrial_fibrillation_raises_an_ischaemic_plexopathy(kb: KnowledgeBase) -> None:
    # An embolus from a fibrillating atrium is a classic cause of a sudden iliac occlusion.
    raw = _raw(VIGNETTES / "ischaemic_plexopathy_after_aortic_repair.yaml")
    fibrillating = _assess(_with(raw, "history", atrial_fibrillation=True), kb)
    regular = _assess(_with(raw, "history", atrial_fibrillation=False), kb)
    ischaemic = "ischaemic_lumbosacral_plexopathy"
    assert _cause(fibrillating, ischaemic) > _cause(regular, ischaemic)


def test_pain_on_coughing_favours_a_disc_over_a_fibular_neuropathy(kb: KnowledgeBase) -> None:
    # A foot drop with pain on coughing and sneezing: the root, not the nerve at the knee.
    raw = _raw(EXAMPLES / "l5_radiculopathy.yaml")
    cough = _assess(_with(raw, "symptoms", pain_on_coughing=True), kb)
    quiet = _assess(_with(raw, "symptoms", pain_on_coughing=False), kb)
    root, nerve = "l5_radiculopathy", "common_fibular_neuropathy"
    assert _ratio(cough, root, nerve) > _ratio(quiet, root, nerve)
    found = derive_etiology_findings(
        Case.model_validate(_with(raw, "symptoms", pain_on_coughing=False)), kb
    )
    assert found.reasons["pain_on_coughing"] == "no pain on coughing or straining"


def test_spread_to_the_other_leg_favours_diabetic_amyotrophy_over_a_femoral_neuropathy(
    kb: KnowledgeBase,
) -> None:
    raw = _raw(EXAMPLES / "diabetic_amyotrophy_upper_plexus.yaml")
    spread = _assess(_with(raw, "symptoms", spread_to_other_leg=True), kb)
    stayed = _assess(_with(raw, "symptoms", spread_to_other_leg=False), kb)
    diabetic = "diabetic_lumbosacral_radiculoplexus_neuropathy"
    assert _ratio(spread, diabetic, "femoral_neuropathy") > _ratio(
        stayed, diabetic, "femoral_neuropathy"
    )


def test_difficulty_rising_from_a_chair_raises_a_myopathy(kb: KnowledgeBase) -> None:
    raw = _raw(VIGNETTES / "inflammatory_myopathy_proximal.yaml")
    hard = _assess(_with(raw, "symptoms", difficulty_rising_from_chair=True), kb)
    easy = _assess(_with(raw, "symptoms", difficulty_rising_from_chair=False), kb)
    assert _cause(hard, "myopathy") > _cause(easy, "myopathy")


def test_a_tense_buttock_after_lying_immobile_raises_compartment_syndrome_and_an_emergency(
    kb: KnowledgeBase,
) -> None:
    # The compartment-syndrome vignette with the swelling recorded as a tense buttock and the
    # long lie recorded, against the same patient with neither.
    raw = _raw(VIGNETTES / "gluteal_compartment_after_overdose.yaml")
    raw["symptoms"].pop("swelling_or_bruising")
    tense = _with(
        _with(raw, "symptoms", tense_buttock_or_thigh=True), "history", lay_immobile_for_hours=True
    )
    soft = _with(
        _with(raw, "symptoms", tense_buttock_or_thigh=False),
        "history",
        lay_immobile_for_hours=False,
    )
    compartment = "gluteal_or_thigh_compartment_syndrome"
    assert _cause(_assess(tense, kb), compartment) > _cause(_assess(soft, kb), compartment)
    # Each fact on its own, the other left unrecorded: the tense limb is read as limb
    # swelling, the long lie as itself.
    for section, fact in (
        ("symptoms", "tense_buttock_or_thigh"),
        ("history", "lay_immobile_for_hours"),
    ):
        stated = _cause(_assess(_with(raw, section, **{fact: True}), kb), compartment)
        denied = _cause(_assess(_with(raw, section, **{fact: False}), kb), compartment)
        assert stated > denied, fact
    flags = raise_red_flags(Case.model_validate(tense), kb)
    assert flags[0].urgency == "emergency"
    assert "buttock_or_thigh_compartment_syndrome" in {flag.feature for flag in flags}
    assert "buttock_or_thigh_compartment_syndrome" not in {
        flag.feature for flag in raise_red_flags(Case.model_validate(soft), kb)
    }


def test_a_known_aneurysm_with_new_pain_is_a_red_flag_even_without_imaging(
    kb: KnowledgeBase,
) -> None:
    case = Case.model_validate(
        {
            "age": 74,
            "sex": "male",
            "tempo": "acute",
            "pain": {"score": 8, "sites": ["left groin", "left flank"]},
            "history": {"aneurysm": True},
        }
    )
    flags = {flag.feature: flag for flag in raise_red_flags(case, kb)}
    assert flags["leaking_aortic_or_iliac_aneurysm"].urgency == "emergency"


@pytest.mark.parametrize(
    ("path", "section", "fact", "disorder"),
    [
        (EXAMPLES / "l5_radiculopathy.yaml", "symptoms", "pain_on_coughing", "l5_radiculopathy"),
        (
            VIGNETTES / "s1_radiculopathy_acute_sciatica_mri.yaml",
            "symptoms",
            "pain_on_coughing",
            "s1_radiculopathy",
        ),
        (
            VIGNETTES / "conus_compression_metastatic_prostate.yaml",
            "symptoms",
            "pain_on_coughing",
            "spinal_cord_or_conus_compression",
        ),
        (
            VIGNETTES / "l3_radiculopathy_upper_disc.yaml",
            "symptoms",
            "difficulty_rising_from_chair",
            "upper_lumbar_radiculopathy",
        ),
        (
            EXAMPLES / "diabetic_amyotrophy_upper_plexus.yaml",
            "symptoms",
            "difficulty_rising_from_chair",
            "diabetic_lumbosacral_radiculoplexus_neuropathy",
        ),
        (
            EXAMPLES / "femoral_neuropathy_after_hip_surgery.yaml",
            "symptoms",
            "difficulty_rising_from_chair",
            "femoral_neuropathy",
        ),
        (
            VIGNETTES / "mnd_leg_onset_fasciculations.yaml",
            "symptoms",
            "spread_to_other_leg",
            "motor_neuron_disease",
        ),
        (
            VIGNETTES / "nondiabetic_radiculoplexus_weight_loss.yaml",
            "symptoms",
            "spread_to_other_leg",
            "nondiabetic_lumbosacral_radiculoplexus_neuropathy",
        ),
        (
            VIGNETTES / "nondiabetic_radiculoplexus_weight_loss.yaml",
            "symptoms",
            "difficulty_rising_from_chair",
            "nondiabetic_lumbosacral_radiculoplexus_neuropathy",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else value.stem,
)
def test_each_cause_that_states_a_new_fact_rises_when_its_patient_reports_it(
    kb: KnowledgeBase, path: Path, section: str, fact: str, disorder: str
) -> None:
    # The patient of a vignette of the cause, with the fact recorded as present and as absent:
    # the cause's own cited frequency must move it (a rival's entry alone would not).
    raw = _raw(path)
    reported = _assess(_with(raw, section, **{fact: True}), kb)
    denied = _assess(_with(raw, section, **{fact: False}), kb)
    assert _cause(reported, disorder) > _cause(denied, disorder)


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("History", "atrial_fibrillation"),
        ("History", "lay_immobile_for_hours"),
        ("History", "aneurysm"),
        ("Symptoms", "pain_on_coughing"),
        ("Symptoms", "spread_to_other_leg"),
        ("Symptoms", "difficulty_rising_from_chair"),
        ("Symptoms", "tense_buttock_or_thigh"),
    ],
)
def test_each_new_field_has_a_description_for_the_case_form(model: str, name: str) -> None:
    schema = Case.model_json_schema()
    assert schema["$defs"][model]["properties"][name].get("description"), f"{model}.{name}"


@pytest.mark.parametrize(
    "feature",
    [
        "atrial_fibrillation",
        "pain_on_coughing",
        "spread_to_other_leg",
        "difficulty_rising_from_chair",
        "lay_immobile_for_hours",
    ],
)
def test_each_new_fact_is_a_cited_feature_some_cause_states(
    kb: KnowledgeBase, feature: str
) -> None:
    assert kb.etiology_features[feature].sources
    stating = [
        disorder
        for disorder in kb.disorders.values()
        for item in disorder.features
        if item.feature == feature and item.sources
    ]
    assert stating, feature
