"""Harder clinical vignettes: the discriminations neuromuscular clinicians actually struggle with.

Each file in `tests/engine/vignettes/` is a realistic case with its clinical story and expected
answer in a comment header. The expected answers live in the tables below, where a clinician
can review them in one place. Two lists are kept apart on purpose:

- `EXPECTED`: vignettes the engine must get right (leading localization and side; the cause,
  red flags and plan checks where the case determines them). These count as passing.
- `KNOWN_LIMITATIONS`: vignettes where the engine's ranking is not what an expert would say and
  the cause lies in the model's structure rather than in a figure that could be corrected with
  a source. They are not counted as passing: their test asserts that the assessment *flags* the
  problem to the clinician (an uncertainty note), and that the correct answer is still close
  behind, so a change in either direction is noticed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from pydantic import ValidationError

from plexcare.engine import Assessment, assess
from plexcare.engine.case import Case
from plexcare.engine.finding_model import FindingKind, finding_model_for
from plexcare.knowledge.engine_parameters_model import FindingKindParameters
from plexcare.knowledge.model import KnowledgeBase

VIGNETTES = Path(__file__).parent / "vignettes"


class Expected(NamedTuple):
    lesion: str  # the leading candidate's knowledge-base id
    side: str | None  # None for a generalized pattern
    causes: tuple[str, ...]  # the leading cause must be one of these; () if undetermined
    flags: tuple[tuple[str, str], ...] = ()  # (red-flag rule, urgency) that must be raised


EXPECTED: dict[str, Expected] = {
    "lumbosacral_trunk_sacral_fracture.yaml": Expected(
        "lumbosacral_trunk",
        "left",
        ("traumatic_lumbosacral_plexopathy",),
        (("fracture_on_imaging", "urgent"),),
    ),
    "sciatic_fibular_division_injection.yaml": Expected(
        "sciatic_at_notch", "right", ("sciatic_neuropathy",)
    ),
    "diabetic_polyneuropathy_with_fibular_neuropathy.yaml": Expected(
        "common_fibular_at_fibular_head", "left", ("common_fibular_neuropathy",)
    ),
    "diabetic_amyotrophy_on_polyneuropathy.yaml": Expected(
        "upper_lumbar_plexus", "right", ("diabetic_lumbosacral_radiculoplexus_neuropathy",)
    ),
    # Issue 10 (side-to-side comparison): the left superficial fibular SNAP is absent against
    # 4 uV on the right and the left EDB CMAP is below 40 % of the right (Buschbacher 1999), so
    # the asymmetry is now measured; the model's lesions of both sides are symmetric, and the
    # left pan-plexopathy (which also explains the left quadriceps and knee jerk) now edges
    # ahead, with the milder right distal signs left to a background polyneuropathy. A
    # bilateral plexopathy stays second (tests/engine/test_demyelination_and_grading_cases.py
    # checks it keeps a quarter of the probability); the cause is unchanged.
    "radiation_plexopathy_late_painless.yaml": Expected(
        "pan_plexus",
        "left",
        ("radiation_induced_lumbosacral_plexopathy",),
        (("cancer_with_longstanding_symptoms", "urgent"),),
    ),
    "tumour_recurrence_painful_sacral_plexus.yaml": Expected(
        "sacral_plexus",
        "left",
        ("neoplastic_lumbosacral_plexopathy",),
        (("cancer_with_new_neurological_symptoms", "emergency"), ("mass_on_imaging", "urgent")),
    ),
    "iliacus_haematoma_warfarin.yaml": Expected(
        "femoral_in_pelvis",
        "right",
        ("retroperitoneal_haematoma_plexopathy",),
        (
            ("over_anticoagulation_with_symptoms", "emergency"),
            ("haematoma_on_imaging", "emergency"),
        ),
    ),
    "femoral_inguinal_after_catheterisation.yaml": Expected(
        "femoral_at_inguinal_ligament",
        "right",
        ("femoral_neuropathy", "surgical_and_positioning_plexopathy"),
    ),
    "l4_radiculopathy_femoral_mimic.yaml": Expected(
        "root_l4", "left", ("upper_lumbar_radiculopathy",)
    ),
    "s1_radiculopathy_normal_sural.yaml": Expected("root_s1", "right", ("s1_radiculopathy",)),
    "mnd_mimicking_plexopathy.yaml": Expected(
        "motor_neuron_disease", None, ("motor_neuron_disease",)
    ),
    "obstetric_lumbosacral_trunk_day_one.yaml": Expected(
        "lumbosacral_trunk", "left", ("obstetric_lumbosacral_trunk_injury",)
    ),
    "l5_radiculopathy_normal_paraspinals.yaml": Expected("root_l5", "right", ("l5_radiculopathy",)),
}

UNCERTAIN_ON_PURPOSE = ("first_week_normal_emg.yaml",)
"""Vignettes whose right answer is honest uncertainty; asserted by their own tests below."""


class Limitation(NamedTuple):
    expert_lesion: str  # what an expert would put first
    expert_side: str
    engine_lesion: str  # what the engine puts first today
    reason: str


KNOWN_LIMITATIONS: dict[str, Limitation] = {
    "elderly_absent_surals_only.yaml": Limitation(
        "no_neuromuscular_lesion",
        "",
        "inferior_gluteal_nerve",
        "Half of the prior over lesion sites is spread evenly, so lesions that no recorded test "
        "reaches (the inferior gluteal, ilioinguinal or pudendal nerve, an L1 root) keep their "
        "share, and symptoms in one leg only favour a one-sided lesion over 'no neuromuscular "
        "lesion', so the silent sites lead at under 20 % each. The absent surals themselves "
        "are correctly discounted at 78, and the cause (hip joint disease) is right.",
    ),
}


def _assess(name: str, kb: KnowledgeBase) -> Assessment:
    return assess(Case.model_validate(yaml.safe_load((VIGNETTES / name).read_text())), kb)


def _params(names: Iterable[str]) -> list[object]:
    return [pytest.param(name, id=name.removesuffix(".yaml")) for name in sorted(names)]


def test_every_vignette_is_in_exactly_one_list() -> None:
    files = {path.name for path in VIGNETTES.glob("*.yaml")}
    listed = [*EXPECTED, *UNCERTAIN_ON_PURPOSE, *KNOWN_LIMITATIONS]
    assert sorted(listed) == sorted(files)
    assert len(files) >= 12


def test_every_vignette_tells_its_story_and_expected_answer_in_a_header() -> None:
    for path in VIGNETTES.glob("*.yaml"):
        header = path.read_text().split("\nid:", 1)[0]
        assert header.startswith("#") and "Expected" in header, path.name


@pytest.mark.parametrize("name", _params(EXPECTED))
def test_the_vignette_leads_with_the_expert_localization(name: str, kb: KnowledgeBase) -> None:
    expected = EXPECTED[name]
    leader = _assess(name, kb).localization.leader
    assert (leader.id, leader.side) == (expected.lesion, expected.side)


@pytest.mark.parametrize("name", _params(name for name, e in EXPECTED.items() if e.causes))
def test_the_vignette_leads_with_the_expert_cause(name: str, kb: KnowledgeBase) -> None:
    assert _assess(name, kb).leading_cause in EXPECTED[name].causes


@pytest.mark.parametrize("name", _params(name for name, e in EXPECTED.items() if e.flags))
def test_the_vignette_raises_its_red_flags_at_their_urgency(name: str, kb: KnowledgeBase) -> None:
    raised = {(flag.feature, flag.urgency) for flag in _assess(name, kb).red_flags}
    assert set(EXPECTED[name].flags) <= raised


def test_a_fibular_neuropathy_is_found_through_a_diabetic_polyneuropathy(kb: KnowledgeBase) -> None:
    result = _assess("diabetic_polyneuropathy_with_fibular_neuropathy.yaml", kb)
    assert result.localization.leader.probability > 0.9
    assert result.localization.background_polyneuropathy > 0.9


def test_diabetic_amyotrophy_is_found_on_top_of_the_background_polyneuropathy(
    kb: KnowledgeBase,
) -> None:
    result = _assess("diabetic_amyotrophy_on_polyneuropathy.yaml", kb)
    assert result.localization.plexopathy_probability > 0.9
    assert result.localization.background_polyneuropathy > 0.9


def test_at_egfr_25_gabapentinoids_are_dose_adjusted_and_duloxetine_is_contraindicated(
    kb: KnowledgeBase,
) -> None:
    items = {
        item.treatment: item
        for item in _assess("diabetic_amyotrophy_on_polyneuropathy.yaml", kb).plan.items
    }
    for drug in ("gabapentin", "pregabalin"):
        cautions = {(c.condition, c.severity) for c in items[drug].cautions}
        assert ("severe_renal_impairment", "adjust_dose") in cautions
    assert items["duloxetine"].contraindicated
    assert "nsaid" not in items or items["nsaid"].contraindicated
    assert "knee_ankle_foot_orthosis" in items


def test_radiation_and_tumour_plexopathy_are_told_apart_by_the_same_history(
    kb: KnowledgeBase,
) -> None:
    radiation = _assess("radiation_plexopathy_late_painless.yaml", kb)
    tumour = _assess("tumour_recurrence_painful_sacral_plexus.yaml", kb)
    assert radiation.etiology[0].probability > 0.8
    assert tumour.etiology[0].probability > 0.8
    assert {"oncology_referral"} <= {item.treatment for item in radiation.plan.items}


def test_a_flag_alone_brings_referrals_but_no_treatments_of_an_improbable_cause(
    kb: KnowledgeBase,
) -> None:
    """A known cancer flags L5 and S1 radiculopathy (for spinal metastasis) and diabetic
    amyotrophy; none of their treatments belongs in a radiation plexopathy plan."""
    plan = _assess("radiation_plexopathy_late_painless.yaml", kb).plan
    offered = {item.treatment for item in plan.items}
    assert not offered & {"epidural_steroid_injection", "glycaemic_control", "nsaid"}


def test_nsaids_are_never_offered_unmarked_to_an_anticoagulated_patient(kb: KnowledgeBase) -> None:
    items = {
        item.treatment: item for item in _assess("iliacus_haematoma_warfarin.yaml", kb).plan.items
    }
    assert "nsaid" not in items or items["nsaid"].contraindicated
    assert "anticoagulant_reversal" in items


@pytest.mark.parametrize(
    "name",
    _params(
        [
            "diabetic_polyneuropathy_with_fibular_neuropathy.yaml",
            "first_week_normal_emg.yaml",
            "obstetric_lumbosacral_trunk_day_one.yaml",
            "lumbosacral_trunk_sacral_fracture.yaml",
        ]
    ),
)
def test_foot_drop_is_offered_an_ankle_foot_orthosis(name: str, kb: KnowledgeBase) -> None:
    assert "ankle_foot_orthosis" in {item.treatment for item in _assess(name, kb).plan.items}


def test_pregnancy_cautions_are_not_left_unchecked_for_a_man(kb: KnowledgeBase) -> None:
    plan = _assess("mnd_mimicking_plexopathy.yaml", kb).plan
    assert all("pregnancy" not in item.unchecked for item in plan.items)


def test_in_the_first_week_a_normal_emg_leaves_the_answer_uncertain(kb: KnowledgeBase) -> None:
    result = _assess("first_week_normal_emg.yaml", kb)
    localization = result.localization
    assert localization.tempered
    assert localization.leader.probability < 0.75
    notes = " ".join(result.uncertainty)
    assert "First week" in notes and "3 weeks" in notes


def test_in_the_first_week_the_work_up_repeats_the_study_later(kb: KnowledgeBase) -> None:
    workup = _assess("first_week_normal_emg.yaml", kb).workup
    timings = " ".join(f"{item.timing} {item.reason}" for item in workup if item.test == "emg_ncs")
    assert "3 weeks" in timings or "3-4 weeks" in timings or "three weeks" in timings


def test_absent_surals_at_78_are_not_read_as_a_lesion(kb: KnowledgeBase) -> None:
    result = _assess("elderly_absent_surals_only.yaml", kb)
    localization = result.localization
    assert localization.leader.probability < 0.25
    assert localization.probability_of("length_dependent_polyneuropathy") < 0.05
    assert localization.background_polyneuropathy < 0.1
    sural_fed = ("tibial_in_popliteal_fossa", "sciatic_at_notch", "root_s1", "sacral_plexus")
    for lesion in sural_fed:
        assert localization.probability_of(f"{lesion}@right") < 0.05
    assert result.leading_cause == "hip_joint_disease"


@pytest.mark.parametrize("name", _params(KNOWN_LIMITATIONS))
def test_known_limitation_is_flagged_to_the_clinician(name: str, kb: KnowledgeBase) -> None:
    """Not a pass: documents today's wrong leader and checks the clinician is warned.

    If the engine starts getting the vignette right, this fails on purpose: move the vignette
    to `EXPECTED`.
    """
    limitation = KNOWN_LIMITATIONS[name]
    result = _assess(name, kb)
    leader = result.localization.leader
    assert leader.id == limitation.engine_lesion, "fixed? move the vignette to EXPECTED"
    notes = " ".join(result.uncertainty)
    assert "does not usually produce a lesion at the leading localization" in notes
    assert leader.probability < 0.7


def test_paraspinal_fibrillations_are_a_weaker_test_than_limb_fibrillations(
    kb: KnowledgeBase,
) -> None:
    """Missed in many root lesions, found in some healthy backs (Date 1996: 14.5 % of people,
    somewhere; the engine scores each level, so the figure is per level)."""
    fibrillations = finding_model_for(kb).kinds[FindingKind.FIBRILLATIONS]
    limb_sensitivity, limb_false_positive = fibrillations.rates_in(paraspinal=False)
    sensitivity, false_positive = fibrillations.rates_in(paraspinal=True)
    assert sensitivity < limb_sensitivity
    assert limb_false_positive < false_positive < sensitivity
    # Per level: over three sampled levels a healthy person shows about Date's 14.5 %.
    assert 0.1 <= 1 - (1 - false_positive) ** 3 <= 0.2


def test_paraspinal_rates_come_in_pairs(kb: KnowledgeBase) -> None:
    entry = kb.electrodiagnosis.finding_kinds["fibrillations"].model_dump()
    entry.pop("paraspinal_false_positive")
    with pytest.raises(ValidationError, match="together"):
        FindingKindParameters.model_validate(entry)
