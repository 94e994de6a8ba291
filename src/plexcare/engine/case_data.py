"""A case's input checked by the `Case` model's own field rules without building the model.

A batch of many thousand cases spends most of its reading in building models: every case is
some twenty frozen models, each filled with its defaults, whatever the input gave. The batch
needs none of them, only the values. So each case model has a twin here, spelt twice, with the
same fields, types and constraints (and unknown keys forbidden):
- msgspec structs, the strict twin: frozen, each value converted as the model would convert it,
  a field not given empty. They take JSON written as the model's types are (not a number as
  text) in about a third of pydantic's time, and the batch reads them as they are
  (`case_input`);
- a TypedDict, which pydantic-core validates JSON into, converting what the strict twin does not
  take (a number given as text) as the model does; its data are then put in the structs.

The twin holds the models' field rules; the rules between fields (model validators) are not in
it. Those the twin's readers know are listed in `RULES_READ` and each is applied where the
reader reads its fields: a model whose rules are anything else turns the twin off
(`TWIN_IS_EXACT`), and every case then goes through `Case`, so a new rule can slow a batch but
never let a case through that `Case` refuses. A model whose rule rewrites its input before its
fields are read (an older spelling of a cancer history) is left to the model itself
(`MODELS_READ_WHOLE`). A test pins both lists.
"""

from __future__ import annotations

import datetime
import types
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, NotRequired, Required, Union, get_args, get_origin

import annotated_types
import msgspec
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from typing_extensions import TypedDict

from plexcare.engine.case import Cancer, Case, CaseModel, History, Labs, Radiotherapy, Symptoms

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
"""Every model validator the readers of the twin apply (the last four through the model)."""


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
    which a reader of the twin reads from a missing key (the strict twin gives it as None)."""
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


Constrain = Callable[[Any, tuple[Any, ...]], Any]
"""A type with a field's constraints (its metadata) attached, as a twin spells them."""


