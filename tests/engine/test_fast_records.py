"""The answer records built without their `__init__` (engine.fast_records) are the same
objects the ordinary constructor makes: every field, in declaration order, equal and hashable.
A missing or misspelt field in a hot loop would otherwise surface only in a page or a report."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from plexcare.engine import assess
from plexcare.engine.case import Case
from plexcare.knowledge.model import KnowledgeBase

EXAMPLE = Path(__file__).parents[2] / "examples" / "cases" / "l5_radiculopathy.yaml"


def _records(kb: KnowledgeBase) -> list[Any]:
    answer = assess(Case.model_validate(yaml.safe_load(EXAMPLE.read_text())), kb)
    found: list[Any] = []
    for candidate in answer.localization.candidates:
        found += [candidate, *candidate.supporting, *candidate.contradicting]
    for cause in answer.etiology:
        found += [cause, *cause.supporting, *cause.against]
    return found


def test_each_record_holds_exactly_its_fields_in_order_and_equals_a_constructed_one(
    kb: KnowledgeBase,
) -> None:
    records = _records(kb)
    assert {type(r).__name__ for r in records} >= {
        "RankedCandidate",
        "FindingWeight",
        "RankedCause",
        "FeatureWeight",
    }
    for item in records:
        names = [f.name for f in dataclasses.fields(item)]
        assert list(vars(item)) == names, type(item).__name__
        rebuilt = type(item)(**{name: getattr(item, name) for name in names})
        assert rebuilt == item
        assert hash(rebuilt) == hash(item)
