"""The twin of the case model checks a case's JSON by the model's own field rules, converts
each value as the model would, and leaves only the rules between fields to its readers."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from plexcare.engine.case import Case
from plexcare.engine.case_data import (
    MODELS_READ_WHOLE,
    RULES_READ,
    TWIN_IS_EXACT,
    case_data,
    case_models,
)
from tests.engine.test_case_batch import RAW, mutated_cases

WHOLE = {("history", "cancer"), ("history", "radiotherapy")}
"""Where the models read whole (`MODELS_READ_WHOLE`) sit in a case."""


def test_the_twin_knows_every_rule_between_fields_the_case_models_have() -> None:
    rules = {
        (model.__name__, name)
        for model in case_models()
        for name in (
            *model.__pydantic_decorators__.model_validators,
            *model.__pydantic_decorators__.field_validators,
        )
    }
    assert rules == RULES_READ
    assert {model.__name__ for model in MODELS_READ_WHOLE} == {"Cancer", "Radiotherapy"}
    assert TWIN_IS_EXACT


def _without_whole(data: dict[str, Any]) -> dict[str, Any]:
    whole = {name for _, name in WHOLE}
    history = {k: v for k, v in data.get("history", {}).items() if k not in whole}
    return {**data, "history": history} if "history" in data else data


def test_the_twin_gives_what_the_input_gave_converted_as_the_model_converts_it() -> None:
    for raw in RAW:
        text = json.dumps(raw).encode()
        given = case_data(text)
        assert given is not None
        held = Case.model_validate_json(text).model_dump(exclude_unset=True)
        assert _without_whole(given) == _without_whole(held)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cases())
def test_a_case_the_twin_accepts_is_refused_by_the_model_only_for_a_rule_between_fields(
    data: dict[str, Any],
) -> None:
    text = json.dumps(data).encode()
    try:
        Case.model_validate_json(text)
    except ValidationError as refused:
        if case_data(text) is not None:
            first = refused.errors()[0]
            assert first["type"] == "value_error" or tuple(first["loc"][:2]) in WHOLE
        return
    assert case_data(text) is not None
