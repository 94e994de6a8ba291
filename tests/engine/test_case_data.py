"""The twin of the case model checks a case's JSON by the model's own field rules, converts
each value as the model would, and leaves only the rules between fields to its readers."""

from __future__ import annotations

import copy
import datetime
import json
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from plexcare.engine.case import Case, CaseModel
from plexcare.engine.case_data import (
    MODELS_READ_WHOLE,
    RULES_READ,
    TWIN_IS_EXACT,
    case_input,
    case_models,
    strict_case,
    twin_data,
)
from plexcare.engine.case_data import given as given_data
from tests.engine.test_case_batch import RAW, _paths, mutated_cases


def _without_nulls(data: Any) -> Any:
    """Data with every key given as null left out: to the case model, and so to the twins'
    readers, a field given as null is a field not given (its defaults are all empty), and the
    strict twin leaves such fields out where pydantic's keeps them."""
    if isinstance(data, dict):
        return {key: _without_nulls(value) for key, value in data.items() if value is not None}
    if isinstance(data, list | tuple):
        return type(data)(map(_without_nulls, data))
    return data


def strict_twin_data(raw: bytes) -> dict[str, Any] | None:
    """The case as the strict twin reads it, as data."""
    case = strict_case(raw)
    return None if case is None else given_data(case)


def case_data(raw: bytes) -> dict[str, Any] | None:
    """The case as the batch takes it (`case_input`), as data."""
    case = case_input(raw)
    return None if case is None else given_data(case)


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
        read = case_data(text)
        assert read is not None
        held = Case.model_validate_json(text).model_dump(exclude_unset=True)
        assert _without_nulls(_without_whole(read)) == _without_nulls(_without_whole(held))


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


def _same(strict: Any, pydantic: Any) -> bool:
    """The same data, value for value and type for type (1.0 is not 1, nor True 1)."""
    if type(strict) is not type(pydantic):
        return False
    if isinstance(strict, dict):
        return strict.keys() == pydantic.keys() and all(
            _same(strict[key], pydantic[key]) for key in strict
        )
    if isinstance(strict, list | tuple):
        return len(strict) == len(pydantic) and all(map(_same, strict, pydantic))
    return bool(strict == pydantic)


STRICT_ODD_VALUES = st.sampled_from(
    [
        5.0,
        1,
        0,
        "5",
        "true",
        1e400,
        10**30,
        -0.0,
        "2024-03-01T00:00:00",
        "20240301",
        "x" * 81,
        "\U0001f600" * 41,
        [{"a": 1}],
        {"sites": ["back"]},
    ]
)


@st.composite
def cases_strictly_odd(draw: st.DrawFn) -> dict[str, Any]:
    """A real case, perhaps changed, with a value here and there that JSON can hold but
    pydantic and msgspec might read apart (a whole number as a float, a flag as a number, a
    date with a time, a string at the edge of its length)."""
    data = draw(mutated_cases())
    for _ in range(draw(st.integers(0, 2))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = copy.deepcopy(draw(STRICT_ODD_VALUES))
    return data


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases_strictly_odd())
def test_what_the_strict_twin_takes_pydantic_s_twin_reads_the_same(data: dict[str, Any]) -> None:
    text = json.dumps(data).encode()
    strict = strict_twin_data(text)
    if strict is not None:
        assert _same(_without_nulls(strict), _without_nulls(twin_data(text)))
        assert _same(case_data(text), strict)


def test_the_strict_twin_takes_every_example_case_and_gives_pydantic_s_data() -> None:
    for raw in RAW:
        text = json.dumps(raw).encode()
        strict = strict_twin_data(text)
        assert strict is not None, raw.get("id")
        assert _same(_without_nulls(strict), _without_nulls(twin_data(text)))


def test_what_the_strict_twin_does_not_take_pydantic_s_twin_still_reads() -> None:
    text = b'{"age": 50.0, "sex": "male", "symptoms": {"bladder_bowel": 1}}'
    assert strict_twin_data(text) is None
    assert case_data(text) == {"age": 50, "sex": "male", "symptoms": {"bladder_bowel": True}}


def test_json_nested_past_the_strict_twin_s_depth_goes_to_pydantic_s_twin() -> None:
    for depth in (5_000, 100_000):
        nested = b"[" * depth + b"]" * depth
        text = b'{"age": 50, "sex": "female", "history": {"cancer": ' + nested + b"}}"
        assert strict_twin_data(text) is None
        assert case_data(text) == twin_data(text)


def _minimal(annotation: Any) -> Any:
    """The least JSON value the annotation takes (a model: its required fields alone)."""
    if isinstance(annotation, type) and issubclass(annotation, CaseModel):
        return {
            name: _minimal(_constrained(info.annotation, info.metadata))
            for name, info in annotation.model_fields.items()
            if info.is_required()
        }
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        bounds = _bounds(annotation.__metadata__)
        least = _minimal(args[0])
        if "min_length" in bounds:
            return _edges(args[0], "min_length", bounds["min_length"])[0]
        if "ge" in bounds:
            return type(least)(bounds["ge"])
        return least
    if origin in (Union, types.UnionType):
        return _minimal(_not_null(annotation))
    if origin is Literal:
        return args[0]
    if origin is dict:
        return {_minimal(args[0]): _minimal(args[1])}
    if origin is tuple:
        return []
    return {bool: False, int: 0, float: 0.0, str: "x", datetime.date: "2024-03-01"}[annotation]


