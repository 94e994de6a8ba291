from __future__ import annotations

from plexcare.engine.localization import localize
from plexcare.engine.next_tests import next_best_tests
from plexcare.knowledge.model import KnowledgeBase
from tests.engine.conftest import CaseBuilder

FOOT_DROP = {
    "exam": {"strength": {"tibialis_anterior": 2, "peroneus_longus": 3}},
    "emg": {"tibialis_anterior": {"fibrillations": 2}, "peroneus_longus": {"fibrillations": 2}},
}


def test_foot_drop_asks_for_a_muscle_that_separates_l5_from_the_fibular_nerve(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    result = localize(make_case(left=FOOT_DROP, affected_side="left"), kb)
    # With peroneus longus leaning L5 (Phillips & Park 1991) L5 and the fibular head are level
    # here, and the sciatic nerve is close: the S1/tibial muscles that rule the sciatic nerve
    # in or out come first, then gluteus medius and the paraspinals for L5 against the fibular
    # head.
    tests = next_best_tests(result, kb, limit=12)
    assert all(t.test == "needle_emg" and t.side == "left" for t in tests[:3])
    fibular = [t for t in tests if "common_fibular_at_fibular_head@left" in t.separates]
    assert fibular
    assert "separates" in fibular[0].reason and "Common fibular" in fibular[0].reason


def test_tibialis_posterior_is_offered_to_tell_l5_from_a_fibular_neuropathy(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    parts = {
        "exam": {"strength": {**FOOT_DROP["exam"]["strength"], "gastrocnemius_medial_head": 5}},
        "emg": FOOT_DROP["emg"],
        "ncs": {"superficial_fibular_snap": {"grade": "normal"}, "sural_snap": {"grade": "normal"}},
    }
    result = localize(make_case(left=parts, affected_side="left"), kb)
    assert result.leader.key == "root_l5@left"
    tests = next_best_tests(result, kb, limit=60)
    tib_post = [t for t in tests if t.target == "tibialis_posterior" and t.test == "needle_emg"]
    assert tib_post, [t.name for t in tests]
    assert tib_post[0].side == "left"
    assert "L5 radiculopathy" in tib_post[0].reason and "Common fibular" in tib_post[0].reason


def test_paraspinal_strength_is_never_offered(kb: KnowledgeBase, make_case: CaseBuilder) -> None:
    result = localize(make_case(), kb)
    tests = next_best_tests(result, kb, limit=500)
    assert not [t for t in tests if t.test == "strength" and "paraspinal" in t.target]
    assert [t for t in tests if t.test == "needle_emg" and "paraspinal" in t.target]


def test_tests_already_done_are_not_offered_again(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    result = localize(make_case(left=FOOT_DROP), kb)
    offered = {(t.test, t.side, t.target) for t in next_best_tests(result, kb, limit=200)}
    assert ("needle_emg", "left", "tibialis_anterior") not in offered
    assert ("strength", "left", "tibialis_anterior") not in offered
    assert ("needle_emg", "right", "tibialis_anterior") in offered


def test_gains_are_ranked_and_never_negative(kb: KnowledgeBase, make_case: CaseBuilder) -> None:
    result = localize(make_case(left=FOOT_DROP), kb)
    gains = [t.information_gain for t in next_best_tests(result, kb, limit=50)]
    assert gains == sorted(gains, reverse=True)
    assert min(gains) >= 0.0


def test_bladder_and_sphincter_are_never_offered_as_a_leg_strength_test(
    kb: KnowledgeBase, make_case: CaseBuilder
) -> None:
    case = make_case(left=FOOT_DROP, affected_side="both", anal_tone="reduced")
    tests = next_best_tests(localize(case, kb), kb, limit=500)
    strength_targets = {t.target for t in tests if t.test == "strength"}
    assert strength_targets, "strength tests are offered at all"
    assert not strength_targets & {"detrusor", "external_anal_sphincter"}
