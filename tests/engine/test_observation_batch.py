"""A batch of cases reads exactly as each case read alone, and refuses a bad name the same way.

`observe_batch` reads the common fields from a plan compiled once per knowledge base and
remembers what the full study rules found for results it has seen; none of that may change an
answer. The property test draws realistic batches that mix every kind of field (graded strength
with give-way, Trendelenburg, reflexes, sensation, needle results, amplitudes in either unit,
grades, velocities, latencies, F-wave persistence, blocks and dispersion with and without their
segment, the same study on both legs, ages across the normal-limit bands), drawn from small
pools so that cases in one batch share results, and compares every row with `observed_values`.
"""

from __future__ import annotations

from typing import Any, get_args

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.engine.case import Case, ReflexGrade, SensoryGrade, StudyGrade
from plexcare.engine.case_names import MOVEMENTS, CaseError, check_batch_names, check_case_names
from plexcare.engine.findings import UNKNOWN, observe, observed_values
from plexcare.engine.localization import localization_model, localize_batch
from plexcare.engine.observation_plan import observe_batch
from plexcare.knowledge.model import KnowledgeBase, NerveConductionStudy

AGES = (25, 45, 59, 60, 65, 70, 74, 75, 82)  # either side of each normal-limit band
AMPLITUDES = (0.0, 0.5, 1.0, 1.4, 2.0, 2.2, 3.0, 3.5, 4.0, 5.0, 6.0, 6.8, 9.0, 15.0)
VELOCITIES = (22.0, 30.0, 31.0, 38.0, 44.0, 50.0)
LATENCIES = (3.0, 4.5, 6.0, 7.0, 10.0, 33.0, 36.0, 56.0, 62.0, 70.0, 90.0)
SIDES = ("left", "right")
SETTINGS = settings(max_examples=150, deadline=None)


def _segment() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "amplitude": st.sampled_from(AMPLITUDES),
            "velocity": st.sampled_from(VELOCITIES),
            "conduction_block": st.booleans(),
            "temporal_dispersion": st.booleans(),
        },
    ).filter(bool)


@st.composite
def _study_result(draw: st.DrawFn, study: NerveConductionStudy) -> dict[str, Any]:
    segment_ids = [segment.id for segment in study.segments]
    optional: dict[str, st.SearchStrategy[Any]] = {
        "amplitude": st.sampled_from(AMPLITUDES),
        "grade": st.sampled_from(get_args(StudyGrade)),
        "velocity": st.sampled_from(VELOCITIES),
        "latency": st.sampled_from(LATENCIES),
        "conduction_block": st.booleans(),
        "temporal_dispersion": st.booleans(),
        "persistence": st.sampled_from((0.0, 30.0, 90.0)),
    }
    if segment_ids:
        optional["segments"] = st.dictionaries(
            st.sampled_from(segment_ids), _segment(), min_size=1, max_size=3
        )
    # What clinics record: an amplitude or a grade; stimulation above segments alone; or
    # anything besides. Results of one shape often differ in one field only.
    shape = draw(st.sampled_from(("plain", "segments", "any")))
    if shape == "segments" and segment_ids:
        result = {"segments": draw(optional["segments"])}
    else:
        plain = ("amplitude", "grade")
        chosen = {k: v for k, v in optional.items() if shape == "any" or k in plain}
        result = draw(st.fixed_dictionaries({}, optional=chosen))
    if not result:
        result["grade"] = draw(st.sampled_from(get_args(StudyGrade)))
    measured = "amplitude" in result or any(
        "amplitude" in segment for segment in result.get("segments", {}).values()
    )
    if measured:
        unit = study.amplitude_unit or "mV"
        result["unit"] = draw(st.sampled_from((unit, unit, "uV" if unit == "mV" else "mV")))
    return result


@st.composite
def _exam(draw: st.DrawFn, kb: KnowledgeBase) -> dict[str, Any]:
    bedside = sorted({*kb.muscles, *MOVEMENTS})
    # Hip abduction often, since Trendelenburg stands in for it when it is not graded.
    graded = st.one_of(st.just("hip_abduction"), st.sampled_from(bedside))
    strength = draw(st.dictionaries(graded, st.integers(0, 5), max_size=6))
    gave_way = st.sampled_from(sorted({*strength, *MOVEMENTS}))
    return {
        "strength": strength,
        "give_way": draw(st.lists(gave_way, max_size=2, unique=True))
        if draw(st.booleans())
        else [],
        "reflexes": draw(
            st.dictionaries(
                st.sampled_from(sorted(kb.reflexes)),
                st.sampled_from(get_args(ReflexGrade)),
                max_size=3,
            )
        ),
        "sensation": draw(
            st.dictionaries(
                st.sampled_from(sorted(kb.sensory_areas)),
                st.sampled_from(get_args(SensoryGrade)),
                max_size=3,
            )
        ),
        "trendelenburg": draw(st.sampled_from((None, None, True, False))),
    }


def _needle() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "fibrillations": st.integers(0, 4),
            "fasciculations": st.booleans(),
            "myokymia": st.booleans(),
            "motor_units": st.sampled_from(("normal", "neurogenic", "myopathic")),
            "recruitment": st.sampled_from(("normal", "reduced", "early")),
        },
    )


