"""The body map: recorded abnormalities land on the right leg's right part, the leading site
and its territory come from the anatomy, and the text alternative lists what is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.cases.body_map import BodyMap, Shape, body_map
from plexcare.engine import Case, assess
from plexcare.knowledge.model import KnowledgeBase

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"


def example(name: str) -> Case:
    return Case.model_validate(yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text("utf-8")))


def mapped(case: Case, kb: KnowledgeBase) -> BodyMap:
    return body_map(case, kb, assess(case, kb).localization.leader.key)


def shape(drawn: BodyMap, shape_id: str) -> Shape:
    return next(s for s in drawn.shapes if s.id == shape_id)


def text_of(drawn: BodyMap) -> str:
    return " ".join(item for group in drawn.groups for item in group.items)


def test_an_l5_radiculopathy_marks_the_front_of_the_left_leg_and_lights_the_l5_root(
    kb: KnowledgeBase,
) -> None:
    drawn = mapped(example("l5_radiculopathy"), kb)
    front = shape(drawn, "left-leg_front")
    assert set(front.marks) >= {"weak", "sensory", "emg"}
    assert front.territory
    assert shape(drawn, "left-root_l5").site
    assert not shape(drawn, "right-root_l5").site
    assert not any(s.marks for s in drawn.shapes if s.side == "right")
    assert "left Tibialis anterior MRC 4" in text_of(drawn)
    assert "L5 radiculopathy (left)" in drawn.summary


def test_a_fibular_neuropathy_territory_stops_below_the_knee(kb: KnowledgeBase) -> None:
    drawn = mapped(example("common_fibular_neuropathy"), kb)
    territory = {s.id for s in drawn.shapes if s.territory}
    assert territory == {"left-leg_front", "left-foot_top"}
    assert shape(drawn, "left-fibular").site
    assert not shape(drawn, "left-sciatic").site
    assert "study" in shape(drawn, "left-fibular").marks


def test_a_generalized_leader_draws_no_territory_and_says_why(kb: KnowledgeBase) -> None:
    drawn = mapped(example("polyneuropathy_diabetic"), kb)
    assert not any(s.territory or s.site for s in drawn.shapes)
    assert "not a single place" in drawn.summary
    assert shape(drawn, "left-foot_sole").marks


def test_an_unknown_leader_draws_the_findings_without_a_territory(kb: KnowledgeBase) -> None:
    drawn = body_map(example("l5_radiculopathy"), kb, "no_such_site@left")
    assert not any(s.territory or s.site for s in drawn.shapes)
    assert drawn.summary == "No leading site to draw."
    assert shape(drawn, "left-leg_front").marks


def test_saddle_numbness_marks_the_midline_saddle(kb: KnowledgeBase) -> None:
    drawn = mapped(example("cauda_equina"), kb)
    assert "sensory" in shape(drawn, "saddle").marks


def test_an_empty_examination_draws_nothing_abnormal(kb: KnowledgeBase) -> None:
    drawn = mapped(Case(age=40, sex="female"), kb)
    assert drawn.marked == ()
    assert drawn.groups == ()


def test_every_leg_muscle_and_skin_area_has_a_place_on_the_drawing(kb: KnowledgeBase) -> None:
    """A muscle or skin area added to the knowledge base must show up when it is abnormal."""
    for muscle in kb.muscles.values():
        if muscle.body_region != "lumbosacral" or muscle.movement == "bladder_emptying":
            continue
        case = Case(age=50, sex="male", exam={"left": {"strength": {muscle.id: 2}}})
        assert mapped(case, kb).marked, muscle.id
    for area in kb.sensory_areas:
        case = Case(age=50, sex="male", exam={"right": {"sensation": {area: "absent"}}})
        assert mapped(case, kb).marked, area


LEG_MUSCLES = (
    "tibialis_anterior",
    "extensor_hallucis_longus",
    "gluteus_medius",
    "vastus_lateralis",
    "iliacus",
    "adductor_longus",
    "gastrocnemius_medial_head",
    "biceps_femoris_short_head",
)


@settings(max_examples=40, deadline=None)
@given(
    grades=st.dictionaries(
        st.sampled_from(LEG_MUSCLES), st.integers(min_value=0, max_value=5), max_size=6
    ),
    side=st.sampled_from(["left", "right"]),
)
def test_every_weak_muscle_is_marked_on_its_own_side_and_named_in_words(
    kb: KnowledgeBase, grades: dict[str, int], side: str
) -> None:
    known = {m: g for m, g in grades.items() if m in kb.muscles}
    exam: dict[str, Any] = {side: {"strength": known}}
    drawn = mapped(Case.model_validate({"age": 45, "sex": "male", "exam": exam}), kb)
    other = "right" if side == "left" else "left"
    assert not any("weak" in s.marks for s in drawn.shapes if s.side == other)
    words = text_of(drawn)
    for muscle, grade in known.items():
        named = f"{side} {kb.muscles[muscle].name} MRC {grade}"
        assert (named in words) == (grade < 5), named
    weak_zones = [s for s in drawn.shapes if "weak" in s.marks]
    assert bool(weak_zones) == any(grade < 5 for grade in known.values())
