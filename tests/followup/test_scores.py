"""Follow-up scores are checked against their scale, and a series reads better or worse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.followup.scores import (
    ScoreInvalid,
    ScoreReading,
    score_from_items,
    summarize_series,
    validate_score,
)
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.outcome_model import OutcomeScale

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def reading(days: int, value: float) -> ScoreReading:
    return ScoreReading(taken_at=T0 + timedelta(days=days), value=value)


@pytest.fixture(scope="module")
def scales(kb: KnowledgeBase) -> dict[str, OutcomeScale]:
    return dict(kb.outcome_scales)


def test_a_score_inside_its_scale_is_accepted(scales: dict[str, OutcomeScale]) -> None:
    assert validate_score(scales["pain_numeric_rating"], 7) == 7
    assert validate_score(scales["timed_up_and_go"], 12.4) == 12.4


def test_a_score_outside_the_scale_names_the_range_and_the_field(
    scales: dict[str, OutcomeScale],
) -> None:
    with pytest.raises(ScoreInvalid) as invalid:
        validate_score(scales["mrc_sum_lower_limb"], 34, field="mrc")

    assert "0 to 30" in invalid.value.detail
    assert invalid.value.field == "mrc"


def test_an_ordinal_scale_refuses_half_grades(scales: dict[str, OutcomeScale]) -> None:
    with pytest.raises(ScoreInvalid, match="whole numbers"):
        validate_score(scales["modified_rankin"], 2.5)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True])
def test_non_numbers_are_refused(scales: dict[str, OutcomeScale], value: float) -> None:
    with pytest.raises(ScoreInvalid):
        validate_score(scales["pain_numeric_rating"], value)


def test_the_mrc_sum_is_built_from_all_six_muscle_grades(
    scales: dict[str, OutcomeScale],
) -> None:
    grades = {
        "hip_flexion_left": 4,
        "hip_flexion_right": 5,
        "knee_extension_left": 3,
        "knee_extension_right": 5,
        "ankle_dorsiflexion_left": 2,
        "ankle_dorsiflexion_right": 5,
    }

    assert score_from_items(scales["mrc_sum_lower_limb"], grades) == 24


def test_a_missing_or_out_of_range_muscle_grade_is_named(
    scales: dict[str, OutcomeScale],
) -> None:
    scale = scales["mrc_sum_lower_limb"]
    with pytest.raises(ScoreInvalid, match="ankle_dorsiflexion_right"):
        score_from_items(scale, {item.id: 5 for item in scale.items[:-1]})
    with pytest.raises(ScoreInvalid) as invalid:
        score_from_items(
            scale, {item.id: 6 if item.id == "hip_flexion_left" else 5 for item in scale.items}
        )
    assert invalid.value.field == "items.hip_flexion_left"
    with pytest.raises(ScoreInvalid, match="unknown item"):
        score_from_items(scale, {**{item.id: 5 for item in scale.items}, "toe_wiggle": 5})


def test_falling_pain_by_three_points_is_better_and_meaningful(
    scales: dict[str, OutcomeScale],
) -> None:
    summary = summarize_series(
        scales["pain_numeric_rating"], [reading(0, 8), reading(30, 6), reading(90, 5)]
    )

    assert summary is not None
    assert summary.change == -3
    assert summary.direction == "better"
    assert summary.reaches_mcid is True
    assert summary.best.value == 5
    assert summary.days == 90


def test_a_one_point_pain_change_from_a_high_start_is_not_meaningful(
    scales: dict[str, OutcomeScale],
) -> None:
    summary = summarize_series(scales["pain_numeric_rating"], [reading(0, 9), reading(14, 8)])

    assert summary is not None
    assert summary.direction == "better"
    assert summary.reaches_mcid is False


def test_a_thirty_percent_fall_from_a_low_start_counts_as_meaningful(
    scales: dict[str, OutcomeScale],
) -> None:
    summary = summarize_series(scales["pain_numeric_rating"], [reading(0, 3), reading(14, 2)])

    assert summary is not None
    assert summary.reaches_mcid is True


def test_a_rising_mrc_sum_is_better_and_has_no_mcid_to_judge_by(
    scales: dict[str, OutcomeScale],
) -> None:
    summary = summarize_series(scales["mrc_sum_lower_limb"], [reading(0, 18), reading(60, 24)])

    assert summary is not None
    assert summary.direction == "better"
    assert summary.reaches_mcid is None


def test_a_slower_timed_up_and_go_is_worse(scales: dict[str, OutcomeScale]) -> None:
    summary = summarize_series(scales["timed_up_and_go"], [reading(0, 11.0), reading(30, 14.5)])

    assert summary is not None
    assert summary.direction == "worse"
    assert summary.best.value == 11.0


def test_readings_are_read_in_time_order_whatever_order_they_arrive(
    scales: dict[str, OutcomeScale],
) -> None:
    summary = summarize_series(
        scales["modified_rankin"], [reading(60, 1), reading(0, 3), reading(30, 2)]
    )

    assert summary is not None
    assert (summary.first.value, summary.last.value, summary.direction) == (3, 1, "better")


def test_an_empty_series_has_no_summary_and_a_bad_value_is_named(
    scales: dict[str, OutcomeScale],
) -> None:
    assert summarize_series(scales["onls_legs"], []) is None
    with pytest.raises(ScoreInvalid) as invalid:
        summarize_series(scales["onls_legs"], [reading(0, 2), reading(5, 9)])
    assert invalid.value.field == "readings.1.value"
    naive = ScoreReading(taken_at=datetime(2026, 1, 5), value=1)
    with pytest.raises(ScoreInvalid, match="time zone"):
        summarize_series(scales["onls_legs"], [naive])


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=12))
def test_the_direction_always_agrees_with_the_sign_of_the_change_for_pain(
    values: list[int],
) -> None:
    scale = _pain_scale()
    summary = summarize_series(scale, [reading(i, v) for i, v in enumerate(values)])

    assert summary is not None
    assert summary.change == values[-1] - values[0]
    expected = "unchanged" if summary.change == 0 else ("better" if summary.change < 0 else "worse")
    assert summary.direction == expected
    assert summary.best.value == min(values)
    if summary.change == 0:
        assert summary.reaches_mcid is False
    if abs(summary.change) >= 2:
        assert summary.reaches_mcid is True


def _pain_scale() -> OutcomeScale:
    return OutcomeScale(
        id="pain_numeric_rating",
        name="Pain numeric rating scale",
        kind="ordinal",
        minimum=0,
        maximum=10,
        better="lower",
        mcid=2,
        mcid_relative=0.3,
        description="The patient rates pain from 0 to 10 as a whole number.",
        sources=("farrar_2001_pain_nrs_mcid",),
    )
