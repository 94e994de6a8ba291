"""Calibration you can show: the figures computed right, and the tempering earning its place on
held-out synthetic cases drawn from a richer generative model than the inference model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plexcare.engine.calibration import calibration, evaluate, forecast_calibration
from plexcare.engine.site_and_cause import Tempering, parts, site_and_cause_model
from plexcare.engine.synthetic_cases import Richness, draw_cases
from plexcare.knowledge.model import KnowledgeBase

PLAIN = Tempering(1.0, 1.0, 1.0)


def test_a_perfect_forecaster_scores_zero_and_a_flat_one_one_minus_one_over_m() -> None:
    truth = [0, 1, 2, 1]
    perfect = np.eye(3)[truth]
    figures = calibration(perfect, truth)
    assert figures.brier == 0.0 and figures.ece == 0.0 and figures.accuracy == 1.0
    flat = np.full((4, 3), 1 / 3)
    assert math.isclose(calibration(flat, truth).brier, 1 - 1 / 3)


def test_the_expected_calibration_error_weighs_each_bins_gap_by_its_cases() -> None:
    """Four forecasts of 90 % of which two came true: one bin, gap 0.4, ECE 0.4; two confident
    misses count as confident and wrong."""
    figures = forecast_calibration(np.array([0.9, 0.9, 0.9, 0.9]), [True, True, False, False])
    assert math.isclose(figures.ece, 0.4)
    assert math.isclose(figures.brier, (2 * 0.01 + 2 * 0.81) / 4)
    assert figures.confident_and_wrong == 2
    assert [b.count for b in figures.bins if b.count] == [4]


@pytest.fixture(scope="module")
def held_out(kb: KnowledgeBase) -> tuple[list[object], list[int], list[int]]:
    model = site_and_cause_model(kb)
    cases = draw_cases(model, kb, np.random.default_rng(23), 400)
    return (
        [parts(model, case.evidence) for case in cases],
        [case.site for case in cases],
        [case.cause for case in cases],
    )


def test_the_fitted_tempering_beats_the_plain_product_on_held_out_cases(
    kb: KnowledgeBase, held_out: tuple[list[object], list[int], list[int]]
) -> None:
    model = site_and_cause_model(kb)
    scored, sites, causes = held_out
    plain = evaluate(model, scored, sites, causes, PLAIN)  # type: ignore[arg-type]
    tempered = evaluate(model, scored, sites, causes, model.tempering)  # type: ignore[arg-type]
    assert tempered.joint_log_loss < plain.joint_log_loss
    assert tempered.site.ece < plain.site.ece
    assert tempered.cause.ece < plain.cause.ece
    assert tempered.site.confident_and_wrong < plain.site.confident_and_wrong


def test_the_synthetic_draw_is_reproducible_and_departs_from_the_inference_model(
    kb: KnowledgeBase,
) -> None:
    model = site_and_cause_model(kb)
    first = draw_cases(model, kb, np.random.default_rng(5), 20)
    again = draw_cases(model, kb, np.random.default_rng(5), 20)
    assert [c.site for c in first] == [c.site for c in again]
    assert [c.evidence.observations for c in first] == [c.evidence.observations for c in again]
    plain = Richness(
        within_muscle=0.0,
        within_nerve=0.0,
        history_correlation=0.0,
        atypical_history=0.0,
        partial_lesions=False,
        measurement_noise=0.0,
    )
    richer = draw_cases(model, kb, np.random.default_rng(5), 20)
    simpler = draw_cases(model, kb, np.random.default_rng(5), 20, plain)
    assert [c.evidence.observations for c in richer] != [c.evidence.observations for c in simpler]
