"""The outcome chart's geometry: scored scales over their whole range, timed tests from zero,
points in time order inside the plot, and every point told in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.followup.chart import outcome_chart
from plexcare.knowledge.model import KnowledgeBase

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_a_pain_score_is_drawn_over_the_whole_scale_in_time_order(kb: KnowledgeBase) -> None:
    scale = kb.outcome_scales["pain_numeric_rating"]
    later, earlier = (START + timedelta(weeks=6), 3.0), (START, 8.0)
    chart = outcome_chart(scale, [later, earlier], LONDON)
    assert [tick.label for tick in chart.y_ticks] == ["0", "2.5", "5", "7.5", "10"]
    first, last = chart.points
    assert first.x == chart.left and last.x == chart.right
    assert first.words == "5 January 2026: 8 points"
    assert last.y > first.y  # lower pain sits lower on the chart
    assert "lower is better" in chart.description


def test_one_reading_sits_in_the_middle(kb: KnowledgeBase) -> None:
    chart = outcome_chart(kb.outcome_scales["onls_legs"], [(START, 2.0)], LONDON)
    (point,) = chart.points
    assert point.x == (chart.left + chart.right) / 2
    assert chart.line.count(",") == 1


def test_a_walk_test_starts_at_zero_and_ends_above_the_slowest_reading(
    kb: KnowledgeBase,
) -> None:
    chart = outcome_chart(
        kb.outcome_scales["ten_metre_walk"],
        [(START, 14.0), (START + timedelta(days=30), 9.5)],
        LONDON,
    )
    labels = [float(tick.label) for tick in chart.y_ticks]
    assert labels[0] == 0 and 14.0 < labels[-1] <= 40


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12),
    gaps=st.lists(st.integers(min_value=0, max_value=400), min_size=12, max_size=12),
)
def test_every_point_lies_inside_the_plot_and_the_line_runs_forward_in_time(
    kb: KnowledgeBase, values: list[int], gaps: list[int]
) -> None:
    scale = kb.outcome_scales["mrc_sum_lower_limb"]
    moments = [START + timedelta(days=sum(gaps[: i + 1])) for i in range(len(values))]
    chart = outcome_chart(scale, list(zip(moments, map(float, values), strict=False)), LONDON)
    assert len(chart.points) == len(values)
    xs = [point.x for point in chart.points]
    assert xs == sorted(xs)
    for point, value in zip(chart.points, values, strict=True):
        assert chart.left <= point.x <= chart.right
        assert chart.top <= point.y <= chart.bottom
        assert point.words.endswith(f": {value} points")
