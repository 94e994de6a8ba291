"""Frozen answer records built without their generated `__init__`, for the hot loops.

An assessment builds a few hundred small frozen dataclasses (every ranked candidate and cause,
and the findings and facts behind the leaders). Python 3.11's generated `__init__` of a frozen
dataclass sets each field through `object.__setattr__`, which makes one record cost about
twice a plain one; over a whole answer that is a tenth of the time `assess` takes. `record`
gives the same object (same class, same fields, equal and hashable as usual) from a dict of
every field in declaration order, which the caller builds once per kind of row.
"""

from __future__ import annotations

from typing import Any, TypeVar

Record = TypeVar("Record")

_new = object.__new__
_set = object.__setattr__


def record(kind: type[Record], fields: dict[str, Any]) -> Record:
    """An instance of the frozen dataclass `kind` holding `fields` (all of them, in
    declaration order, nothing else: the caller's contract, checked by the tests). The dict
    becomes the instance's own: do not reuse it."""
    made: Record = _new(kind)
    _set(made, "__dict__", fields)
    return made
