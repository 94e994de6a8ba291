"""The etiology features of cases read from their data apply each threshold as the knowledge
base states it, to a whole column at once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plexcare.engine.case_data_features import READS_EVERY_FEATURE, reached
from plexcare.knowledge.engine_parameters_model import ClinicalThreshold
from plexcare.knowledge.model import KnowledgeBase


def _thresholds(kb: KnowledgeBase) -> list[ClinicalThreshold]:
    limits = kb.thresholds
    return [getattr(limits, name) for name in type(limits).model_fields]


def test_every_feature_the_batch_states_is_read_from_data() -> None:
    assert READS_EVERY_FEATURE


def test_a_threshold_reads_a_column_as_it_reads_one_value(kb: KnowledgeBase) -> None:
    for limit in _thresholds(kb):
        at = limit.value
        values = np.array(
            [at - 1, np.nextafter(at, -math.inf), at, np.nextafter(at, math.inf), at + 1, np.nan]
        )
        expected = [1.0 if limit.reached(float(v)) else -1.0 for v in values[:-1]] + [0.0]
        assert reached(limit, values).tolist() == expected, limit.id


@pytest.mark.parametrize("comparison", ["above", "at_or_above", "below", "at_or_below"])
def test_every_comparison_a_threshold_can_state_is_read(comparison: str, kb: KnowledgeBase) -> None:
    limit = _thresholds(kb)[0].model_copy(update={"comparison": comparison, "value": 2.0})
    values = np.array([1.0, 2.0, 3.0])
    expected = [1.0 if limit.reached(float(v)) else -1.0 for v in values]
    assert reached(limit, values).tolist() == expected
