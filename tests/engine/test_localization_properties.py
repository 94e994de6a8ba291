"""Invariants of the localization that must hold for any case."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcare.engine.case import Case
from plexcare.engine.localization import localization_model, localize, localize_batch
from plexcare.engine.next_tests import next_best_tests
from plexcare.knowledge.model import KnowledgeBase

MUSCLES = (
    "tibialis_anterior",
    "tibialis_posterior",
    "peroneus_longus",
    "gastrocnemius_medial_head",
    "biceps_femoris_short_head",
    "gluteus_medius",
    "vastus_lateralis",
    "adductor_longus",
    "lumbar_paraspinal_l5",
    "lumbar_paraspinal_l3",
)
STUDIES = ("sural_snap", "superficial_fibular_snap", "saphenous_snap", "fibular_cmap_edb")
AREAS = ("dorsum_of_foot", "lateral_foot", "anterior_thigh", "medial_leg")
REFLEXES = ("patellar_reflex", "achilles_reflex")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def sides(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "exam": {
            "strength": draw(st.dictionaries(st.sampled_from(MUSCLES), st.integers(0, 5))),
            "sensation": draw(
                st.dictionaries(st.sampled_from(AREAS), st.sampled_from(["normal", "reduced"]))
            ),
            "reflexes": draw(
                st.dictionaries(
                    st.sampled_from(REFLEXES), st.sampled_from(["normal", "reduced", "absent"])
                )
            ),
        },
        "emg": draw(
            st.dictionaries(
                st.sampled_from(MUSCLES),
                st.fixed_dictionaries({"fibrillations": st.integers(0, 3)}),
            )
        ),
        "nerve_conduction": draw(
            st.dictionaries(
                st.sampled_from(STUDIES),
                st.fixed_dictionaries({"grade": st.sampled_from(["normal", "reduced", "absent"])}),
            )
        ),
    }


@st.composite
def cases(draw: st.DrawFn) -> Case:
    data: dict[str, Any] = {
        "age": draw(st.integers(18, 90)),
        "sex": "male",
        "weeks_since_onset": draw(st.sampled_from([None, 0.5, 1.5, 2.5, 6.0])),
        "history": {"diabetes": draw(st.sampled_from(["none", "type2"]))},
        "affected_side": draw(st.sampled_from([None, "left", "right", "both"])),
        "exam": {},
        "nerve_conduction": {},
        "emg": {},
    }
    for side in draw(st.sampled_from([("left",), ("right",), ("left", "right")])):
        parts = draw(sides())
        for field in ("exam", "nerve_conduction", "emg"):
            data[field][side] = parts[field]
    return Case.model_validate(data)


def mirrored(case: Case) -> Case:
    swap = {"left": "right", "right": "left"}
    data = case.model_dump()
    data["affected_side"] = swap.get(data["affected_side"], data["affected_side"])
    for field in ("exam", "nerve_conduction", "emg"):
        data[field] = {swap[side]: value for side, value in data[field].items()}
    return Case.model_validate(data)


@SETTINGS
@given(case=cases())
def test_probabilities_always_sum_to_one(kb: KnowledgeBase, case: Case) -> None:
    result = localize(case, kb)
    assert sum(c.probability for c in result.candidates) == pytest.approx(1.0)
    assert 0.0 <= result.background_polyneuropathy <= 1.0


@SETTINGS
@given(case=cases())
def test_mirroring_left_and_right_mirrors_the_answer(kb: KnowledgeBase, case: Case) -> None:
    result, mirror = localize(case, kb), localize(mirrored(case), kb)
    model = localization_model(kb)
    for candidate in model.arrays.candidates:
        assert mirror.probability_of(candidate.mirrored_key()) == pytest.approx(
            result.probability_of(candidate.key), abs=1e-9
        )


@SETTINGS
@given(case=cases(), muscle=st.sampled_from(MUSCLES), side=st.sampled_from(["left", "right"]))
def test_a_finding_the_leader_predicts_never_lowers_the_leader(
    kb: KnowledgeBase, case: Case, muscle: str, side: str
) -> None:
    if muscle in case.emg.get(side, {}):
        return
    before = localize(case, kb)
    model = localization_model(kb)
    column = model.findings.index[f"{side}:muscle:{muscle}:fibrillations"]
    table = model.abnormal[before.time_bin, column]  # K × 2
    joint = before.joint_posterior
    by_candidate = joint.sum(axis=1)
    leader = [c.key for c in model.arrays.candidates].index(before.leader.key)
    p_leader = float(table[leader] @ joint[leader] / by_candidate[leader])
    average = float((table * joint).sum())
    if p_leader <= average:
        return
    data = case.model_dump()
    data["emg"].setdefault(side, {})[muscle] = {"fibrillations": 2}
    after = localize(Case.model_validate(data), kb)
    assert after.probability_of(before.leader.key) >= before.leader.probability - 1e-12


@SETTINGS
@given(batch=st.lists(cases(), min_size=1, max_size=6))
def test_the_batch_equals_one_by_one(kb: KnowledgeBase, batch: list[Case]) -> None:
    scored = localize_batch(batch, kb)
    for row, case in enumerate(batch):
        single = localize(case, kb)
        expected = np.array([single.probability_of(key) for key in scored.candidate_keys])
        np.testing.assert_allclose(scored.probabilities[row], expected, atol=1e-12)


def test_an_empty_case_gives_a_flat_answer_with_many_next_tests(kb: KnowledgeBase) -> None:
    """With no findings the answer is the prior: close to flat, nothing claimed."""
    result = localize(Case(age=50, sex="female"), kb)
    probabilities = np.array([c.probability for c in result.candidates])
    entropy = -(probabilities * np.log(probabilities)).sum()
    assert entropy > 0.9 * np.log(len(probabilities))
    assert result.leader.probability < 0.1
    prior = np.exp(localization_model(kb).log_candidate_prior)
    by_key = dict(zip(localization_model(kb).arrays.candidates, prior, strict=True))
    for candidate in result.candidates:
        expected = next(p for c, p in by_key.items() if c.key == candidate.key)
        assert candidate.probability == pytest.approx(expected)
    assert result.findings_used == 0
    tests = next_best_tests(result, kb, limit=20)
    assert len(tests) == 20
    assert len({(t.side, t.target) for t in tests}) == 20
    assert all(t.information_gain > 0.1 for t in tests)
