"""Paraspinal motor units weigh less than paraspinal fibrillations (issue 18).

Electromyographers read the paraspinals for spontaneous activity: recruitment cannot be graded
there (the deep muscles cannot be contracted one level at a time) and healthy paraspinal units
are often polyphasic, so a "neurogenic" reading in the L5 paraspinals is weak evidence of a
root lesion, and a normal one excludes little (Preston & Shapiro 2020; Dumitru 2002). The
knowledge base carries its own paraspinal rates for neurogenic units; these cases show the
answer using them.
"""

from __future__ import annotations

import math
from typing import Any

from plexcare.engine import assess
from plexcare.engine.case import Case
from plexcare.knowledge.model import KnowledgeBase

ROOT_LEVEL = {"root_l5", "roots_l5_s1", "spinal_nerve_l5", "cauda_equina"}
"""The lesions that reach the L5 paraspinals (through the posterior ramus)."""


def _left_foot_drop(paraspinal: dict[str, Any] | None) -> dict[str, Any]:
    """A 58-year-old with eight weeks of a left foot drop and buttock pain: tibialis anterior
    and tibialis posterior weak, gluteus medius slightly weak; needle EMG of the limb shows
    denervation in L5 muscles; the superficial fibular SNAP is not recorded, so root and
    lumbosacral trunk remain open. `paraspinal` is the left L5 paraspinal result, if any."""
    emg: dict[str, Any] = {
        "tibialis_anterior": {"fibrillations": 2, "recruitment": "reduced"},
        "tibialis_posterior": {"fibrillations": 1},
        "gluteus_medius": {"fibrillations": 1},
    }
    if paraspinal is not None:
        emg["lumbar_paraspinal_l5"] = paraspinal
    return {
        "id": "paraspinal-units",
        "age": 58,
        "sex": "male",
        "weeks_since_onset": 8,
        "tempo": "subacute",
        "affected_side": "left",
        "pain": {"score": 5, "sites": ["buttock"]},
        "exam": {
            "left": {
                "strength": {"tibialis_anterior": 3, "tibialis_posterior": 4, "gluteus_medius": 4}
            }
        },
        "emg": {"left": emg},
    }


def _root_probability(kb: KnowledgeBase, paraspinal: dict[str, Any] | None) -> float:
    answer = assess(Case.model_validate(_left_foot_drop(paraspinal)), kb)
    return sum(
        c.probability
        for c in answer.localization.candidates
        if c.id in ROOT_LEVEL and c.side in ("left", "both")
    )


def test_neurogenic_paraspinal_units_point_to_the_root_less_than_paraspinal_fibrillations(
    kb: KnowledgeBase,
) -> None:
    nothing = _root_probability(kb, None)
    units = _root_probability(kb, {"motor_units": "neurogenic"})
    fibrillations = _root_probability(kb, {"fibrillations": 2})
    assert nothing < units < fibrillations
    # Fibrillations move the log-odds of a root lesion at least twice as far as units do.
    log_odds = [math.log(p / (1.0 - p)) for p in (nothing, units, fibrillations)]
    assert log_odds[2] - log_odds[0] > 2.0 * (log_odds[1] - log_odds[0])


def test_normal_paraspinal_units_exclude_a_root_lesion_less_than_normal_paraspinal_needling(
    kb: KnowledgeBase,
) -> None:
    nothing = _root_probability(kb, None)
    normal_units = _root_probability(kb, {"motor_units": "normal"})
    no_fibrillations = _root_probability(kb, {"fibrillations": 0})
    assert no_fibrillations < normal_units < nothing


def test_the_paraspinal_rates_for_motor_units_are_cited_and_weaker_than_for_fibrillations(
    kb: KnowledgeBase,
) -> None:
    kinds = kb.electrodiagnosis.finding_kinds
    units, fibrillations = kinds["neurogenic_units"], kinds["fibrillations"]
    assert units.paraspinal_sensitivity is not None
    assert units.paraspinal_false_positive is not None
    assert fibrillations.paraspinal_sensitivity is not None
    assert fibrillations.paraspinal_false_positive is not None
    units_ratio = units.paraspinal_sensitivity / units.paraspinal_false_positive
    fibrillation_ratio = (
        fibrillations.paraspinal_sensitivity / fibrillations.paraspinal_false_positive
    )
    assert units_ratio < fibrillation_ratio
    assert units_ratio < units.sensitivity / units.false_positive  # weaker than in a limb
    assert {"preston_shapiro_2020", "dumitru_2002"} <= set(units.sources)
