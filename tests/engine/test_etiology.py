"""Ranking causes: prior × feature likelihoods × localization fit, explained."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from plexcare.engine.etiology import (
    LOCALIZATION_FIT_FLOOR,
    SiteSupport,
    compile_etiology,
    posterior_matrix,
    rank_causes,
)
from plexcare.engine.etiology_features import EtiologyFindings, derive_etiology_findings
from tests.engine.plan_fixtures import case, small_kb

KB = small_kb()
MODEL = compile_etiology(KB)
NEUTRAL = SiteSupport(posterior={}, prior={})


def _findings(present: set[str], absent: set[str] | None = None) -> EtiologyFindings:
    return EtiologyFindings(frozenset(present), frozenset(absent or ()), {})


def test_with_nothing_known_the_ranking_is_the_normalized_prior() -> None:
    causes = rank_causes(MODEL, _findings(set()), NEUTRAL)
    probabilities = {c.disorder: c.probability for c in causes}
    assert math.isclose(probabilities["l5_radiculopathy"], 0.6)
    assert math.isclose(probabilities["diabetic_amyotrophy"], 0.3)


def test_the_posterior_follows_bayes_by_hand() -> None:
    causes = rank_causes(MODEL, _findings({"diabetes"}), NEUTRAL)
    weights = {
        "diabetic_amyotrophy": 0.3 * 0.99,
        "haematoma": 0.1 * 0.2,
        "l5_radiculopathy": 0.6 * 0.15,
    }
    total = sum(weights.values())
    for cause in causes:
        assert math.isclose(cause.probability, weights[cause.disorder] / total)


def test_an_absent_feature_counts_as_one_minus_its_frequency() -> None:
    causes = rank_causes(MODEL, _findings(set(), {"diabetes"}), NEUTRAL)
    weights = {
        "diabetic_amyotrophy": 0.3 * 0.01,
        "haematoma": 0.1 * 0.8,
        "l5_radiculopathy": 0.6 * 0.85,
    }
    total = sum(weights.values())
    by_id = {c.disorder: c.probability for c in causes}
    assert math.isclose(by_id["diabetic_amyotrophy"], weights["diabetic_amyotrophy"] / total)


def test_diabetes_with_severe_pain_and_weight_loss_leads_to_diabetic_amyotrophy() -> None:
    found = derive_etiology_findings(
        case(history={"diabetes": "type2"}, pain={"score": 9}, symptoms={"weight_loss_kg": 10}), KB
    )
    causes = rank_causes(MODEL, found, NEUTRAL)
    assert causes[0].disorder == "diabetic_amyotrophy"
    named = {w.feature for w in causes[0].supporting}
    assert {"diabetes", "recent_weight_loss"} <= named
    assert "diabetes (type 2)" in causes[0].explanation()


def test_localization_to_a_root_moves_the_ranking_to_radiculopathy() -> None:
    found = _findings({"diabetes"})
    root = SiteSupport(
        posterior={
            "root_l5": 0.9,
            "upper_lumbar_plexus": 0.05,
            "pan_plexus": 0.01,
            "femoral_in_pelvis": 0.04,
        },
        prior={
            "root_l5": 0.1,
            "upper_lumbar_plexus": 0.1,
            "pan_plexus": 0.05,
            "femoral_in_pelvis": 0.05,
        },
    )
    plain = {c.disorder: c.probability for c in rank_causes(MODEL, found, NEUTRAL)}
    localized = {c.disorder: c for c in rank_causes(MODEL, found, root)}
    assert localized["l5_radiculopathy"].probability > plain["l5_radiculopathy"]
    assert "supports" in localized["l5_radiculopathy"].localization_note
    assert "against" in localized["diabetic_amyotrophy"].localization_note


def test_a_cause_whose_sites_are_ruled_out_is_floored_not_erased() -> None:
    elsewhere = SiteSupport(
        posterior={
            "root_l5": 1.0,
            "upper_lumbar_plexus": 0.0,
            "pan_plexus": 0.0,
            "femoral_in_pelvis": 0.0,
        },
        prior={
            "root_l5": 0.2,
            "upper_lumbar_plexus": 0.2,
            "pan_plexus": 0.2,
            "femoral_in_pelvis": 0.2,
        },
    )
    causes = {c.disorder: c for c in rank_causes(MODEL, _findings(set()), elsewhere)}
    assert causes["haematoma"].localization_fit == LOCALIZATION_FIT_FLOOR
    assert causes["haematoma"].probability > 0


@given(
    st.lists(
        st.sampled_from([-1.0, 0.0, 1.0]),
        min_size=len(MODEL.features),
        max_size=len(MODEL.features),
    ),
    st.lists(st.floats(0.0, 20.0), min_size=len(MODEL.sites), max_size=len(MODEL.sites)),
)
def test_the_posterior_always_sums_to_one(states: list[float], ratios: list[float]) -> None:
    posterior = posterior_matrix(MODEL, np.array([states]), np.array([ratios]))
    assert math.isclose(float(posterior.sum()), 1.0, rel_tol=1e-9)
    assert (posterior >= 0).all()


def test_a_batch_gives_the_same_answer_as_one_case_at_a_time() -> None:
    rows = np.array([[1.0, 0, 0, -1, 0, 0, 1, 0, 0], [0, 1, -1, 1, 1, 0, 0, 0, 0]])
    ratios = np.ones((2, len(MODEL.sites)))
    batch = posterior_matrix(MODEL, rows, ratios)
    for index in range(2):
        single = posterior_matrix(MODEL, rows[index : index + 1], ratios[index : index + 1])
        assert np.allclose(batch[index], single[0])