def _not_null(annotation: Any) -> Any:
    """An optional type's other type (the type itself if it is not optional)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _constrained(annotation: Any, metadata: list[Any]) -> Any:
    return Annotated[(annotation, *metadata)] if metadata else annotation


def _bounds(metadata: tuple[Any, ...]) -> dict[str, Any]:
    """A field's bounds by name (ge, le, min_length, max_length), from its constraints."""
    bounds: dict[str, Any] = {}
    for item in metadata:
        for constraint in item.metadata if isinstance(item, FieldInfo) else (item,):
            for name in ("ge", "gt", "le", "lt", "min_length", "max_length"):
                if hasattr(constraint, name):
                    bounds[name] = getattr(constraint, name)
    return bounds


def _bare(annotation: Any) -> Any:
    """The type under its constraints and its being optional."""
    while get_origin(annotation) in (Annotated, Union, types.UnionType):
        is_annotated = get_origin(annotation) is Annotated
        annotation = get_args(annotation)[0] if is_annotated else _not_null(annotation)
    return annotation


def _edges(annotation: Any, name: str, bound: Any) -> tuple[Any, Any]:
    """A value at the bound, and one just past it: a string or list a letter or an item
    shorter or longer, a number a step under or over (1, or half for a float)."""
    kind = _bare(annotation)
    if name in ("min_length", "max_length"):
        past = bound - 1 if name == "min_length" else bound + 1
        if kind is str:
            return "x" * bound, "x" * past
        if get_origin(kind) is dict:
            value = _minimal(get_args(kind)[1])
            return (
                {f"part{index}": value for index in range(bound)},
                {f"part{index}": value for index in range(past)},
            )
        item = _minimal(get_args(kind)[0])
        return [item] * bound, [item] * past
    step = 1 if kind is int else 0.5
    return bound, bound - step if name in ("ge", "gt") else bound + step


def _places(annotation: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every type a case holds, with the path to where it sits (a mapping's key and a
    tuple's item the least the type takes); models read whole are not entered."""
    yield path, annotation
    if isinstance(annotation, type) and issubclass(annotation, CaseModel):
        if annotation not in MODELS_READ_WHOLE:
            for name, info in annotation.model_fields.items():
                constrained = _constrained(info.annotation, info.metadata)
                yield from _places(constrained, (*path, name))
        return
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        yield from _places(args[0], path)
    elif origin in (Union, types.UnionType):
        for arg in args:
            yield from _places(arg, path)
    elif origin is dict:
        yield from _places(args[1], (*path, _minimal(args[0])))
    elif origin is tuple:
        yield from _places(args[0], (*path, 0))


Place = tuple[tuple[Any, ...], str, Any, Any]
"""Where a constraint sits in a case, its bound's name, a value at it and one past it."""


def _constrained_places() -> Iterator[Place]:
    """Every place in a case a constraint sits, models read whole left out."""
    for path, annotation in _places(Case):
        if get_origin(annotation) is Annotated:
            for name, bound in _bounds(annotation.__metadata__).items():
                yield (path, name, *_edges(get_args(annotation)[0], name, bound))


def _models_placed() -> list[tuple[Any, ...]]:
    """Where each case model sits in a case (models read whole left out), each place once."""
    placed = (
        path
        for path, annotation in _places(Case)
        if isinstance(annotation, type)
        and issubclass(annotation, CaseModel)
        and annotation not in MODELS_READ_WHOLE
    )
    return list(dict.fromkeys(placed))


def _placed(path: tuple[Any, ...], value: Any) -> bytes:
    """The least case with `value` at `path`, as JSON."""
    return json.dumps(_placed_data(path, value)).encode()


def _placed_data(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The least case with `value` at `path` (every model on the way given its required
    fields, a tuple on the way one item)."""
    data: Any = _minimal(Case)
    annotation: Any = Case
    holder: Any = data
    for step in path[:-1]:
        annotation = _step_into(annotation, step)
        if isinstance(holder, list):
            holder.append(_minimal(annotation))
            holder = holder[-1]
        else:
            holder = holder.setdefault(step, _minimal(annotation))
    if isinstance(holder, list):
        holder.append(value)
    else:
        holder[path[-1]] = value
    return dict(data)


def _step_into(annotation: Any, step: Any) -> Any:
    """The type one step down a path: a model's field, a mapping's value, a tuple's item."""
    annotation = _bare(annotation)
    if isinstance(annotation, type) and issubclass(annotation, CaseModel):
        info = annotation.model_fields[step]
        return _constrained(info.annotation, info.metadata)
    args = get_args(annotation)
    return args[-1] if get_origin(annotation) is dict else args[0]


PLACES = list(_constrained_places())


def test_every_kind_of_constraint_the_models_have_is_placed_in_a_case() -> None:
    assert len(PLACES) >= 40
    assert {name for _, name, _, _ in PLACES} == {"ge", "le", "max_length"}


@pytest.mark.parametrize(
    ("path", "name", "at_bound", "past"),
    PLACES,
    ids=[f"{'.'.join(map(str, path))}-{name}" for path, name, _, _ in PLACES],
)
def test_the_strict_twin_takes_a_value_at_each_bound_and_refuses_one_past_it(
    path: tuple[Any, ...], name: str, at_bound: Any, past: Any
) -> None:
    assert strict_twin_data(_placed(path, at_bound)) is not None
    assert twin_data(_placed(path, past)) is None
    assert strict_twin_data(_placed(path, past)) is None


MODEL_PLACES = _models_placed()


@pytest.mark.parametrize("path", MODEL_PLACES, ids=lambda path: ".".join(map(str, path)) or "case")
def test_the_strict_twin_refuses_an_unknown_key_in_every_model(path: tuple[Any, ...]) -> None:
    data = _placed_data((*path, "not_a_field"), 1)
    assert strict_twin_data(json.dumps(data).encode()) is None
    holder: Any = data
    for step in path:
        holder = holder[step]
    del holder["not_a_field"]
    assert strict_twin_data(json.dumps(data).encode()) is not None
