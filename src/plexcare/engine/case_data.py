"""A case as plain data, checked by the `Case` model's own field rules without building it.

A batch of many thousand cases spends most of its reading in building models: every case is
some twenty frozen models, each filled with its defaults, whatever the input gave. The batch
needs none of them, only the values. So each case model has a twin here, a TypedDict with the
same fields, types and constraints (and unknown keys forbidden), and pydantic-core validates
JSON into dictionaries of what the input gave, with every value already converted as the model
would convert it: the same checks, in about half the time.

The twin holds the models' field rules; the rules between fields (model validators) are not in
it. Those `CaseData` readers know are listed in `RULES_READ` and each is applied where the
reader reads its fields: a model whose rules are anything else turns the twin off
(`TWIN_IS_EXACT`), and every case then goes through `Case`, so a new rule can slow a batch but
never let a case through that `Case` refuses. A model whose rule rewrites its input before its
fields are read (an older spelling of a cancer history) is left to the model itself
(`MODELS_READ_WHOLE`). A test pins both lists.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, NotRequired, Required, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from typing_extensions import TypedDict

from plexcare.engine.case import Cancer, Case, CaseModel, Radiotherapy

CaseData = dict[str, Any]
"""A case's input, validated field by field: only the keys it gave, values converted."""

MODELS_READ_WHOLE: frozenset[type[CaseModel]] = frozenset({Cancer, Radiotherapy})
"""Models whose input a rule rewrites before the fields are read: validated by the model."""

RULES_READ: frozenset[tuple[str, str]] = frozenset(
    {
        ("Case", "_pregnancy_needs_a_woman"),
        ("Case", "_dates_in_order"),
        ("History", "_radiotherapy_told_once"),
        ("StudyResult", "_has_a_result"),
        ("SegmentResult", "_has_a_result"),
        ("Cancer", "_read_older_cases"),
        ("Cancer", "_site_only_with_a_cancer"),
        ("Radiotherapy", "_status_alone"),
        ("Radiotherapy", "_details_only_when_given"),
    }
)
"""Every model validator the readers of `CaseData` apply (the last four through the model)."""


def case_models(model: type[CaseModel] = Case) -> Iterator[type[CaseModel]]:
    """`model` and every case model its fields hold, each once."""
    seen: set[type[CaseModel]] = set()
    waiting: list[Any] = [model]
    while waiting:
        annotation = waiting.pop()
        if isinstance(annotation, type) and issubclass(annotation, CaseModel):
            if annotation in seen:
                continue
            seen.add(annotation)
            yield annotation
            waiting += [info.annotation for info in annotation.model_fields.values()]
        else:
            waiting += [arg for arg in get_args(annotation) if not isinstance(arg, FieldInfo)]


def _rules(model: type[BaseModel]) -> set[tuple[str, str]]:
    decorators = model.__pydantic_decorators__
    named = [*decorators.model_validators, *decorators.field_validators]
    return {(model.__name__, name) for name in named}


def _defaults_are_empty(model: type[CaseModel]) -> bool:
    """Whether every default is 'not given' (None, an empty collection, or a model of such),
    which a reader of `CaseData` reads from a missing key."""
    for info in model.model_fields.values():
        if info.is_required():
            continue
        factory = info.default_factory
        if factory is None:
            if info.default not in (None, ()):
                return False
        elif factory not in (dict, tuple) and not (
            isinstance(factory, type) and issubclass(factory, CaseModel)
        ):
            return False
    return True


def _twin_type(annotation: Any, twins: dict[type[CaseModel], Any]) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, CaseModel):
        return Any if annotation in MODELS_READ_WHOLE else _twin(annotation, twins)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return Annotated[(_twin_type(args[0], twins), *annotation.__metadata__)]
    if origin in (Union, types.UnionType):
        return Union[tuple(_twin_type(arg, twins) for arg in args)]  # noqa: UP007
    if origin is dict:
        return dict[_twin_type(args[0], twins), _twin_type(args[1], twins)]  # type: ignore[misc]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return tuple[_twin_type(args[0], twins), ...]  # type: ignore[misc]
    if origin is None or origin is Literal:
        return annotation
    raise TypeError(f"no twin for {annotation!r}")


_TYPED_DICT: Any = TypedDict
"""Called with a name made at run time, which the type checker's TypedDict cannot take."""


def _twin(model: type[CaseModel], twins: dict[type[CaseModel], Any]) -> Any:
    if model in twins:
        return twins[model]
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = _twin_type(info.annotation, twins)
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[name] = Required[annotation] if info.is_required() else NotRequired[annotation]
    twin: Any = _TYPED_DICT(f"{model.__name__}Data", fields)
    twin.__pydantic_config__ = ConfigDict(extra="forbid")
    twins[model] = twin
    return twin


def _twin_validator() -> TypeAdapter[CaseData] | None:
    models = list(case_models())
    rules = set().union(*(_rules(model) for model in models))
    if rules != RULES_READ or not all(_defaults_are_empty(model) for model in models):
        return None
    adapter: TypeAdapter[CaseData] = TypeAdapter(_twin(Case, {}))
    return adapter


_VALIDATOR = _twin_validator()
TWIN_IS_EXACT = _VALIDATOR is not None
"""Whether the twin holds every rule of `Case` but those `RULES_READ` names."""


def case_data(raw: bytes) -> CaseData | None:
    """One case's JSON checked field by field, or None when the twin refuses it (or is off):
    the case must then be read by `Case`, which says what is wrong, if anything is."""
    if _VALIDATOR is None:
        return None
    try:
        return _VALIDATOR.validate_json(raw)
    except ValidationError:
        return None