@st.composite
def _case(draw: st.DrawFn, kb: KnowledgeBase, results: list[tuple[str, dict[str, Any]]]) -> Case:
    """A case whose studies come from the batch's shared pool of results, so cases in one
    batch (and both legs of one case) often record the same result."""
    data: dict[str, Any] = {
        "age": draw(st.sampled_from(AGES)),
        "sex": "female",
        "weeks_since_onset": draw(st.sampled_from((None, 0.5, 2.5, 6.0, 30.0))),
        "affected_side": draw(st.sampled_from((None, "left", "right", "both"))),
        "anal_tone": draw(st.sampled_from((None, "normal", "reduced"))),
        "symptoms": {"bladder_bowel": draw(st.sampled_from((None, True, False)))},
        "history": {"diabetes": draw(st.sampled_from((None, "none", "type2")))},
        "exam": {},
        "nerve_conduction": {},
        "emg": {},
    }
    muscles = st.sampled_from(sorted(kb.muscles))
    for side in draw(st.sampled_from((("left",), ("right",), SIDES, SIDES))):
        if draw(st.booleans()):
            data["exam"][side] = draw(_exam(kb))
        recorded = draw(st.lists(st.sampled_from(results), max_size=5))
        if recorded:
            data["nerve_conduction"][side] = dict(recorded)
        if draw(st.booleans()):
            data["emg"][side] = draw(st.dictionaries(muscles, _needle(), max_size=5))
    return Case.model_validate(data)


def _variant(draw: st.DrawFn, result: dict[str, Any]) -> dict[str, Any]:
    """The same result with one recorded value changed (a segment's, or one of its own)."""
    variant = {**result}
    if "segments" in variant:
        segments = variant["segments"]
        variant["segments"] = {segment: draw(_segment()) for segment in segments}
        if not any("amplitude" in s for s in variant["segments"].values()):
            return variant
        variant.setdefault("unit", "mV")
        return variant
    field, value = draw(st.sampled_from(sorted(variant.items())))
    if field == "unit":
        variant["unit"] = "uV" if value == "mV" else "mV"
    elif isinstance(value, bool):
        variant[field] = not value
    elif field == "grade":
        variant["grade"] = draw(st.sampled_from(get_args(StudyGrade)))
    else:
        variant[field] = draw(st.sampled_from((*AMPLITUDES, *LATENCIES)))
    return variant


@st.composite
def batches(draw: st.DrawFn, kb: KnowledgeBase) -> list[Case]:
    """Cases sharing a pool of study results, some of which differ from another in one
    recorded value only, so that results read before must never stand in for them."""
    studies = st.sampled_from(sorted(kb.studies))
    pool: list[tuple[str, dict[str, Any]]] = []
    for name in draw(st.lists(studies, min_size=1, max_size=6)):
        result = draw(_study_result(kb.studies[name]))
        pool.append((name, result))
        pool.extend((name, _variant(draw, result)) for _ in range(draw(st.integers(0, 2))))
    return draw(st.lists(_case(kb, pool), min_size=1, max_size=8))


def _row_by_key(kb: KnowledgeBase, row: np.ndarray[Any, Any]) -> dict[str, int]:
    keys = localization_model(kb).findings.keys
    return {keys[column]: int(row[column]) for column in np.flatnonzero(row != UNKNOWN)}


def _expected_by_key(kb: KnowledgeBase, case: Case) -> dict[str, int]:
    findings = localization_model(kb).findings
    values = observed_values(case, findings, kb)
    return {findings.keys[column]: value for column, value in values.items()}


@SETTINGS
@given(data=st.data())
def test_every_row_of_a_batch_is_the_case_read_alone(
    kb: KnowledgeBase, data: st.DataObject
) -> None:
    cases = data.draw(batches(kb))
    model = localization_model(kb)
    batch = observe_batch(cases, model.findings, kb, model.finding_model)
    assert batch.matrix.shape == (len(cases), len(model.findings.specs))
    for row, case in enumerate(cases):
        assert _row_by_key(kb, batch.matrix[row]) == _expected_by_key(kb, case)
        alone = observe(case, model.findings, kb, model.finding_model)
        assert batch.findings_used[row] == alone.count
        assert batch.time_bins[row] == alone.time_bin
        assert batch.background_priors[row] == alone.background_prior
        assert batch.days_since_onset[row] == alone.days_since_onset


def _case_with(left: dict[str, Any], age: int = 50) -> Case:
    return Case.model_validate(
        {"age": age, "sex": "male", "weeks_since_onset": 8, "nerve_conduction": {"left": left}}
    )


