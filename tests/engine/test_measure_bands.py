"""Every result in the same bands reads alike: the cut points list every value the reading
compares a measure with (`findings.reading_cut_points`, `findings.side_cut_points`).

Each band is read at both its ends and its middle, for every study, at every age its limits
change, each measure alone and beside the others: a cut point missing from the list lies
inside a band, between its ends, which then read differently. Random results check the rest.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.engine.case import StudyResult
from plexcare.engine.findings import Collector, lower_limit, read_study, side_difference
from plexcare.engine.measure_bands import (
    NOT_GIVEN,
    Edges,
    SideBands,
    band_of,
    guarded_edges,
    side_bands,
    study_bands,
)
from plexcare.engine.observation_plan import OLDEST
from plexcare.engine.site_and_cause import site_and_cause_model
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import NerveConductionStudy

KB = knowledge_base()
INDEX = site_and_cause_model(KB).localization.findings
READ_ALONE = sorted(name for name, study in KB.studies.items() if study.motor_study is None)
COMPARED = sorted(name for name, study in KB.studies.items() if study.side_ratio_lower)
MOST = {"amplitude": 20_000.0, "velocity": 120.0, "latency": 200.0}
"""The largest value a test gives each measure (the case model's own limits, and an
amplitude far above any study's limit)."""
SHARE_OF_BAND = 1e-6
"""How far inside a band its ends are read, as a share of the band's width."""


def _reading(name: str, result: StudyResult, age: int) -> tuple[dict[int, int], set[str]]:
    collect = Collector(INDEX)
    blocked = read_study(collect, "left", name, KB.studies[name], result, {}, age, KB)
    return collect.values, blocked


def _ages(study: NerveConductionStudy) -> list[int]:
    """The ages at which the study's limits change."""
    return sorted({0, *(band.min_age for band in study.age_limits)})


def _span(edges: Edges, band: int, most: float, least: float = 0.0) -> tuple[float, float]:
    """The values of a band, from the bottom (`least` for the lowest) to the top (`most` for
    the highest)."""
    low = edges[2 * band - 1] if band else least
    high = edges[2 * band] if 2 * band < len(edges) else most
    return low, high


def _inside(edges: Edges, most: float) -> list[list[float]]:
    """For each band above zero that holds values up to `most`: its two ends and middle."""
    found = []
    for band in range(1, len(edges) // 2 + 1):
        low, high = _span(edges, band, most)
        if high <= low:
            continue
        step = (high - low) * SHARE_OF_BAND
        values = [low + step, (low + high) / 2, high - step]
        assert [band_of(value, edges) for value in values] == [band] * 3
        found.append(values)
    return found


def _results(measure: str, value: float, unit: str, fixed: dict[str, Any]) -> StudyResult:
    given_values = {**fixed, measure: value}
    if "amplitude" in given_values:
        given_values["unit"] = unit
    return StudyResult(**given_values)


@pytest.mark.parametrize("name", READ_ALONE)
def test_every_band_of_every_measure_reads_alike_from_end_to_end(name: str) -> None:
    study = KB.studies[name]
    checked = 0
    for age in _ages(study):
        bands = study_bands(study, lower_limit(study, age), KB.thresholds)
        for unit in ("uV", "mV"):
            edges_of = {**vars(bands), "amplitude": bands.amplitude[unit]}
            middles = {
                measure: _inside(edges_of[measure], MOST[measure])[-1][1] for measure in MOST
            }
            for measure in MOST:
                alone: dict[str, Any] = {}
                beside = {other: middles[other] for other in MOST if other != measure}
                for fixed in (alone, beside):
                    for values in _inside(edges_of[measure], MOST[measure]):
                        read = [
                            _reading(name, _results(measure, value, unit, fixed), age)
                            for value in values
                        ]
                        assert read[0] == read[1] == read[2], (name, age, unit, measure, values)
                        checked += 1
    assert checked >= 2 * 2 * len(MOST)  # a band above zero a measure, alone and beside


def _pair(
    amplitudes: tuple[float, float], latencies: tuple[float | None, float | None] = (None, None)
) -> tuple[StudyResult, StudyResult]:
    """Left and right results of these amplitudes (in mV) and latencies."""
    left, right = (
        StudyResult(amplitude=amplitude, unit="mV", latency=latency)
        for amplitude, latency in zip(amplitudes, latencies, strict=True)
    )
    return left, right


@pytest.mark.parametrize("name", COMPARED)
def test_every_band_of_the_smaller_share_compares_alike_from_end_to_end(name: str) -> None:
    study = KB.studies[name]
    bands = side_bands(study, KB.thresholds)
    larger = 10.0
    for values in _inside(bands.share, 1.0):
        for left_is_smaller in (True, False):
            verdicts = set()
            for share in values:
                sizes = (larger * share, larger) if left_is_smaller else (larger, larger * share)
                left, right = _pair(sizes)
                assert bands.of(left, right) is not None
                verdicts.add(side_difference(study, left, right, KB))
            assert len(verdicts) == 1, (name, values, left_is_smaller, verdicts)


def test_the_h_reflex_latency_difference_compares_alike_from_end_to_end() -> None:
    study = KB.studies["h_reflex"]
    bands = side_bands(study, KB.thresholds)
    assert bands.latency_difference
    most = MOST["latency"] / 2  # the right latency, and the most either side is later
    for band in range(len(bands.latency_difference) // 2 + 1):
        low, high = _span(bands.latency_difference, band, most, least=-most)
        step = (high - low) * SHARE_OF_BAND
        verdicts = set()
        for difference in (low + step, (low + high) / 2, high - step):
            left, right = _pair((2.0, 2.0), (most + difference, most))
            verdicts.add(side_difference(study, left, right, KB))
        assert len(verdicts) == 1, (band, verdicts)


def test_a_measure_within_a_hair_of_a_cut_point_is_in_no_band() -> None:
    edges = guarded_edges([0.0, 4.0, 4.8, 4.0])
    assert len(edges) == 6
    assert band_of(-1.0, edges) == 0
    assert band_of(0.0, edges) is None
    assert band_of(2.0, edges) == 1
    assert band_of(4.0, edges) is None
    assert band_of(4.0 * (1 + 1e-10), edges) is None
    assert band_of(4.0 * (1 + 1e-8), edges) == 2
    assert band_of(4.8, edges) is None
    assert band_of(100.0, edges) == 3


def test_hairs_that_touch_are_one() -> None:
    edges = guarded_edges([1.0, 1.0 + 1e-10])
    assert len(edges) == 2
    assert band_of(1.0 + 5e-11, edges) is None
    assert band_of(0.5, edges) == 0 and band_of(2.0, edges) == 1


def test_an_amplitude_without_its_unit_is_in_no_band() -> None:
    study = KB.studies["sural_snap"]
    bands = study_bands(study, 6.0, KB.thresholds)
    no_unit = StudyResult.model_construct(amplitude=8.0, unit=None, segments={})
    assert bands.of(no_unit) is None
    assert bands.of(StudyResult(amplitude=8.0, unit="uV")) is not None
    assert bands.of(StudyResult(grade="normal")) == (NOT_GIVEN, NOT_GIVEN, NOT_GIVEN)
    sides = side_bands(study, KB.thresholds)
    assert sides.of(no_unit, StudyResult(amplitude=8.0, unit="uV")) is None
    assert (
        sides.of(StudyResult(amplitude=3.0, unit="uV"), StudyResult(amplitude=8.0, unit="uV"))
        is not None
    )


def test_an_amplitude_in_another_unit_is_banded_as_the_reading_converts_it() -> None:
    """The sural SNAP's limit is in µV: 0.0059 mV is under the 6 µV limit, 0.0061 mV in the
    borderline band over it."""
    bands = study_bands(KB.studies["sural_snap"], 6.0, KB.thresholds)
    below = bands.of(StudyResult(amplitude=0.0059, unit="mV"))
    over = bands.of(StudyResult(amplitude=0.0061, unit="mV"))
    assert below == bands.of(StudyResult(amplitude=5.9, unit="uV"))
    assert over == bands.of(StudyResult(amplitude=6.1, unit="uV"))
    assert below != over


MEASURE_VALUES = {
    "amplitude": st.floats(0, MOST["amplitude"]),
    "velocity": st.floats(0, MOST["velocity"]),
    "latency": st.floats(0, MOST["latency"]),
}


@st.composite
def _results_read_alone(draw: st.DrawFn) -> tuple[str, int, StudyResult]:
    name = draw(st.sampled_from(READ_ALONE))
    age = draw(st.integers(0, OLDEST))
    fields: dict[str, Any] = {
        measure: draw(st.none() | values) for measure, values in MEASURE_VALUES.items()
    }
    if fields["amplitude"] is not None:
        fields["unit"] = draw(st.sampled_from(["uV", "mV"]))
    fields["grade"] = draw(st.none() | st.sampled_from(["normal", "reduced", "absent"]))
    fields["conduction_block"] = draw(st.none() | st.booleans())
    fields["temporal_dispersion"] = draw(st.none() | st.booleans())
    fields["persistence"] = draw(st.none() | st.floats(0, 100))
    if all(value is None for value in fields.values()):
        fields["grade"] = "normal"
    return name, age, StudyResult(**fields)


def _redrawn(data: st.DataObject, value: float | None, edges: Edges, most: float) -> float | None:
    """Another value in the same band as `value`."""
    if value is None:
        return None
    band = band_of(value, edges)
    assert band is not None and band > 0
    low, high = _span(edges, band, most)
    other: float = data.draw(st.floats(low, high, exclude_min=True, exclude_max=high < most))
    assert band_of(other, edges) == band
    return other


@settings(max_examples=300, deadline=None)
@given(_results_read_alone(), st.data())
def test_any_result_reads_as_another_in_the_same_bands(
    drawn: tuple[str, int, StudyResult], data: st.DataObject
) -> None:
    name, age, result = drawn
    study = KB.studies[name]
    bands = study_bands(study, lower_limit(study, age), KB.thresholds)
    if bands.of(result) is None:
        return
    unit = result.unit or "uV"
    other = result.model_copy(
        update={
            "amplitude": _redrawn(data, result.amplitude, bands.amplitude[unit], MOST["amplitude"]),
            "velocity": _redrawn(data, result.velocity, bands.velocity, MOST["velocity"]),
            "latency": _redrawn(data, result.latency, bands.latency, MOST["latency"]),
        }
    )
    assert bands.of(other) == bands.of(result)
    assert _reading(name, other, age) == _reading(name, result, age)


@st.composite
def _compared_pairs(draw: st.DrawFn) -> tuple[str, StudyResult, StudyResult]:
    name = draw(st.sampled_from(COMPARED))

    def one() -> StudyResult:
        amplitude = draw(st.none() | MEASURE_VALUES["amplitude"])
        unit = draw(st.sampled_from(["uV", "mV"])) if amplitude is not None else None
        grade = draw(st.none() | st.sampled_from(["normal", "reduced", "absent"]))
        latency = draw(st.none() | MEASURE_VALUES["latency"])
        persistence = draw(st.none() | st.floats(0, 100))
        if amplitude is None and grade is None and latency is None and persistence is None:
            grade = "normal"
        return StudyResult(
            amplitude=amplitude, unit=unit, grade=grade, latency=latency, persistence=persistence
        )

    return name, one(), one()


def _sizes_moved(
    data: st.DataObject, left: StudyResult, right: StudyResult, bands: SideBands
) -> tuple[float | None, float | None]:
    """Both amplitudes given another larger size and another smaller share in the same band,
    each in its own unit (unchanged unless both are above zero)."""
    if not (left.amplitude and right.amplitude):
        return left.amplitude, right.amplitude
    left_factor, right_factor = bands.to_size[left.unit], bands.to_size[right.unit]
    left_size, right_size = left.amplitude * left_factor, right.amplitude * right_factor
    share = min(left_size, right_size) / max(left_size, right_size)
    band = band_of(share, bands.share)
    assert band is not None
    low, high = _span(bands.share, band, 1.0)
    larger = max(left_size, right_size) * data.draw(st.floats(0.5, 2.0))
    smaller = larger * data.draw(st.floats(low, high, exclude_min=True, exclude_max=True))
    if left_size < right_size:
        return smaller / left_factor, larger / right_factor
    return larger / left_factor, smaller / right_factor


def _latencies_moved(
    data: st.DataObject, left: StudyResult, right: StudyResult, bands: SideBands
) -> tuple[float | None, float | None]:
    """Both latencies shifted, and their difference redrawn in the same band (the H reflex);
    unchanged for a study that does not compare them, or with one missing."""
    if not bands.latency_difference or left.latency is None or right.latency is None:
        return left.latency, right.latency
    edges = bands.latency_difference
    band = band_of(left.latency - right.latency, edges)
    assert band is not None
    low, high = _span(edges, band, MOST["latency"], least=-MOST["latency"])
    moved_right = data.draw(st.floats(0, MOST["latency"]))
    difference = data.draw(st.floats(low, high, exclude_min=True, exclude_max=True))
    return min(max(moved_right + difference, 0.0), MOST["latency"]), moved_right


@settings(max_examples=300, deadline=None)
@given(_compared_pairs(), st.data())
def test_any_comparison_reads_as_another_in_the_same_bands(
    drawn: tuple[str, StudyResult, StudyResult], data: st.DataObject
) -> None:
    name, left, right = drawn
    study = KB.studies[name]
    bands = side_bands(study, KB.thresholds)
    measured = bands.of(left, right)
    if measured is None:
        return
    amplitudes = _sizes_moved(data, left, right, bands)
    latencies = _latencies_moved(data, left, right, bands)
    other_left, other_right = (
        result.model_copy(update={"amplitude": amplitude, "latency": latency})
        for result, amplitude, latency in zip((left, right), amplitudes, latencies, strict=True)
    )
    if bands.of(other_left, other_right) != measured:
        return  # moved into a hair (or out of range, and clipped): nothing to compare
    assert side_difference(study, other_left, other_right, KB) == side_difference(
        study, left, right, KB
    )
