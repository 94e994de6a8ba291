"""Clinical vignettes: the discriminations neuromuscular clinicians actually struggle with.

Each file in `tests/engine/vignettes/` is a realistic case with its clinical story, expected
answer and source in a comment header. The expected answers of these and of the teaching
examples (`examples/cases/`) live in one table a clinician can review,
`tests/engine/vignettes/expected/answers.yaml`: the lesion sites and side an expert accepts,
whether it is a plexopathy, the causes an expert accepts, the red flags that must be raised,
and the sources. `plexcare validate` scores the engine on the same table
(`engine.validation`); the tests below hold each vignette to it, and the whole set to the
targets of issue 11 (top-1 localization >= 90 %, plexopathy agreement 100 %, cause in the top
two >= 85 %, red-flag recall 100 %, no confident-and-wrong answer).

A vignette whose answer the engine gets wrong is not hidden: it fails here, or, where the
model's structure is the reason and no cited figure could correct it, it would be listed in
the table as `uncertain` with the reason in its header. None is today.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from plexcare.cli.validate import TABLE, read_table
from plexcare.engine import Assessment, assess
from plexcare.engine.case import Case
from plexcare.engine.finding_model import FindingKind, finding_model_for
from plexcare.engine.validation import ExpectedAnswer, check, summarise
from plexcare.knowledge.engine_parameters_model import FindingKindParameters
from plexcare.knowledge.model import KnowledgeBase

ROOT = Path(__file__).parents[2]
VIGNETTES = Path(__file__).parent / "vignettes"
EXAMPLES = ROOT / "examples" / "cases"


@cache
def _table() -> tuple[ExpectedAnswer, ...]:
    return tuple(read_table(ROOT / TABLE))


EXPECTED: dict[str, ExpectedAnswer] = {Path(row.file).name: row for row in _table()}


def _assess(name: str, kb: KnowledgeBase) -> Assessment:
    folder = VIGNETTES if (VIGNETTES / name).exists() else EXAMPLES
    return assess(Case.model_validate(yaml.safe_load((folder / name).read_text())), kb)


def _params(names: list[str]) -> list[object]:
    return [pytest.param(name, id=name.removesuffix(".yaml")) for name in sorted(names)]


def test_the_table_lists_every_vignette_and_example_once_and_there_are_at_least_sixty() -> None:
    files = [row.file for row in _table()]
    cases = sorted(
        str(path.relative_to(ROOT))
        for folder in (VIGNETTES, EXAMPLES)
        for path in folder.glob("*.yaml")
    )
    assert sorted(files) == cases
    assert len(files) >= 60


def test_every_expected_answer_cites_a_source_the_knowledge_base_knows(kb: KnowledgeBase) -> None:
    for row in _table():
        assert row.sources, row.file
        assert set(row.sources) <= set(kb.references), row.file
        assert set(row.causes) <= set(kb.disorders), row.file
        assert row.sites or row.uncertain, row.file


def test_every_vignette_tells_its_story_and_expected_answer_in_a_header() -> None:
    for path in VIGNETTES.glob("*.yaml"):
        header = path.read_text().split("\nid:", 1)[0]
        assert header.startswith("#") and "Expected" in header, path.name


@pytest.mark.parametrize("name", _params(list(EXPECTED)))
def test_the_vignette_gets_the_expert_answer(name: str, kb: KnowledgeBase) -> None:
    """Site and side, plexopathy yes/no, a cause in the top two, its red flags, and never a
    wrong answer at 90 % or more."""
    result = check(EXPECTED[name], _assess(name, kb))
    assert result.site_right, (result.leader, result.leader_probability)
    assert result.plexopathy_agrees is not False, result.plexopathy_probability
    assert result.cause_in_top_two, result.leading_causes
    assert not result.flags_missing
    assert not result.confident_and_wrong


def test_the_validation_set_meets_every_target(kb: KnowledgeBase) -> None:
    results = [check(row, _assess(Path(row.file).name, kb)) for row in _table()]
    summary = summarise(results)
    assert all(summary.targets_met.values()), summary.targets_met


def test_a_fibular_neuropathy_is_found_through_a_diabetic_polyneuropathy(kb: KnowledgeBase) -> None:
    result = _assess("diabetic_polyneuropathy_with_fibular_neuropathy.yaml", kb)
    assert result.localization.leader.probability > 0.9
    assert result.localization.background_polyneuropathy > 0.9


def test_diabetic_amyotrophy_is_found_on_top_of_the_background_polyneuropathy(
    kb: KnowledgeBase,
) -> None:
    # Issue 11: about a tenth goes to the L2-L4 roots alone (two normal paraspinal levels
    # exclude little: Tsao 2003), so the plexopathy is at about 85 % rather than above 90 %.
    result = _assess("diabetic_amyotrophy_on_polyneuropathy.yaml", kb)
    assert result.localization.plexopathy_probability > 0.8
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
    # In week one the studies exclude little, so the answer leans on the history (kneeling for
    # hours: fibular compression, Katirji & Wilbourn 1988) and stays below 90 %.
    result = _assess("first_week_normal_emg.yaml", kb)
    localization = result.localization
    assert localization.tempered
    assert localization.leader.probability < 0.9
    notes = " ".join(result.uncertainty)
    assert "First week" in notes and "3 weeks" in notes


def test_in_the_first_week_the_work_up_repeats_the_study_later(kb: KnowledgeBase) -> None:
    workup = _assess("first_week_normal_emg.yaml", kb).workup
    timings = " ".join(f"{item.timing} {item.reason}" for item in workup if item.test == "emg_ncs")
    assert "3 weeks" in timings or "3-4 weeks" in timings or "three weeks" in timings


def test_absent_surals_at_78_are_not_read_as_a_lesion(kb: KnowledgeBase) -> None:
    # Once a known limitation: half the site prior was spread evenly, so lesions no test
    # reached led. Issue 11: with hip disease competing for the symptoms, normal findings lead
    # to "no neuromuscular lesion".
    result = _assess("elderly_absent_surals_only.yaml", kb)
    localization = result.localization
    assert localization.leader.id == "no_neuromuscular_lesion"
    assert localization.probability_of("length_dependent_polyneuropathy") < 0.05
    assert localization.background_polyneuropathy < 0.1
    sural_fed = ("tibial_in_popliteal_fossa", "sciatic_at_notch", "root_s1", "sacral_plexus")
    for lesion in sural_fed:
        assert localization.probability_of(f"{lesion}@right") < 0.05
    assert result.leading_cause == "hip_joint_disease"


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
