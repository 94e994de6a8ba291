"""Check a follow-up score against its scale and read a series of scores over time.

A clinician recording "MRC 34" on a 0–30 scale, or "mRS 2.5", has made a typo, and a typo
in a follow-up series turns into a false recovery or a false decline on the chart. So every
score is checked against its scale before it is stored, with an error naming the field.

The series summary answers what a follow-up visit asks: where did the patient start, where
are they now, is that better or worse in the scale's own direction, and is the change big
enough to matter to patients (at least the scale's published MCID)? Pure: scores and scales
in, a frozen summary out.

Usage::

    scale = knowledge_base().outcome_scales["pain_numeric_rating"]
    value = validate_score(scale, 6)
    summary = summarize_series(scale, [ScoreReading(taken_at=t0, value=7),
                                       ScoreReading(taken_at=t1, value=4)])
    summary.direction, summary.reaches_mcid        # "better", True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from plexcare.errors import InvalidInput
from plexcare.knowledge.outcome_model import OutcomeScale

__all__ = [
    "ScoreInvalid",
    "ScoreReading",
    "SeriesSummary",
    "score_from_items",
    "summarize_series",
    "validate_score",
]

Direction = Literal["better", "worse", "unchanged"]


class ScoreInvalid(InvalidInput):
    """A score that its scale does not allow; `field` names the input at fault."""


@dataclass(frozen=True)
class ScoreReading:
    """One score on one scale, taken at one moment (time-zone-aware)."""

    taken_at: datetime
    value: float


@dataclass(frozen=True)
class SeriesSummary:
    """A scale's scores over time, read in the scale's own direction.

    ``change`` is last minus first in the scale's units; ``direction`` is "better" when that
    moves the way the scale calls better. ``reaches_mcid`` is None when the scale has no
    published MCID, so "no figure" is never shown as "not meaningful".
    """

    scale_id: str
    count: int
    first: ScoreReading
    last: ScoreReading
    best: ScoreReading
    change: float
    relative_change: float | None
    direction: Direction
    reaches_mcid: bool | None
    days: float


def validate_score(scale: OutcomeScale, value: float, *, field: str = "value") -> float:
    """`value` if the scale allows it; ordinal and sum scores must be whole numbers.

    Returns a float for continuous scales and a whole-valued number otherwise, so the caller
    stores exactly what was checked.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScoreInvalid(f"{scale.name} needs a number", field=field)
    if not math.isfinite(value):
        raise ScoreInvalid(f"{scale.name} needs a finite number", field=field)
    if not scale.minimum <= value <= scale.maximum:
        unit = f" {scale.unit}" if scale.unit else ""
        raise ScoreInvalid(
            f"{scale.name} runs from {scale.minimum:g} to {scale.maximum:g}{unit}; "
            f"{value:g} is outside it",
            field=field,
        )
    if scale.kind in ("ordinal", "sum") and not float(value).is_integer():
        raise ScoreInvalid(f"{scale.name} takes whole numbers only, not {value:g}", field=field)
    return value


def score_from_items(
    scale: OutcomeScale, grades: Mapping[str, int], *, field: str = "items"
) -> int:
    """The total of a sum score from every item's grade (e.g. six MRC grades → 0–30).

    Every item must be graded exactly once; a missing item would silently lower the total.
    """
    if scale.kind != "sum":
        raise ScoreInvalid(f"{scale.name} is not a sum score", field=field)
    known = {item.id: item for item in scale.items}
    unknown = sorted(set(grades) - set(known))
    if unknown:
        raise ScoreInvalid(f"unknown item(s) for {scale.name}: {', '.join(unknown)}", field=field)
    missing = [item_id for item_id in known if item_id not in grades]
    if missing:
        raise ScoreInvalid(f"{scale.name} needs a grade for: {', '.join(missing)}", field=field)
    total = 0
    for item_id, grade in grades.items():
        item = known[item_id]
        if isinstance(grade, bool) or not isinstance(grade, int):
            raise ScoreInvalid(
                f"{item.name} needs a whole-number grade", field=f"{field}.{item_id}"
            )
        if not item.minimum <= grade <= item.maximum:
            raise ScoreInvalid(
                f"{item.name} is graded {item.minimum}–{item.maximum}, not {grade}",
                field=f"{field}.{item_id}",
            )
        total += grade
    return total


def _direction(scale: OutcomeScale, change: float) -> Direction:
    if change == 0:
        return "unchanged"
    improved = change > 0 if scale.better == "higher" else change < 0
    return "better" if improved else "worse"


def summarize_series(scale: OutcomeScale, readings: Sequence[ScoreReading]) -> SeriesSummary | None:
    """First, last, best and the change between, in time order; None for an empty series.

    Readings are sorted by time (ties keep the given order) and each is validated, so a bad
    stored value surfaces as an error rather than a misleading trend.
    """
    if not readings:
        return None
    for index, reading in enumerate(readings):
        if reading.taken_at.tzinfo is None or reading.taken_at.utcoffset() is None:
            raise ScoreInvalid("must include a time zone", field=f"readings.{index}.taken_at")
        validate_score(scale, reading.value, field=f"readings.{index}.value")
    ordered = sorted(readings, key=lambda r: r.taken_at)
    first, last = ordered[0], ordered[-1]
    change = last.value - first.value
    relative = change / abs(first.value) if first.value != 0 else None
    pick = max if scale.better == "higher" else min
    best = pick(ordered, key=lambda r: r.value)
    reaches: bool | None = None
    if scale.mcid is not None or scale.mcid_relative is not None:
        by_points = scale.mcid is not None and abs(change) >= scale.mcid
        by_share = (
            scale.mcid_relative is not None
            and relative is not None
            and abs(relative) >= scale.mcid_relative
        )
        reaches = change != 0 and (by_points or by_share)
    return SeriesSummary(
        scale_id=scale.id,
        count=len(ordered),
        first=first,
        last=last,
        best=best,
        change=change,
        relative_change=relative,
        direction=_direction(scale, change),
        reaches_mcid=reaches,
        days=(last.taken_at - first.taken_at).total_seconds() / 86400,
    )
