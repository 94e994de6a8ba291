"""Turn a case into observations: which findings were tested, and which were abnormal.

Every finding is one column of the likelihood tables: a kind (weakness, fibrillations, low SNAP
...) on one end organ on one side. A case fills a few of them; the rest stay unknown (-1).
Studies with age-dependent limits get a second, "aged" column with a higher false-positive rate:
a sural SNAP absent at 75 is scored there, so it counts for less than the same result at 30.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from plexcare.engine.anatomy_arrays import AnatomyArrays, EndOrgan
from plexcare.engine.case import Case, NeedleResult, SideExam, StudyResult
from plexcare.engine.finding_model import FindingKind, FindingModel, finding_model_for
from plexcare.knowledge.engine_parameters_model import ClinicalThreshold
from plexcare.knowledge.model import AgeLimit, KnowledgeBase, NerveConductionStudy

UNKNOWN, NORMAL, ABNORMAL = -1, 0, 1
MUSCLE_KINDS = (
    FindingKind.WEAKNESS,
    FindingKind.FIBRILLATIONS,
    FindingKind.NEUROGENIC_UNITS,
    FindingKind.MYOPATHIC_UNITS,
    FindingKind.FASCICULATIONS,
    FindingKind.MYOKYMIA,
)
STUDY_KIND = {
    "snap": FindingKind.SNAP_LOW,
    "cmap": FindingKind.CMAP_LOW,
    "f_wave": FindingKind.LATE_RESPONSE,
    "h_reflex": FindingKind.LATE_RESPONSE,
}
FINDING_WORDS: dict[FindingKind, tuple[str, str]] = {
    FindingKind.WEAKNESS: ("weakness of", "normal strength of"),
    FindingKind.FIBRILLATIONS: ("fibrillations in", "no fibrillations in"),
    FindingKind.NEUROGENIC_UNITS: ("neurogenic motor units in", "normal motor units in"),
    FindingKind.MYOPATHIC_UNITS: ("myopathic motor units in", "no myopathic units in"),
    FindingKind.FASCICULATIONS: ("fasciculations in", "no fasciculations in"),
    FindingKind.MYOKYMIA: ("myokymia in", "no myokymia in"),
    FindingKind.HYPOREFLEXIA: ("reduced or absent", "normal"),
    FindingKind.HYPERREFLEXIA: ("brisk", "not brisk:"),
    FindingKind.SENSORY_LOSS: ("sensory loss over", "normal sensation over"),
    FindingKind.SNAP_LOW: ("low or absent", "normal"),
    FindingKind.CMAP_LOW: ("low", "normal"),
    FindingKind.LATE_RESPONSE: ("prolonged or absent", "normal"),
    FindingKind.SLOWING: ("slowed conduction in the", "normal conduction velocity in the"),
    FindingKind.LEG_AFFECTED: ("symptoms in the", "no symptoms in the"),
}
"""How each kind of finding reads when abnormal and when normal."""


@dataclass(frozen=True)
class FindingSpec:
    """One column: a kind of finding on one end organ, optionally the age-adjusted variant."""

    organ: EndOrgan
    kind: FindingKind
    aged: bool = False

    @property
    def key(self) -> str:
        suffix = "@aged" if self.aged else ""
        return f"{self.organ.key}:{self.kind.value}{suffix}"

    @property
    def label(self) -> str:
        return self.describe(abnormal=True)

    def describe(self, *, abnormal: bool) -> str:
        """The finding in a clinician's words, as found: 'weak left tibialis anterior'."""
        where = "" if self.organ.side == "midline" else f"{self.organ.side} "
        abnormal_text, normal_text = FINDING_WORDS[self.kind]
        return f"{abnormal_text if abnormal else normal_text} {where}{self.organ.name}"


@dataclass(frozen=True)
class FindingIndex:
    specs: tuple[FindingSpec, ...]
    index: Mapping[str, int] = field(repr=False)
    organ_rows: npt.NDArray[np.int64] = field(repr=False)  # finding -> organ row
    keys: tuple[str, ...] = field(repr=False, default=())
    by_name: Mapping[tuple[str, str, FindingKind, bool], int] = field(
        repr=False, default_factory=dict
    )
    """(side, organ id, kind, aged) -> column: the fast path from a case's names."""


def _kinds_for(
    organ: EndOrgan, study: NerveConductionStudy | None
) -> list[tuple[FindingKind, bool]]:
    if organ.type == "muscle":
        return [(kind, False) for kind in MUSCLE_KINDS]
    if organ.type in ("movement", "midline"):
        return [(FindingKind.WEAKNESS, False)]
    if organ.type == "leg":
        return [(FindingKind.LEG_AFFECTED, False)]
    if organ.type == "area":
        return [(FindingKind.SENSORY_LOSS, False)]
    if organ.type == "reflex":
        return [(FindingKind.HYPOREFLEXIA, False), (FindingKind.HYPERREFLEXIA, False)]
    kind = STUDY_KIND[organ.modality]
    kinds = [(kind, False)]
    if study is not None and any(limit.may_be_absent for limit in study.age_limits):
        kinds.append((kind, True))
    if organ.modality in ("snap", "cmap"):
        kinds.append((FindingKind.SLOWING, False))
    return kinds


