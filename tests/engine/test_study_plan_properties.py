"""Invariants of the planned study over many generated cases (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcare.engine.assessment import assess
from plexcare.engine.case import Case
from plexcare.knowledge.loader import knowledge_base

MUSCLES = (
    "tibialis_anterior",
    "gastrocnemius_medial_head",
    "vastus_medialis",
    "gluteus_medius",
    "tibialis_posterior",
    "adductor_longus",
    "lumbar_paraspinal_l5",
    "biceps_femoris_short_head",
)
MOVEMENTS = ("hip_abduction", "knee_extension", "ankle_eversion", "plantar_flexion")
STUDIES = ("sural_snap", "superficial_fibular_snap", "saphenous_snap", "fibular_cmap_edb")
SIDES = ("left", "right")


@st.composite
def cases(draw: st.DrawFn) -> Case:
    strength = draw(st.dictionaries(st.sampled_from(MUSCLES + MOVEMENTS), st.integers(0, 5)))
    needle = draw(
        st.dictionaries(
            st.sampled_from(MUSCLES),
            st.fixed_dictionaries({"fibrillations": st.integers(0, 3)}),
            max_size=4,
        )
    )
    studies = draw(
        st.dictionaries(
            st.sampled_from(STUDIES),
            st.fixed_dictionaries({"amplitude": st.sampled_from([0.0, 2.0, 8.0, 20.0])}),
            max_size=3,
        )
    )
    side = draw(st.sampled_from(SIDES))
    data: dict[str, Any] = {
        "age": draw(st.integers(18, 90)),
        "sex": "female",
        "weeks_since_onset": draw(st.sampled_from([0.5, 2.0, 6.0, 30.0])),
        "affected_side": side,
        "exam": {side: {"strength": strength}},
        "emg": {side: needle},
        "nerve_conduction": {
            side: {
                name: {**result, "unit": "uV" if "snap" in name else "mV"}
                for name, result in studies.items()
            }
        },
    }
    return Case.model_validate(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_plan_never_repeats_a_recorded_test_and_ranks_by_value_per_cost(case: Case) -> None:
    kb = knowledge_base()
    assessment = assess(case, kb)
    plan = assessment.study_plan
    assert plan is not None
    recorded: set[tuple[str, str, str]] = set()
    for side, results in case.nerve_conduction.items():
        recorded |= {("nerve_conduction", side, name) for name in results}
    for side, muscles in case.emg.items():
        recorded |= {("needle_emg", side, name) for name in muscles}
    for side, exam in case.exam.items():
        for name in exam.strength:
            movement = kb.muscles[name].movement if name in kb.muscles else name
            recorded.add(("strength", side, movement))
    proposed = [(t.test, t.side, t.target) for t in plan.tests]
    assert not set(proposed) & recorded
    scores = [t.value_per_cost for t in plan.tests]
    assert scores == sorted(scores, reverse=True)
    assert all(t.information_gain > 0 for t in plan.tests)
    assert plan.enough == (not plan.tests)
    laboratory = {
        (step.stage, side, target)
        for step in plan.sequence
        if step.stage != "bedside"
        for side, target in step.tests
    }
    assert not laboratory & recorded
