"""Answers are listed most probable first, and answers equal but for rounding noise in the
knowledge base's order, whether one case is ranked alone or a table of cases at once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from plexcare.engine.ranking import TIED, leading_columns, probability_order


def test_clearly_different_probabilities_are_listed_by_size() -> None:
    assert probability_order(np.array([0.2, 0.5, 0.3])).tolist() == [1, 2, 0]


def test_probabilities_equal_but_for_rounding_noise_keep_the_knowledge_base_order() -> None:
    third = 0.3
    found = np.array([0.1, third, third + 4e-17, third - 4e-17, 0.0, third + 5 * TIED])
    assert probability_order(found).tolist() == [5, 1, 2, 3, 0, 4]


def test_a_difference_larger_than_the_tie_still_ranks() -> None:
    assert probability_order(np.array([0.25, 0.25 + 10 * TIED])).tolist() == [1, 0]


@st.composite
def tables(draw: st.DrawFn) -> np.ndarray:
    """Probability tables with exact and noisy ties, the way mirrored candidates come out."""
    rows = draw(st.integers(1, 12))
    columns = draw(st.integers(1, 9))
    table = draw(
        hnp.arrays(np.float64, (rows, columns), elements=st.floats(0, 1, width=32))
    ).astype(np.float64)
    for _ in range(draw(st.integers(0, 6))):
        row = draw(st.integers(0, rows - 1))
        a, b = draw(st.integers(0, columns - 1)), draw(st.integers(0, columns - 1))
        table[row, b] = table[row, a] + draw(st.sampled_from([0.0, 1e-16, -1e-16, 3e-13]))
    return table


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(1, 5))
def test_a_table_ranks_each_row_as_the_row_is_ranked_alone(table: np.ndarray, top: int) -> None:
    expected = [probability_order(row)[:top].tolist() for row in table]
    assert leading_columns(table, top).tolist() == expected
