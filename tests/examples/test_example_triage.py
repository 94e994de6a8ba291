"""Every self-check example in `examples/triage/` is valid input and gets the advice it teaches."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plexcare.engine.triage import triage
from plexcare.knowledge.model import KnowledgeBase

EXAMPLES = Path(__file__).parents[2] / "examples" / "triage"
EXPECTED = {
    "saddle_numbness.yaml": "emergency",
    "diabetic_thigh_pain.yaml": "urgent",
}


def test_every_example_has_an_expected_urgency() -> None:
    assert {path.name for path in EXAMPLES.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_example_gets_its_urgency(name: str, kb: KnowledgeBase) -> None:
    answers = yaml.safe_load((EXAMPLES / name).read_text())
    assert triage(answers, kb).urgency == EXPECTED[name]
