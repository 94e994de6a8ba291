"""What changed between two versions of a case: the fields the clinician edited, and whether
the engine's leading localization and cause moved because of them.

Pure: two stored versions (plain JSON) in, a frozen comparison out. Nested fields are named by
their dotted path (`exam.right.strength.tibialis_anterior`), the same way a validation error
names them, so a clinician reads one vocabulary everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class LeaderChange:
    before: str
    after: str
    changed: bool
    probability_before: float | None
    probability_after: float | None


@dataclass(frozen=True)
class VersionComparison:
    changed_fields: tuple[FieldChange, ...]
    leading_localization: LeaderChange
    leading_cause: LeaderChange


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of nested dicts and lists by dotted path; empty containers count as leaves."""
    if isinstance(value, Mapping) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list | tuple) and value:
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix: value}


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every path whose value differs, was added or was removed (None stands for absent, so a
    muscle dropped from the EMG does not list each of its unrecorded fields as a change)."""
    old, new = flatten(before), flatten(after)
    changes = []
    for path in sorted(set(old) | set(new)):
        first, second = old.get(path), new.get(path)
        if first == second:
            continue
        changes.append(FieldChange(field=path, before=first, after=second))
    return tuple(changes)


def _leader(assessment: Mapping[str, Any], part: str, key: str) -> tuple[str, float | None]:
    ranked = assessment.get(part) or []
    if not ranked:
        return "", None
    top = ranked[0]
    probability = top.get("probability")
    return str(top.get(key, "")), float(probability) if probability is not None else None


def _leader_change(
    before: Mapping[str, Any], after: Mapping[str, Any], part: str, key: str
) -> LeaderChange:
    first, first_probability = _leader(before, part, key)
    second, second_probability = _leader(after, part, key)
    return LeaderChange(
        before=first,
        after=second,
        changed=first != second,
        probability_before=first_probability,
        probability_after=second_probability,
    )


def compare_versions(
    *,
    case_before: Mapping[str, Any],
    case_after: Mapping[str, Any],
    assessment_before: Mapping[str, Any],
    assessment_after: Mapping[str, Any],
) -> VersionComparison:
    return VersionComparison(
        changed_fields=changed_fields(case_before, case_after),
        leading_localization=_leader_change(
            assessment_before, assessment_after, "localization", "key"
        ),
        leading_cause=_leader_change(assessment_before, assessment_after, "etiology", "disorder"),
    )