def build_finding_index(arrays: AnatomyArrays, kb: KnowledgeBase) -> FindingIndex:
    specs: list[FindingSpec] = []
    rows: list[int] = []
    for row, organ in enumerate(arrays.organs):
        study = kb.studies.get(organ.id) if organ.type == "study" else None
        for kind, aged in _kinds_for(organ, study):
            specs.append(FindingSpec(organ, kind, aged))
            rows.append(row)
    return FindingIndex(
        specs=tuple(specs),
        index={spec.key: column for column, spec in enumerate(specs)},
        organ_rows=np.asarray(rows, dtype=np.int64),
        keys=tuple(spec.key for spec in specs),
        by_name=_by_name(specs),
    )


def _by_name(specs: Sequence[FindingSpec]) -> dict[tuple[str, str, FindingKind, bool], int]:
    """Kinds separate organ types (only muscles get fibrillations, only areas sensory loss), so
    side, organ id and kind name a column; a clash would be a knowledge-base naming error."""
    lookup: dict[tuple[str, str, FindingKind, bool], int] = {}
    for column, spec in enumerate(specs):
        name = (spec.organ.side, spec.organ.id, spec.kind, spec.aged)
        if name in lookup:
            raise ValueError(f"two end organs share the name {spec.organ.id!r} for {spec.kind}")
        lookup[name] = column
    return lookup


@dataclass(frozen=True)
class Observations:
    """A case as the engine scores it: finding columns known normal or abnormal."""

    abnormal: tuple[int, ...]
    normal: tuple[int, ...]
    time_bin: int
    days_since_onset: float | None
    background_prior: float

    @property
    def count(self) -> int:
        return len(self.abnormal) + len(self.normal)


def applicable_limit(study: NerveConductionStudy, age: int) -> AgeLimit | None:
    """The age band that applies: the one with the highest `min_age` not above the age."""
    bands = [limit for limit in study.age_limits if limit.min_age <= age]
    return max(bands, key=lambda limit: limit.min_age) if bands else None


class _Collector:
    def __init__(self, index: FindingIndex) -> None:
        self.lookup = index.by_name
        self.values: dict[int, int] = {}

    def put(
        self, side: str, name: str, kind: FindingKind, abnormal: bool | None, aged: bool = False
    ) -> None:
        if abnormal is None:
            return
        column = self.lookup.get((side, name, kind, aged))
        if column is None and aged:
            column = self.lookup.get((side, name, kind, False))
        if column is not None:
            self.values[column] = ABNORMAL if abnormal else NORMAL


def _needle(collect: _Collector, side: str, name: str, result: NeedleResult) -> None:
    if result.fibrillations is not None:
        collect.put(side, name, FindingKind.FIBRILLATIONS, result.fibrillations >= 1)
    units, recruitment = result.motor_units, result.recruitment
    neurogenic = units == "neurogenic" or recruitment == "reduced"
    if neurogenic or units is not None or recruitment is not None:
        collect.put(side, name, FindingKind.NEUROGENIC_UNITS, neurogenic)
    myopathic = units == "myopathic" or recruitment == "early"
    if myopathic or units is not None:
        collect.put(side, name, FindingKind.MYOPATHIC_UNITS, myopathic)
    if result.fasciculations is not None:
        collect.put(side, name, FindingKind.FASCICULATIONS, result.fasciculations)
    if result.myokymia is not None:
        collect.put(side, name, FindingKind.MYOKYMIA, result.myokymia)


def _exam(collect: _Collector, side: str, exam: SideExam) -> None:
    """Bedside grades; the hot path of a batch, so lookups are inlined."""
    lookup, values = collect.lookup, collect.values
    weakness, lost, brisk = (
        FindingKind.WEAKNESS,
        FindingKind.HYPOREFLEXIA,
        FindingKind.HYPERREFLEXIA,
    )
    for name, grade in exam.strength.items():
        column = lookup.get((side, name, weakness, False))
        if column is not None:
            values[column] = ABNORMAL if grade <= 4 else NORMAL
    if exam.trendelenburg is not None and "hip_abduction" not in exam.strength:
        collect.put(side, "hip_abduction", weakness, exam.trendelenburg)
    for name, reflex in exam.reflexes.items():
        column = lookup.get((side, name, lost, False))
        if column is not None:
            values[column] = ABNORMAL if reflex in ("reduced", "absent") else NORMAL
        column = lookup.get((side, name, brisk, False))
        if column is not None:
            values[column] = ABNORMAL if reflex == "brisk" else NORMAL
    for name, sensation in exam.sensation.items():
        collect.put(side, name, FindingKind.SENSORY_LOSS, sensation != "normal")


def _amplitude_in(result: StudyResult, unit: str | None) -> float | None:
    if result.amplitude is None or result.unit is None:
        return None
    if unit is None or unit == result.unit:
        return result.amplitude
    return result.amplitude * (1000.0 if result.unit == "mV" else 0.001)


