"""The small FHIR building blocks every writer here uses: `value[x]` for a recorded value, and
a list of resources with stable `urn:uuid` names. Pure."""

from __future__ import annotations

import typing
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from plexcare.fhir import codes

NAMESPACE = uuid.UUID("5b7f0f4e-3c52-4d7e-9a51-6f1f4c0f2a11")


def is_coded(model: type[BaseModel], name: str) -> bool:
    """Whether a field holds one of a fixed set of words (sent as a code, not free text)."""
    annotation = model.model_fields[name].annotation
    return _has_literal(annotation)


def _has_literal(annotation: Any) -> bool:
    if typing.get_origin(annotation) is Literal:
        return True
    return any(_has_literal(arg) for arg in typing.get_args(annotation))


@dataclass
class ResourceList:
    """Resources with stable `urn:uuid` names: the same case always gives the same Bundle."""

    seed: str
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, resource: dict[str, Any]) -> str:
        name = uuid.uuid5(NAMESPACE, f"{self.seed}/{len(self.entries)}")
        resource["id"] = str(name)
        reference = f"urn:uuid:{name}"
        self.entries.append((reference, resource))
        return reference


def value_fields(value: Any, *, unit: str | None, coded: bool) -> dict[str, Any]:
    """`value[x]` for a case value: a boolean, a coded word, free text, a date or a quantity."""
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, date):
        return {"valueDateTime": value.isoformat()}
    if isinstance(value, str):
        if coded:
            return {
                "valueCodeableConcept": codes.concept(
                    codes.coding(codes.CASE_VALUE, value), text=value
                )
            }
        return {"valueString": value}
    if isinstance(value, int) and unit is None:
        return {"valueInteger": value}
    quantity: dict[str, Any] = {"value": value}
    if unit is not None:
        quantity.update(unit=unit, system=codes.UCUM, code=unit)
    return {"valueQuantity": quantity}