def _twin_type(
    annotation: Any, twin_of: Callable[[type[CaseModel]], Any], constrain: Constrain
) -> Any:
    """The annotation with each case model in it replaced by its twin (`twin_of`)."""
    if isinstance(annotation, type) and issubclass(annotation, CaseModel):
        return Any if annotation in MODELS_READ_WHOLE else twin_of(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return constrain(_twin_type(args[0], twin_of, constrain), annotation.__metadata__)
    if origin in (Union, types.UnionType):
        return Union[tuple(_twin_type(arg, twin_of, constrain) for arg in args)]  # noqa: UP007
    if origin is dict:
        key, value = (_twin_type(arg, twin_of, constrain) for arg in args)
        return dict[key, value]  # type: ignore[valid-type]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return tuple[_twin_type(args[0], twin_of, constrain), ...]  # type: ignore[misc]
    if origin is None or origin is Literal:
        return annotation
    raise TypeError(f"no twin for {annotation!r}")


def _fields(
    model: type[CaseModel], twin_of: Callable[[type[CaseModel]], Any], constrain: Constrain
) -> Iterator[tuple[str, Any, bool]]:
    """Each field's name, its type in the twin (constraints attached), and whether the
    input must give it."""
    for name, info in model.model_fields.items():
        annotation = _twin_type(info.annotation, twin_of, constrain)
        if info.metadata:
            annotation = constrain(annotation, tuple(info.metadata))
        yield name, annotation, info.is_required()


def _as_pydantic_spells_it(annotation: Any, metadata: tuple[Any, ...]) -> Any:
    return Annotated[(annotation, *metadata)]


_TYPED_DICT: Any = TypedDict
"""Called with a name made at run time, which the type checker's TypedDict cannot take."""


def _twin(model: type[CaseModel], twins: dict[type[CaseModel], Any]) -> Any:
    if model in twins:
        return twins[model]
    fields = {
        name: Required[annotation] if required else NotRequired[annotation]
        for name, annotation, required in _fields(
            model, lambda inner: _twin(inner, twins), _as_pydantic_spells_it
        )
    }
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


MSGSPEC_BOUNDS: dict[type, str] = {
    annotated_types.Ge: "ge",
    annotated_types.Gt: "gt",
    annotated_types.Le: "le",
    annotated_types.Lt: "lt",
    annotated_types.MinLen: "min_length",
    annotated_types.MaxLen: "max_length",
}
"""The constraints the strict twin spells, each by its `msgspec.Meta` name (which is also the
attribute the constraint holds its bound in)."""


def _as_msgspec_spells_it(annotation: Any, metadata: tuple[Any, ...]) -> Any:
    """The annotation with msgspec's `Meta` for the constraints; on a type that may be null,
    on each of the others (msgspec bounds a string or a number, not an optional one). A
    constraint it cannot spell raises `TypeError`, and the strict twin is off."""
    bounds: dict[str, Any] = {}
    for item in metadata:
        for constraint in item.metadata if isinstance(item, FieldInfo) else (item,):
            name = MSGSPEC_BOUNDS.get(type(constraint))
            if name is None:
                raise TypeError(f"msgspec has no constraint for {constraint!r}")
            bounds[name] = getattr(constraint, name)
    meta = msgspec.Meta(**bounds)
    if get_origin(annotation) in (Union, types.UnionType):
        members = get_args(annotation)
        return Union[  # noqa: UP007
            tuple(arg if arg is type(None) else Annotated[arg, meta] for arg in members)
        ]
    return Annotated[annotation, meta]


SECTIONS_READ_AS_GIVEN: frozenset[type[CaseModel]] = frozenset({Symptoms, History, Labs})
"""Models the batch reads as dictionaries of what the input gave (the etiology features read
them by column, a case paying only for the fields it gives): their structs leave a field the
input did not give unset, and `given` leaves it out."""


def _strict_field(name: str, annotation: Any, required: bool, unset: bool) -> tuple[Any, ...]:
    """A field of a strict struct (`msgspec.defstruct`'s spelling): required, or left unset
    when not given, or None."""
    if required:
        return name, annotation
    if unset:
        return name, annotation | msgspec.UnsetType, msgspec.UNSET
    return name, annotation, None


def _strict_twin(model: type[CaseModel], twins: dict[type[CaseModel], Any]) -> Any:
    """The model as a frozen msgspec struct, an unknown key refused. A field the input did not
    give is None (the model's own defaults are all empty: `_defaults_are_empty`), or unset in
    the sections read as given; either way left out of `given`'s dictionary (`omit_defaults`).
    Frozen, a struct of plain values is its own key when the batch remembers what it read."""
    if model in twins:
        return twins[model]
    unset = model in SECTIONS_READ_AS_GIVEN
    fields = [
        _strict_field(name, annotation, required, unset)
        for name, annotation, required in _fields(
            model, lambda inner: _strict_twin(inner, twins), _as_msgspec_spells_it
        )
    ]
    twin = msgspec.defstruct(
        f"{model.__name__}Input",
        fields,
        kw_only=True,
        forbid_unknown_fields=True,
        frozen=True,
        omit_defaults=True,
        gc=False,
    )
    twins[model] = twin
    return twin


def _strict_decoder() -> tuple[Any, msgspec.json.Decoder[Any]] | tuple[None, None]:
    """The strict twin of `Case` and its JSON decoder, or neither when the twin is off."""
    if _VALIDATOR is None:
        return None, None
    try:
        twin = _strict_twin(Case, {})
        return twin, msgspec.json.Decoder(twin)
    except TypeError:  # a constraint msgspec cannot spell (or hold): every case goes to `Case`
        return None, None


CaseInput = Any
"""A case as the strict twin's structs hold it (`case_input`): attributes named as the case
model's fields, built at run time, so typed as Any."""
_CASE_INPUT, _DECODER = _strict_decoder()
TWIN_IS_EXACT = _CASE_INPUT is not None
"""Whether the twins hold every rule of `Case` but those `RULES_READ` names (and msgspec can
spell them all)."""
KEPT_AS_THEY_ARE = (datetime.date,)
"""Values `msgspec.to_builtins` leaves as they are (it would write a date as text)."""


def strict_case(raw: bytes) -> CaseInput | None:
    """The case's JSON as msgspec's strict twin reads it, or None when it does not take it
    (msgspec refuses JSON nested past its depth limit with `RecursionError`: such a case, some
    thousand brackets deep in a history read whole, goes to pydantic's twin like any other)."""
    if _DECODER is None:
        return None
    try:
        return _DECODER.decode(raw)
    except (msgspec.MsgspecError, RecursionError):
        return None


def given(part: Any) -> CaseData:
    """A struct of the strict twin (a section, a result, a whole case) as the dictionary of
    what the input gave, each value as the model converts it; an absent section as empty."""
    if part is None:
        return {}
    data: CaseData = msgspec.to_builtins(part, builtin_types=KEPT_AS_THEY_ARE)
    return data


def twin_data(raw: bytes) -> CaseData | None:
    """The case's JSON as pydantic's twin reads it, or None when it refuses it (or is off)."""
    if _VALIDATOR is None:
        return None
    try:
        return _VALIDATOR.validate_json(raw)
    except ValidationError:
        return None


def case_input(raw: bytes) -> CaseInput | None:
    """One case's JSON checked field by field, as the strict twin's structs, or None when the
    twins refuse it (or are off): the case must then be read by `Case`, which says what is
    wrong, if anything is.

    The twin is spelt twice. msgspec's strict twin reads JSON as it is written (a number as a
    number, a date as an ISO date), checks it and converts it in about a third of pydantic's
    time (11.4 and 12.2 µs a case against 31.9 and 35.3, two runs over the same 20,000
    cases); input it does not take (a number given as
    text, which pydantic converts) goes to pydantic's twin, which converts it as the model
    does, and its data are then put in the structs. A property test holds the two to the same
    data wherever the strict one takes the JSON."""
    case = strict_case(raw)
    if case is not None:
        return case
    data = twin_data(raw)
    if data is None or _CASE_INPUT is None:
        return None
    try:
        return msgspec.convert(data, _CASE_INPUT)
    except msgspec.MsgspecError:
        return None
