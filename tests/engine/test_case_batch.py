"""Cases read in bulk from raw input refuse exactly what one case refuses, and answer the same.

`case_batch.read_case` reads JSON bytes straight into a `Case` (parse and validation in one
pass) instead of parsing to dictionaries first; hypothesis mutates real cases (values out of
range, of the wrong type, unknown keys, fields removed) and holds the fast reading to the
ordinary one, field for field. A batch's rows are held to what `assess` gives each case alone
(read from data or as models, the same sites, causes and rounded probabilities), the bulk
rounding to Python's `round`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcare.engine import assess, assess_batch
from plexcare.engine.case import Case
from plexcare.engine.case_batch import (
    CaseInputError,
    leading_answers,
    read_case,
    rounded,
)
from plexcare.engine.case_data import case_input
from plexcare.engine.case_data_batch import CaseDataBatch
from plexcare.knowledge.model import KnowledgeBase

ROOT = Path(__file__).parents[2]
SOURCES = sorted(
    [
        *(ROOT / "examples" / "cases").glob("*.yaml"),
        *(Path(__file__).parent / "vignettes").glob("*.yaml"),
    ]
)
RAW: list[dict[str, Any]] = [
    json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str)) for path in SOURCES
]
ODD_VALUES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        3,
        5,
        6,
        11,
        200,
        2.5,
        -0.5,
        1000.0,
        "",
        "x",
        "left",
        "both",
        "absent",
        "reduced",
        "mV",
        "none",
        "active",
        "2024-03-01",
        "2023-13-40",
        [],
        [1],
        {},
        {"a": 1},
    ]
)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a case's data a value sits, nested ones included."""
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A real case, left alone or changed in a few places the way bad input is (each odd
    value a copy: a later change may reach inside it, and the strategy's own must stay put)."""
    data: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(RAW)))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        how = draw(st.sampled_from(["replace", "remove", "add"]))
        if how == "replace":
            parent[path[-1]] = copy.deepcopy(draw(ODD_VALUES))
        elif how == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            key = draw(st.sampled_from(["fevr", "side", "amplitude", "left", "age"]))
            parent[key] = copy.deepcopy(draw(ODD_VALUES))
    return data


def _outcome(where: str, raw: Any) -> Case | str | None:
    """The case read, or the field it was refused for.

    The wording may differ (JSON calls a mapping an object); the verdict and the field may not.
    """
    try:
        return read_case(where, raw)
    except CaseInputError as error:
        return error.field


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cases())
def test_json_read_from_its_bytes_accepts_and_refuses_as_the_case_model_does(
    data: dict[str, Any],
) -> None:
    text = json.dumps(data)
    fast = _outcome("case.json", text.encode())
    assert fast == _outcome("case.json", json.loads(text))
    assert fast == _outcome("case.json", yaml.load(text, Loader=yaml.CSafeLoader))


def test_a_refused_field_is_named_with_its_place() -> None:
    raw = b'{"age": 50, "sex": "male", "exam": {"left": {"strength": {"iliacus": 7}}}}'
    with pytest.raises(CaseInputError) as refused:
        read_case("cases.jsonl:3", raw)
    assert refused.value.field == "exam.left.strength.iliacus"
    assert str(refused.value).startswith("cases.jsonl:3: field 'exam.left.strength.iliacus': ")


def test_text_that_is_not_json_is_unreadable_rather_than_a_field_error() -> None:
    with pytest.raises(CaseInputError) as refused:
        read_case("case.json", b"age: 50\nsex: male\n")
    assert refused.value.unreadable
    assert "not valid JSON" in str(refused.value)


def test_every_batch_row_ranks_as_the_single_row_view_does(kb: KnowledgeBase) -> None:
    cases = [Case.model_validate(item) for item in RAW]
    results = assess_batch(cases, kb)
    assert leading_answers(results) == [results.case(row) for row in range(len(cases))]
    assert leading_answers(results, top=5)[7] == results.case(7, top=5)


def _alone(case: Case, kb: KnowledgeBase) -> dict[str, Any]:
    """What `plexcare assess --json` prints of a case's leading answers."""
    answer = assess(case, kb).to_dict()
    return {
        "case_id": answer["case_id"],
        "localization": [
            {"key": c["key"], "title": c["title"], "probability": c["probability"]}
            for c in answer["localization"][:3]
        ],
        "plexopathy_probability": answer["plexopathy_probability"],
        "etiology": [
            {"disorder": c["disorder"], "name": c["name"], "probability": c["probability"]}
            for c in answer["etiology"][:3]
        ],
    }


def test_every_example_and_vignette_answers_in_a_batch_as_it_does_alone(
    kb: KnowledgeBase,
) -> None:
    cases = [Case.model_validate(item) for item in RAW]
    alone = [_alone(case, kb) for case in cases]
    read = CaseDataBatch(kb)
    for item in RAW:
        read.add(case_input(json.dumps(item).encode()))
    for row in read.to_read_as_cases():
        read.read_as_case(row, cases[row])
    assert leading_answers(read.assess()) == alone
    assert leading_answers(assess_batch(cases, kb)) == alone


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(0, 1)
        | st.integers(0, 10_000).map(lambda k: (k + 0.5) / 1e4)
        | st.integers(0, 10_000).map(lambda k: float(np.nextafter((k + 0.5) / 1e4, 2.0))),
        min_size=1,
    )
)
def test_probabilities_are_rounded_as_python_rounds_them(values: list[float]) -> None:
    assert rounded(np.array(values)) == [round(value, 4) for value in values]
