"""The anatomy a clinician relies on, asserted through the ranked localization."""

from __future__ import annotations

from typing import Any

import pytest

from plexcare.engine.localization import Localization, localize, localize_batch
from plexcare.knowledge.model import KnowledgeBase
from tests.engine.conftest import CaseBuilder

FIBS: dict[str, Any] = {"fibrillations": 2}
NO_FIBS: dict[str, Any] = {"fibrillations": 0}


def kind_probability(localization: Localization, kind: str) -> float:
    return sum(c.probability for c in localization.candidates if c.kind == kind)


def foot_drop(**emg: dict[str, Any]) -> dict[str, Any]:
    """Left foot drop with tibialis anterior and peroneus longus denervated, plus extra muscles."""
    return {
        "exam": {"strength": {"tibialis_anterior": 2, "peroneus_longus": 3}},
        "emg": {"tibialis_anterior": FIBS, "peroneus_longus": FIBS, **emg},
    }


def test_paraspinal_denervation_moves_the_answer_towards_a_root_lesion(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    base = foot_drop(tibialis_posterior=FIBS, gluteus_medius=FIBS)
    without = localize(make_case(left=base), kb)
    base["emg"]["lumbar_paraspinal_l5"] = FIBS
    with_paraspinals = localize(make_case(left=base), kb)
    assert kind_probability(with_paraspinals, "root") > kind_probability(without, "root") + 0.2
    assert with_paraspinals.leader.kind == "root"


def test_abnormal_snaps_move_the_answer_away_from_a_root_lesion(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    base = foot_drop(tibialis_posterior=FIBS, gluteus_medius=FIBS)
    normal_snap = {"superficial_fibular_snap": {"amplitude": 12, "unit": "uV"}}
    absent_snap = {"superficial_fibular_snap": {"grade": "absent"}}
    normal = localize(make_case(left={**base, "ncs": normal_snap}), kb)
    absent = localize(make_case(left={**base, "ncs": absent_snap}), kb)
    assert kind_probability(absent, "root") < kind_probability(normal, "root") - 0.2
    assert absent.leader.kind == "plexus"


def test_tibialis_posterior_separates_common_fibular_neuropathy_from_l5_radiculopathy(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    spared = localize(make_case(left=foot_drop(tibialis_posterior=NO_FIBS)), kb)
    involved = localize(make_case(left=foot_drop(tibialis_posterior=FIBS)), kb)
    fibular, l5 = "common_fibular_at_fibular_head@left", "root_l5@left"
    assert spared.leader.key == fibular
    assert involved.probability_of(l5) > involved.probability_of(fibular)

    def odds(result: Localization) -> float:
        return result.probability_of(l5) / result.probability_of(fibular)

    assert odds(involved) > 20 * odds(spared)


def test_biceps_femoris_short_head_separates_sciatic_from_fibular_head(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    spared = localize(make_case(left=foot_drop(biceps_femoris_short_head=NO_FIBS)), kb)
    involved = localize(make_case(left=foot_drop(biceps_femoris_short_head=FIBS)), kb)
    sciatic, fibular = "sciatic_at_notch@left", "common_fibular_at_fibular_head@left"
    assert spared.probability_of(fibular) > spared.probability_of(sciatic)
    assert involved.probability_of(sciatic) > involved.probability_of(fibular)


def test_gluteus_medius_separates_sciatic_from_the_plexus(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    sciatic_pattern = foot_drop(
        tibialis_posterior=FIBS,
        biceps_femoris_short_head=FIBS,
        gastrocnemius_medial_head=FIBS,
        lumbar_paraspinal_l5=NO_FIBS,
        sacral_paraspinal_s1=NO_FIBS,
    )
    snaps = {"superficial_fibular_snap": {"grade": "absent"}, "sural_snap": {"grade": "absent"}}

    def ranked(gluteus: dict[str, Any]) -> Localization:
        parts = {
            "exam": sciatic_pattern["exam"],
            "ncs": snaps,
            "emg": {**sciatic_pattern["emg"], "gluteus_medius": gluteus},
        }
        return localize(make_case(left=parts), kb)

    spared, involved = ranked(NO_FIBS), ranked(FIBS)
    plexus = ("sacral_plexus@left", "lumbosacral_trunk@left")
    assert spared.leader.key == "sciatic_at_notch@left"
    assert involved.leader.key in plexus
    assert kind_probability(involved, "plexus") > 0.5 > kind_probability(spared, "plexus")


def test_a_fibular_neuropathy_is_found_on_top_of_diabetic_polyneuropathy(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    distal = {
        "exam": {
            "reflexes": {"achilles_reflex": "absent"},
            "sensation": {"lateral_foot": "reduced"},
        },
        "ncs": {"sural_snap": {"grade": "absent"}},
    }
    left = foot_drop(tibialis_posterior=NO_FIBS, biceps_femoris_short_head=NO_FIBS)
    left["exam"] = {
        "strength": {**left["exam"]["strength"], "tibialis_posterior": 5},
        **distal["exam"],
    }
    left["ncs"] = distal["ncs"]
    case = make_case(age=66, left=left, right=distal, history={"diabetes": "type2"})
    result = localize(case, kb)
    assert result.leader.key == "common_fibular_at_fibular_head@left"
    assert result.background_polyneuropathy > 0.8


def test_an_absent_sural_snap_at_75_moves_the_answer_less_than_at_30(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    def shift(age: int) -> float:
        normal_exam = {
            "exam": {
                "strength": {
                    "tibialis_anterior": 5,
                    "gastrocnemius_medial_head": 5,
                    "vastus_lateralis": 5,
                    "hip_flexion": 5,
                }
            }
        }
        before = localize(make_case(age=age, left=normal_exam), kb)
        after = localize(
            make_case(age=age, left={**normal_exam, "ncs": {"sural_snap": {"grade": "absent"}}}),
            kb,
        )
        return sum(
            abs(after.probability_of(c.key) - c.probability) for c in before.candidates
        ) + abs(after.background_polyneuropathy - before.background_polyneuropathy)

    assert shift(75) < 0.5 * shift(30)


def test_probabilities_sum_to_one_and_plexopathy_is_the_sum_over_plexus_candidates(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    result = localize(make_case(left=foot_drop(tibialis_posterior=FIBS)), kb)
    assert sum(c.probability for c in result.candidates) == pytest.approx(1.0)
    # Issue 10: a radiculoplexus lesion (roots with the plexus) involves the plexus too.
    plexus = kind_probability(result, "plexus") + kind_probability(result, "radiculoplexus")
    assert result.plexopathy_probability == pytest.approx(plexus)


def test_the_leader_is_explained_by_findings_for_and_against(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    result = localize(make_case(left=foot_drop(tibialis_posterior=NO_FIBS)), kb)
    leader = result.leader
    assert any(
        "tibialis_posterior" in w.finding and w.result == "normal" for w in leader.supporting
    )
    assert all(w.weight > 0 for w in leader.supporting)
    assert all(w.weight < 0 for w in leader.contradicting)


def test_first_week_answers_are_tempered_and_say_why(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    parts = foot_drop(tibialis_posterior=NO_FIBS, lumbar_paraspinal_l5=NO_FIBS)
    week_one = localize(make_case(weeks=0.5, left=parts), kb)
    week_six = localize(make_case(weeks=6, left=parts), kb)
    assert week_one.tempered
    assert any("First week" in note for note in week_one.uncertainty)
    assert week_one.leader.probability < week_six.leader.probability


def test_unknown_onset_is_scored_as_late_but_flagged(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    result = localize(make_case(weeks=None, left=foot_drop()), kb)
    assert any("Time since onset unknown" in note for note in result.uncertainty)


def test_motor_only_diffuse_findings_with_normal_sensation_point_to_motor_neuron_disease(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    side = {
        "exam": {
            "strength": {"tibialis_anterior": 4, "vastus_lateralis": 4, "hip_flexion": 4},
            "sensation": {"dorsum_of_foot": "normal", "anterior_thigh": "normal"},
        },
        "emg": {
            m: {"fibrillations": 2, "fasciculations": True, "motor_units": "neurogenic"}
            for m in (
                "tibialis_anterior",
                "vastus_lateralis",
                "gastrocnemius_medial_head",
                "lumbar_paraspinal_l3",
            )
        },
        "ncs": {"sural_snap": {"amplitude": 15, "unit": "uV"}},
    }
    result = localize(make_case(left=side, right=side), kb)
    assert result.leader.key == "motor_neuron_disease"


def test_proximal_weakness_with_myopathic_units_points_to_myopathy(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    side = {
        "exam": {
            "strength": {"hip_flexion": 3, "gluteus_medius": 4, "tibialis_anterior": 5},
            "reflexes": {"patellar_reflex": "normal"},
        },
        "emg": {
            m: {"fibrillations": 0, "motor_units": "myopathic"}
            for m in ("vastus_lateralis", "gluteus_medius")
        },
        "ncs": {"sural_snap": {"amplitude": 15, "unit": "uV"}},
    }
    result = localize(make_case(left=side, right=side), kb)
    assert result.leader.key == "myopathy"


def test_the_batch_gives_the_same_answer_as_one_by_one(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    cases = [
        make_case(left=foot_drop(tibialis_posterior=FIBS)),
        make_case(weeks=0.5, left=foot_drop()),
        make_case(age=80, weeks=None),
    ]
    batch = localize_batch(cases, kb)
    for row, case in enumerate(cases):
        single = localize(case, kb)
        for column, key in enumerate(batch.candidate_keys):
            assert batch.probabilities[row, column] == pytest.approx(single.probability_of(key))
        assert batch.background_polyneuropathy[row] == pytest.approx(
            single.background_polyneuropathy
        )


def test_a_normal_needle_study_in_week_one_excludes_less_than_at_six_weeks(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    normal_needle = {
        "emg": {
            m: NO_FIBS
            for m in (
                "tibialis_anterior",
                "tibialis_posterior",
                "gluteus_medius",
                "lumbar_paraspinal_l5",
                "peroneus_longus",
            )
        }
    }
    weak = {"exam": {"strength": {"extensor_hallucis_longus": 3}}}

    def root_l5(weeks: float, parts: dict[str, Any]) -> float:
        return localize(make_case(weeks=weeks, left=parts), kb).probability_of("root_l5@left")

    early_drop = root_l5(0.5, weak) - root_l5(0.5, {**weak, **normal_needle})
    late_drop = root_l5(6, weak) - root_l5(6, {**weak, **normal_needle})
    assert late_drop > 0
    assert early_drop < 0.5 * late_drop


def test_the_physiology_constants_cite_references_in_the_knowledge_base(kb: KnowledgeBase) -> None:
    cited = {source for _, _, source in kb.electrodiagnosis.all_sources}
    assert cited
    assert cited <= set(kb.references)
