"""Ranking causes on the history: prior × fact likelihoods (each fact once) × localization fit."""

from __future__ import annotations

import math

import numpy as np
import yaml
from hypothesis import given
from hypothesis import strategies as st

from plexcare.engine.assessment import assess
from plexcare.engine.case import Case
from plexcare.engine.etiology import (
    LOCALIZATION_FIT_FLOOR,
    SiteSupport,
    compile_etiology,
    fact_matrix,
    history_log_likelihood,
    rank_causes,
)
from plexcare.engine.etiology_features import EtiologyFindings, derive_etiology_findings
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.site_and_cause_model import FeatureGroup, neutral_site_and_cause
from tests.engine.plan_fixtures import case, small_kb

KB = small_kb()
MODEL = compile_etiology(KB)
NEUTRAL = SiteSupport(posterior={}, prior={})
PAIN = FeatureGroup(
    id="pain", members=("painless", "severe_pain"), exhaustive=False, sources=("x_source",)
)
GROUPED = compile_etiology(
    KB.model_copy(
        update={
            "site_and_cause": neutral_site_and_cause().model_copy(
                update={"feature_groups": (PAIN,)}
            )
        }
    )
)


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


def test_a_pain_score_counts_once_not_as_severe_and_as_not_painless() -> None:
    """Score 9 is one fact: P(severe | d) alone, not P(severe | d) · (1 - P(painless | d))."""
    severe = _findings({"severe_pain"}, {"painless"})
    causes = {c.disorder: c.probability for c in rank_causes(GROUPED, severe, NEUTRAL)}
    weights = {
        "diabetic_amyotrophy": 0.3 * 0.9,
        "haematoma": 0.1 * 0.9,
        "l5_radiculopathy": 0.6 * 0.4,
    }
    total = sum(weights.values())
    for disorder, weight in weights.items():
        assert math.isclose(causes[disorder], weight / total)


def test_a_moderate_pain_score_counts_as_the_share_left_between_the_cut_offs() -> None:
    moderate = _findings(set(), {"severe_pain", "painless"})
    causes = {c.disorder: c.probability for c in rank_causes(GROUPED, moderate, NEUTRAL)}
    weights = {
        "diabetic_amyotrophy": 0.3 * (1 - 0.9 - 0.05),
        "haematoma": 0.1 * 1e-3,  # 1 - 0.9 - 0.25 is below zero: the floor
        "l5_radiculopathy": 0.6 * (1 - 0.4 - 0.25),
    }
    total = sum(weights.values())
    for disorder, weight in weights.items():
        assert math.isclose(causes[disorder], weight / total, rel_tol=1e-6)


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


@given(st.lists(st.sampled_from([-1.0, 0.0, 1.0]), min_size=9, max_size=9))
def test_the_posterior_always_sums_to_one(states: list[float]) -> None:
    present = {f for f, s in zip(MODEL.features, states, strict=True) if s > 0}
    absent = {f for f, s in zip(MODEL.features, states, strict=True) if s < 0}
    causes = rank_causes(MODEL, _findings(present, absent), NEUTRAL)
    assert math.isclose(sum(c.probability for c in causes), 1.0, rel_tol=1e-9)
    assert all(c.probability >= 0 for c in causes)


def test_a_batch_of_facts_gives_the_same_answer_as_one_case_at_a_time() -> None:
    rows = np.array([[1.0, 0, 0, -1, 0, 0, 1, 0, 0], [0, 1, -1, 1, 1, 0, 0, 0, 0]])
    batch = history_log_likelihood(MODEL, fact_matrix(MODEL, rows))
    for index in range(2):
        single = history_log_likelihood(MODEL, fact_matrix(MODEL, rows[index : index + 1]))
        assert np.allclose(batch[index], single[0])


def _vignette(name: str) -> Case:
    path = f"tests/engine/vignettes/{name}"
    with open(path, encoding="utf-8") as handle:
        return Case.model_validate(yaml.safe_load(handle))


def test_an_inr_above_range_counts_only_beyond_the_anticoagulant_it_implies(
    kb: KnowledgeBase,
) -> None:
    """The haematoma's INR weight is P(INR high | anticoagulated, d) against the same in the
    referral population: (0.4 / 0.8) / (0.02 / 0.08) = 2, not 0.4 / 0.02 = 20."""
    model = compile_etiology(kb)
    found = derive_etiology_findings(_vignette("iliacus_haematoma_warfarin.yaml"), kb)
    found = EtiologyFindings(found.present | {"inr_supratherapeutic"}, found.absent, {})
    row = model.disorder_index["retroperitoneal_haematoma_plexopathy"]
    states = np.zeros((1, len(model.features)))
    for feature in found.present:
        states[0, model.feature_index[feature]] = 1.0
    facts = fact_matrix(model, states)[0]
    inr = [
        model.weights[column, row]
        for column in np.flatnonzero(facts)
        if model.facts[column].feature == "inr_supratherapeutic"
    ]
    assert len(inr) == 1
    assert math.isclose(math.exp(inr[0]), 2.0, rel_tol=1e-6)


def test_the_onset_tempo_is_named_once_in_every_explanation(kb: KnowledgeBase) -> None:
    """'acute onset' was named three times (acute, not subacute, not chronic)."""
    result = assess(_vignette("iliacus_haematoma_warfarin.yaml"), kb)
    for cause in result.etiology[:8]:
        reasons = [w.reason for w in (*cause.supporting, *cause.against)]
        assert reasons.count("acute onset") <= 1, cause.disorder
        assert len(reasons) == len(set(reasons)), cause.disorder
