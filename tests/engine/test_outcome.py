from __future__ import annotations

from plexcare.engine.outcome import mrc_sum_over, mrc_sum_scores, outcome_scores
from plexcare.knowledge.model import KnowledgeBase
from tests.engine.conftest import CaseBuilder


def test_the_mrc_sum_adds_the_grades_of_the_muscles_tested_on_each_side(
    make_case: CaseBuilder,
) -> None:
    case = make_case(
        left={
            "exam": {"strength": {"tibialis_anterior": 2, "gluteus_medius": 4, "hip_flexion": 5}}
        },
        right={"exam": {"strength": {"tibialis_anterior": 5}}},
    )
    scores = mrc_sum_scores(case)
    assert (scores["left"].score, scores["left"].maximum) == (11, 15)
    assert scores["right"].percent == 100.0


def test_scores_are_comparable_only_over_the_same_muscles(make_case: CaseBuilder) -> None:
    first = make_case(left={"exam": {"strength": {"tibialis_anterior": 2, "gluteus_medius": 4}}})
    later = make_case(
        left={"exam": {"strength": {"tibialis_anterior": 4, "gluteus_medius": 5, "soleus": 5}}}
    )
    before = mrc_sum_scores(first)["left"]
    assert not before.comparable_with(mrc_sum_scores(later)["left"])
    again = mrc_sum_over(later, "left", before.tested)
    assert again is not None and again.comparable_with(before)
    assert again.score - before.score == 3


def test_a_side_not_examined_has_no_score(kb: KnowledgeBase, make_case: CaseBuilder) -> None:
    case = make_case(left={"exam": {"strength": {"soleus": 3}}})
    scores = outcome_scores(case, kb)
    assert scores.for_side("right") is None
    left = scores.for_side("left")
    assert left is not None and left.score == 3
    assert mrc_sum_over(case, "left", ("soleus", "gluteus_medius")) is None
