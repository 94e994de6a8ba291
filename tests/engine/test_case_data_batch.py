"""A batch read from its cases' data holds what `observe_batch` and `feature_columns` read
from the same cases as models, row for row, and declines every case it cannot read so."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from plexcare.engine.assessment import assess_batch
from plexcare.engine.case import Case
from plexcare.engine.case_data import case_input
from plexcare.engine.case_data_batch import BatchEvidence, CaseDataBatch, ValuesRead
from plexcare.engine.case_names import CaseError, check_case_names
from plexcare.engine.feature_columns import feature_columns
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import ABNORMAL, UNKNOWN, read_study, side_difference
from plexcare.engine.observation_plan import observe_batch
from plexcare.engine.site_and_cause import site_and_cause_model
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from tests.engine.test_case_batch import RAW, mutated_cases
from tests.engine.test_feature_columns import cases as feature_cases

KB = knowledge_base()
INDEX = site_and_cause_model(KB).localization.findings
STAND_IN = Case(age=40, sex="other")
"""What a test gives for a case the model refuses (a batch's caller stops there instead)."""


def _read(texts: list[bytes]) -> tuple[CaseDataBatch, list[Case | None]]:
    """A batch of the texts, declined rows given as the model reads them; and each text as
    the model reads it (None: refused, or a name the knowledge base does not know)."""
    models: list[Case | None] = []
    for text in texts:
        try:
            case = Case.model_validate_json(text)
            check_case_names(case, KB)
            models.append(case)
        except (ValidationError, CaseError):
            models.append(None)
    batch = CaseDataBatch(KB)
    for text in texts:
        batch.add(case_input(text))
    for row in batch.to_read_as_cases():
        batch.read_as_case(row, models[row] or STAND_IN)
    return batch, models


def _assert_read_as_models(evidence: BatchEvidence, models: list[Case | None]) -> None:
    """Every row the model reads holds what `observe_batch` and `feature_columns` give."""
    rows = [row for row, case in enumerate(models) if case is not None]
    cases = [case for case in models if case is not None]
    if not cases:
        return
    table = site_and_cause_model(KB).localization
    expected = observe_batch(cases, table.findings, KB, table.finding_model)
    found = evidence.observations
    np.testing.assert_array_equal(found.matrix[rows], expected.matrix)
    np.testing.assert_array_equal(found.time_bins[rows], expected.time_bins)
    np.testing.assert_array_equal(found.background_priors[rows], expected.background_priors)
    assert [found.days_since_onset[row] for row in rows] == list(expected.days_since_onset)
    index = site_and_cause_model(KB).etiology.feature_index
    np.testing.assert_array_equal(evidence.states[rows], feature_columns(cases, index, KB))
    assert [evidence.imaging[row] for row in rows] == [case.imaging for case in cases]
    assert [evidence.case_ids[row] for row in rows] == [case.id for case in cases]


def test_every_example_and_vignette_is_read_from_its_data_as_from_its_model() -> None:
    texts = [json.dumps(raw).encode() for raw in RAW]
    batch, models = _read(texts)
    gave_way = [row for row, raw in enumerate(RAW) if _gives_way(raw)]
    assert batch.to_read_as_cases() == []
    assert sorted(batch.cases) == gave_way
    _assert_read_as_models(batch.evidence(), models)


def _gives_way(raw: dict[str, Any]) -> bool:
    return any(side.get("give_way") for side in raw.get("exam", {}).values())


def test_the_batch_answers_as_assess_batch_does_for_the_same_cases(kb: KnowledgeBase) -> None:
    texts = [json.dumps(raw).encode() for raw in RAW]
    batch, models = _read(texts)
    read = batch.assess()
    expected = assess_batch([case for case in models if case is not None], kb)
    np.testing.assert_allclose(read.localization, expected.localization, rtol=0, atol=1e-12)
    np.testing.assert_allclose(read.etiology, expected.etiology, rtol=0, atol=1e-12)
    assert read.case_ids == expected.case_ids


def test_batches_that_share_what_they_read_answer_as_batches_read_alone() -> None:
    texts = [json.dumps(raw).encode() for raw in RAW]
    values = ValuesRead()
    for _ in range(2):
        batch = CaseDataBatch(KB, values)
        for text in texts:
            batch.add(case_input(text))
        for row in batch.to_read_as_cases():
            batch.read_as_case(row, Case.model_validate_json(texts[row]))
        alone, _ = _read(texts)
        np.testing.assert_array_equal(
            batch.evidence().observations.matrix, alone.evidence().observations.matrix
        )
        assert [len(known) for known in vars(values).values()] == [
            len(known) for known in vars(alone.values).values()
        ]
    assert values.studies and values.needles and values.compared


def test_results_told_apart_only_by_their_segments_are_read_apart() -> None:
    """A result is remembered by what it records, its segments included: the same nerve's
    study with its segments (a block across the fibular head) and without them, in one
    batch."""
    blocked = next(raw for raw in RAW if raw.get("id") == "fibular-head-conduction-block")
    unblocked = copy.deepcopy(blocked)
    for results in unblocked["nerve_conduction"].values():
        for result in results.values():
            result.pop("segments", None)
    for pair in ([blocked, unblocked], [unblocked, blocked]):
        texts = [json.dumps(raw).encode() for raw in pair]
        batch, models = _read(texts)
        evidence = batch.evidence()
        _assert_read_as_models(evidence, models)
        matrix = evidence.observations.matrix
        assert not np.array_equal(matrix[0], matrix[1])


def _measured_again(result: dict[str, Any], draw: random.Random) -> dict[str, Any]:
    """A study result as another patient's might read: each measure within 20 % of the
    example's, to a tenth (so some land on a limit, 6.0 µV, or on 70 % of one, 28.0 m/s)."""
    again = dict(result)
    for measure, most in (("amplitude", None), ("velocity", 120.0), ("latency", 200.0)):
        value = again.get(measure)
        if isinstance(value, int | float):
            value = round(value * draw.uniform(0.8, 1.2), 1)
            again[measure] = value if most is None else min(value, most)
    return again


def _other_patients(count: int) -> list[dict[str, Any]]:
    """The examples over and over, every conduction result measured again."""
    draw = random.Random(count)
    made = []
    for number in range(count):
        raw = copy.deepcopy(RAW[number % len(RAW)])
        for results in raw.get("nerve_conduction", {}).values():
            for name, result in results.items():
                results[name] = _measured_again(result, draw)
        made.append(raw)
    return made


def test_results_in_the_same_bands_are_read_once_and_as_their_models_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each patient's measures their own: a study result, or a comparison of the legs, whose
    measures fall in the bands of one already read is not read again (`measure_bands`), and
    every row still holds what the model of its case gives."""
    calls = {"studies": 0, "comparisons": 0}

    def counted(name: str, read: Any) -> Any:
        def call(*args: Any) -> Any:
            calls[name] += 1
            return read(*args)

        return call

    reading = "plexcare.engine.case_data_batch"
    monkeypatch.setattr(f"{reading}.read_study", counted("studies", read_study))
    monkeypatch.setattr(f"{reading}.side_difference", counted("comparisons", side_difference))
    texts = [json.dumps(raw).encode() for raw in _other_patients(6 * len(RAW))]
    batch, models = _read(texts)
    _assert_read_as_models(batch.evidence(), models)
    assert batch.values.banded and batch.values.compared_banded
    assert 0 < calls["studies"] < len(batch.values.studies) / 2
    assert 0 < calls["comparisons"] < len(batch.values.compared) / 2


def _f_wave_case(motor_amplitude: float, f_latency: float) -> dict[str, Any]:
    results = {
        "fibular_cmap_edb": {"amplitude": motor_amplitude, "unit": "mV"},
        "fibular_f_wave": {"latency": f_latency},
    }
    return {"age": 50, "sex": "female", "nerve_conduction": {"left": results}}


def test_an_f_wave_is_read_by_its_own_latency_and_its_nerves_motor_response() -> None:
    """An F wave is not banded: its slowing is judged against 120 % of its limit (56 ms), or
    150 % when the nerve's own CMAP is low (under 80 % of its 2 mV limit), so 60 and 70 ms
    read apart, and so does 70 ms beside a normal and a low CMAP."""
    cases = [_f_wave_case(5.0, 60.0), _f_wave_case(5.0, 70.0), _f_wave_case(1.0, 70.0)]
    batch, models = _read([json.dumps(case).encode() for case in cases])
    evidence = batch.evidence()
    _assert_read_as_models(evidence, models)
    column = INDEX.by_name[("left", "fibular_f_wave", FindingKind.SLOWING, "")]
    slowing = [int(row[column]) for row in evidence.observations.matrix]
    assert slowing == [UNKNOWN, ABNORMAL, UNKNOWN]


def test_what_a_batch_read_is_forgotten_only_where_it_is_over_the_bound() -> None:
    values = ValuesRead()
    batch = CaseDataBatch(KB, values)
    for raw in RAW:
        batch.add(case_input(json.dumps(raw).encode()))
    sizes = {name: len(known) for name, known in vars(values).items()}
    bound = sorted(sizes.values())[len(sizes) // 2]
    values.forget_beyond(bound)
    assert {name: len(known) for name, known in vars(values).items()} == {
        name: 0 if size > bound else size for name, size in sizes.items()
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated_cases(), min_size=1, max_size=6))
def test_a_case_is_read_from_data_only_when_the_model_reads_it_the_same(
    batch_data: list[dict[str, Any]],
) -> None:
    texts = [json.dumps(data).encode() for data in batch_data]
    batch, models = _read(texts)
    refused = {row for row, case in enumerate(models) if case is None}
    assert refused <= set(batch.cases)
    _assert_read_as_models(batch.evidence(), models)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(feature_cases(), min_size=1, max_size=4))
def test_the_features_of_any_case_are_read_from_its_data(batch_cases: list[Case]) -> None:
    texts = [case.model_dump_json(exclude_defaults=True).encode() for case in batch_cases]
    batch, models = _read(texts)
    assert models == batch_cases
    _assert_read_as_models(batch.evidence(), models)


def _declined(data: dict[str, Any]) -> bool:
    batch = CaseDataBatch(KB)
    batch.add(case_input(json.dumps(data).encode()))
    return batch.to_read_as_cases() == [0]


@pytest.mark.parametrize(
    "data",
    [
        {"exam": {"left": {"strength": {"iliacus": 4}, "give_way": ["iliacus"]}}},
        {"exam": {"left": {"strength": {"tibialis_anteror": 4}}}},
        {"exam": {"right": {"reflexes": {"patelar_reflex": "absent"}}}},
        {"emg": {"left": {"psoaz": {"fibrillations": 1}}}},
        {"nerve_conduction": {"left": {"sural_snapp": {"grade": "absent"}}}},
        {"nerve_conduction": {"left": {"femoral_cmap": {"amplitude": 2.0, "unit": "mV"}}}},
        {
            "nerve_conduction": {
                "left": {
                    "fibular_cmap_edb": {
                        "amplitude": 2.0,
                        "unit": "mV",
                        "segments": {"across_the_wrist": {"amplitude": 1.0}},
                    }
                }
            }
        },
        {"history": {"pregnant": False}},
        {"evaluated_on": "2024-03-01", "onset_on": "2024-04-01"},
        {"history": {"cancer": {"status": "none", "site": "colon"}}},
        {"history": {"cancer": ["colon"]}},
        {"history": {"radiotherapy": {"status": "given", "region": ["pelvis"]}}},
    ],
)
def test_a_case_the_reading_does_not_cover_is_left_to_the_model(data: dict[str, Any]) -> None:
    assert _declined({"age": 50, "sex": "male", **data})


def test_a_plain_case_is_read_from_its_data() -> None:
    assert not _declined({"age": 50, "sex": "male", "emg": {"left": {"iliacus": {}}}})