def test_an_f_wave_is_judged_against_the_motor_study_beside_it_in_every_case(
    kb: KnowledgeBase,
) -> None:
    # 70 ms is 125 % of the 56 ms limit: demyelinating beside a normal CMAP (over 120 %), but
    # not beside a low one (which needs 150 %), so one F wave reads two ways in one batch.
    f_wave = {"fibular_f_wave": {"latency": 70.0}}
    normal_cmap = _case_with({**f_wave, "fibular_cmap_edb": {"amplitude": 5.0, "unit": "mV"}})
    low_cmap = _case_with({**f_wave, "fibular_cmap_edb": {"amplitude": 0.5, "unit": "mV"}})
    slowing = "left:study:fibular_f_wave:slowing"
    assert _expected_by_key(kb, normal_cmap)[slowing] == 1
    assert slowing not in _expected_by_key(kb, low_cmap)
    model = localization_model(kb)
    for cases in ([normal_cmap, low_cmap], [low_cmap, normal_cmap]):
        batch = observe_batch(cases, model.findings, kb)
        for row, case in enumerate(cases):
            assert _row_by_key(kb, batch.matrix[row]) == _expected_by_key(kb, case)


def test_a_block_withdraws_normal_amplitudes_below_it_only_in_its_own_case(
    kb: KnowledgeBase,
) -> None:
    sural = {"sural_snap": {"amplitude": 12.0, "unit": "uV"}}
    blocked = _case_with(
        {**sural, "fibular_cmap_edb": {"grade": "normal", "conduction_block": True}}
    )
    plain = _case_with(sural)
    model = localization_model(kb)
    batch = observe_batch([blocked, plain], model.findings, kb)
    assert _row_by_key(kb, batch.matrix[0]) == _expected_by_key(kb, blocked)
    assert _row_by_key(kb, batch.matrix[1]) == {"left:study:sural_snap:snap_low": 0}


def _named(**sides: dict[str, Any]) -> Case:
    data: dict[str, Any] = {"age": 50, "sex": "female", "exam": {}, "nerve_conduction": {}}
    data["emg"] = {}
    for side, parts in sides.items():
        for field, value in parts.items():
            data[field][side] = value
    return Case.model_validate(data)


GOOD = _named(left={"exam": {"strength": {"tibialis_anterior": 4}}})
UNUSUAL_BUT_READABLE = _named(
    left={"nerve_conduction": {"femoral_cmap": {"amplitude": 4.0, "unit": "mV"}}},
    right={"nerve_conduction": {"femoral_cmap": {"amplitude": 9.0, "unit": "mV"}}},
)
BAD = {
    "needled muscle": _named(right={"emg": {"glute_med": {"fibrillations": 1}}}),
    "graded muscle": _named(left={"exam": {"strength": {"tibialis_anterir": 3}}}),
    "give-way": _named(left={"exam": {"strength": {"tibialis_anterior": 3}, "give_way": ["ta"]}}),
    "reflex": _named(left={"exam": {"reflexes": {"knee_jerk": "absent"}}}),
    "skin area": _named(right={"exam": {"sensation": {"big_toe": "reduced"}}}),
    "study": _named(left={"nerve_conduction": {"sural": {"grade": "absent"}}}),
    "segment": _named(
        left={"nerve_conduction": {"fibular_cmap_edb": {"segments": {"knee": {"velocity": 30.0}}}}}
    ),
    "unreadable amplitude": _named(
        left={"nerve_conduction": {"femoral_cmap": {"amplitude": 4.0, "unit": "mV"}}}
    ),
}


def _error(check: Any, *args: Any) -> tuple[str, str]:
    with pytest.raises(CaseError) as caught:
        check(*args)
    return caught.value.field, caught.value.message


@pytest.mark.parametrize("first", sorted(BAD))
@pytest.mark.parametrize("then", ["needled muscle", "segment"])
def test_a_batch_refuses_the_first_bad_case_with_the_error_it_gets_alone(
    kb: KnowledgeBase, first: str, then: str
) -> None:
    cases = [GOOD, UNUSUAL_BUT_READABLE, BAD[first], GOOD, BAD[then]]
    expected = _error(check_case_names, BAD[first], kb)
    assert _error(localize_batch, cases, kb) == expected
    assert _error(check_batch_names, cases, kb) == expected


@pytest.mark.parametrize("only", sorted(BAD))
def test_one_bad_name_among_good_cases_is_enough_to_refuse_the_batch(
    kb: KnowledgeBase, only: str
) -> None:
    # The batch notes a name only where its codebooks have no entry for it; each kind of
    # name must be noted on its own, without another bad case to send the batch through.
    cases = [GOOD, UNUSUAL_BUT_READABLE, GOOD, BAD[only], GOOD]
    assert _error(localize_batch, cases, kb) == _error(check_case_names, BAD[only], kb)


def test_a_batch_of_known_names_with_readable_unusual_results_is_scored(
    kb: KnowledgeBase,
) -> None:
    # A femoral CMAP has no population limit: an amplitude is read against the other side,
    # and a block needs no amplitude at all.
    block_alone = _named(left={"nerve_conduction": {"femoral_cmap": {"conduction_block": True}}})
    cases = [GOOD, UNUSUAL_BUT_READABLE, block_alone, GOOD]
    for case in cases:
        check_case_names(case, kb)
    check_batch_names(cases, kb)
    scored = localize_batch(cases, kb)
    assert scored.probabilities.shape == (4, len(scored.candidate_keys))
