"""Conduction measures as the bands between the values the reading compares them with.

A batch remembers what it read of each different study result, and a result repeats when a
grade or the same numbers do. Measured patient by patient, numbers seldom repeat: 20,000
cases, each patient's measures their own, held some 12,000 different study results, and
reading them afresh took half the time of reading the cases' data. Yet what `read_study` makes
of a result without segments changes only where a measure crosses one of the values its rules
compare it with (`findings.reading_cut_points`): a sural SNAP of 11.3 µV reads as one of
12.8 µV does, both above the borderline band over the limit. So a result can also be
remembered by the band each measure falls in.

A measure within a hair (a billionth of the cut point) of a cut point is in no band: there the
ratio a rule computes and the product the cut point is could round to different sides, so such
a result is read by its own values. F waves are not banded either: their reading also weighs
the motor study's amplitude.

Two sides' results compared (`findings.side_difference`) are banded alike: by whether each
gives an amplitude above zero, which is the smaller, the band of its share of the larger,
and for the H reflex the band of the latency difference (`findings.side_cut_points`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from plexcare.engine.findings import in_unit, reading_cut_points, side_cut_points
from plexcare.knowledge.engine_parameters_model import ClinicalThresholds
from plexcare.knowledge.model import NerveConductionStudy

HAIR = 1e-9
"""How near a cut point, relative to it, a measure is read by its own value."""
SMALLEST_HAIR = 1e-12
"""The hair around a cut point of zero."""
UNITS = ("uV", "mV")
"""The amplitude units a result may give."""
Edges = tuple[float, ...]
"""Each cut point's hair as its two edges, in order: the bands lie below the first hair,
between one hair and the next, and above the last."""
NOT_GIVEN = -1
"""The band of a measure the result does not give."""


def guarded_edges(cuts: Iterable[float]) -> Edges:
    """The cut points' hairs as edges (hairs that touch merged into one)."""
    edges: list[float] = []
    for cut in sorted(set(cuts)):
        hair = max(abs(cut) * HAIR, SMALLEST_HAIR)
        if edges and cut - hair <= edges[-1]:
            edges[-1] = max(edges[-1], cut + hair)
        else:
            edges += (cut - hair, cut + hair)
    return tuple(edges)


def band_of(value: float, edges: Edges) -> int | None:
    """Which band the value lies in, counted from below; None within a hair of a cut point."""
    at = bisect_right(edges, value)
    return None if at & 1 else at >> 1


ABOVE_ZERO = guarded_edges((0.0,))
"""An amplitude's edges for a side comparison: zero (an absent response), or above it."""


@dataclass(frozen=True)
class StudyBands:
    """One study's edges at one age: the amplitude's in each unit a result may give it in
    (the reading converts it to the study's own), the velocity's and the latency's."""

    amplitude: Mapping[str | None, Edges]
    velocity: Edges
    latency: Edges

    def of(self, result: Any) -> tuple[int, int, int] | None:
        """The bands of a result's amplitude, velocity and latency (`NOT_GIVEN` for one it
        does not give); None when one is within a hair of a cut point, or an amplitude comes
        without its unit."""
        amplitude = _band(result.amplitude, self.amplitude.get(result.unit))
        velocity = _band(result.velocity, self.velocity)
        latency = _band(result.latency, self.latency)
        if amplitude is None or velocity is None or latency is None:
            return None
        return amplitude, velocity, latency


def _band(value: float | None, edges: Edges | None) -> int | None:
    """`NOT_GIVEN` for a value not given, else its band (None: within a hair of a cut point,
    or no edges to band it by)."""
    if value is None:
        return NOT_GIVEN
    return None if edges is None else band_of(value, edges)


def study_bands(
    study: NerveConductionStudy, lower: float | None, thresholds: ClinicalThresholds
) -> StudyBands:
    """The study's bands for a patient whose amplitude limit is `lower`."""
    cuts = reading_cut_points(study, lower, thresholds)
    return StudyBands(
        amplitude={
            unit: guarded_edges(cut / _factor(unit, study.amplitude_unit) for cut in cuts.amplitude)
            for unit in UNITS
        },
        velocity=guarded_edges(cuts.velocity),
        latency=guarded_edges(cuts.latency),
    )


def _factor(unit: str, into: str | None) -> float:
    """What an amplitude in `unit` is multiplied by to be in unit `into`, as the reading
    converts it (`findings.in_unit` of one)."""
    return cast(float, in_unit(1.0, unit, into))  # a unit given: never None


@dataclass(frozen=True)
class SideBands:
    """One study's edges for comparing the sides: what an amplitude in each unit is
    multiplied by to compare it (as `findings._response_size` converts it), the smaller
    share's edges, and the latency difference's (none: the latency is not compared)."""

    to_size: Mapping[str | None, float]
    share: Edges
    latency_difference: Edges

    def of(self, left: Any, right: Any) -> tuple[int, int, bool, int, int] | None:
        """The bands of two results (each with an amplitude, unit and latency): whether each
        amplitude is above zero, whether the left is the smaller, the band of the smaller's
        share, and of the latency difference (`NOT_GIVEN` where they do not apply); None
        when one is within a hair of a cut point."""
        left_band = _band(left.amplitude, ABOVE_ZERO)
        right_band = _band(right.amplitude, ABOVE_ZERO)
        if left_band is None or right_band is None:
            return None
        left_smaller, share_band = False, NOT_GIVEN
        if left_band == right_band == 1:
            left_factor = self.to_size.get(left.unit)
            right_factor = self.to_size.get(right.unit)
            if left_factor is None or right_factor is None:
                return None
            left_size = left.amplitude * left_factor
            right_size = right.amplitude * right_factor
            left_smaller = left_size < right_size
            share = band_of(min(left_size, right_size) / max(left_size, right_size), self.share)
            if share is None:
                return None
            share_band = share
        latency_band = NOT_GIVEN
        if self.latency_difference and None not in (left.latency, right.latency):
            difference = band_of(left.latency - right.latency, self.latency_difference)
            if difference is None:
                return None
            latency_band = difference
        return left_band, right_band, left_smaller, share_band, latency_band


def side_bands(study: NerveConductionStudy, thresholds: ClinicalThresholds) -> SideBands:
    """The study's bands for comparing the sides."""
    cuts = side_cut_points(study, thresholds)
    compared_in = study.amplitude_unit or "mV"
    return SideBands(
        to_size={unit: _factor(unit, compared_in) for unit in UNITS},
        share=guarded_edges(cuts.share),
        latency_difference=guarded_edges(cuts.latency_difference),
    )