def _study_abnormal(
    study: NerveConductionStudy, result: StudyResult, age: int
) -> tuple[bool | None, bool]:
    """(abnormal?, scored in the age-adjusted column?) for one amplitude or late response.

    A response that is absent at an age where it may be absent in health goes to the "aged"
    column, where it counts as weak evidence; anything below the age-adjusted limit otherwise
    counts in full.
    """
    band = applicable_limit(study, age)
    lower = study.amplitude_lower
    if band is not None and band.amplitude_lower is not None:
        lower = band.amplitude_lower
    amplitude = _amplitude_in(result, study.amplitude_unit)
    absent = amplitude == 0.0 if amplitude is not None else result.grade == "absent"
    if absent and band is not None and band.may_be_absent:
        return True, True
    late = study.modality in ("f_wave", "h_reflex") and _late(study, result)
    if amplitude is not None and lower is not None:
        return amplitude < lower or late, False
    if result.grade is not None:
        return result.grade != "normal" or late, False
    if late or absent:
        return True, False
    return (False if result.latency is not None and study.latency_upper else None), False


def _late(study: NerveConductionStudy, result: StudyResult) -> bool:
    return bool(study.latency_upper and result.latency and result.latency > study.latency_upper)


def _slowing(
    study: NerveConductionStudy, result: StudyResult, demyelinating: ClinicalThreshold
) -> bool | None:
    """Block, or slowing beyond what axon loss explains (`demyelinating_slowing` threshold)."""
    if result.conduction_block:
        return True
    if result.velocity is None or not study.velocity_lower:
        return False if result.conduction_block is False else None
    if demyelinating.reached(result.velocity / study.velocity_lower):
        return True
    return False if result.velocity >= study.velocity_lower else None


def _studies(
    collect: _Collector,
    side: str,
    results: Mapping[str, StudyResult],
    case: Case,
    kb: KnowledgeBase,
) -> None:
    demyelinating = kb.thresholds.demyelinating_slowing
    for name, result in results.items():
        study = kb.studies.get(name)
        if study is None:
            continue
        abnormal, aged = _study_abnormal(study, result, case.age)
        collect.put(side, name, STUDY_KIND[study.modality], abnormal, aged)
        collect.put(side, name, FindingKind.SLOWING, _slowing(study, result, demyelinating))


def observed_values(case: Case, index: FindingIndex, kb: KnowledgeBase) -> dict[int, int]:
    """Finding column -> NORMAL or ABNORMAL for everything the case records."""
    collect = _Collector(index)
    if case.affected_side is not None:
        for side in ("left", "right"):
            affected = case.affected_side in (side, "both")
            collect.put(side, "leg", FindingKind.LEG_AFFECTED, affected)
    for side, exam in case.exam.items():
        _exam(collect, side, exam)
    if case.anal_tone is not None:
        collect.put("midline", "anal_tone", FindingKind.WEAKNESS, case.anal_tone == "reduced")
    if case.symptoms.bladder_bowel is not None:
        collect.put("midline", "bladder", FindingKind.WEAKNESS, case.symptoms.bladder_bowel)
    for side, results in case.nerve_conduction.items():
        _studies(collect, side, results, case, kb)
    for side, muscles in case.emg.items():
        for name, result in muscles.items():
            _needle(collect, side, name, result)
    return collect.values


def observe(
    case: Case,
    index: FindingIndex,
    kb: KnowledgeBase,
    model: FindingModel | None = None,
) -> Observations:
    """One case's observations; `model` defaults to the knowledge base's finding model."""
    if model is None:
        model = finding_model_for(kb)
    values = observed_values(case, index, kb)
    days = case.days_since_onset
    return Observations(
        abnormal=tuple(sorted(c for c, v in values.items() if v == ABNORMAL)),
        normal=tuple(sorted(c for c, v in values.items() if v == NORMAL)),
        time_bin=model.time_bin(days),
        days_since_onset=days,
        background_prior=model.background_prior(case.age, _diabetic(case)),
    )


def _diabetic(case: Case) -> bool:
    return case.history.diabetes in ("type1", "type2")


@dataclass(frozen=True)
class ObservationBatch:
    """Many cases at once: a (cases × findings) matrix of -1 unknown / 0 normal / 1 abnormal."""

    matrix: npt.NDArray[np.int8]
    time_bins: npt.NDArray[np.int64]
    background_priors: npt.NDArray[np.float64]


def observe_batch(
    cases: Sequence[Case] | Iterable[Case],
    index: FindingIndex,
    kb: KnowledgeBase,
    model: FindingModel | None = None,
) -> ObservationBatch:
    if model is None:
        model = finding_model_for(kb)
    case_list = list(cases)
    matrix = np.full((len(case_list), len(index.specs)), UNKNOWN, dtype=np.int8)
    bins = np.empty(len(case_list), dtype=np.int64)
    priors = np.empty(len(case_list))
    for row, case in enumerate(case_list):
        values = observed_values(case, index, kb)
        if values:
            matrix[row, list(values)] = list(values.values())
        bins[row] = model.time_bin(case.days_since_onset)
        priors[row] = model.background_prior(case.age, _diabetic(case))
    return ObservationBatch(matrix=matrix, time_bins=bins, background_priors=priors)
