"""Turn a case into observations: which findings were tested, and which were abnormal.

Every finding is one column of the likelihood tables: a kind (weakness, fibrillations, low SNAP
...) on one end organ on one side. A case fills a few of them; the rest stay unknown (-1).
Studies with age-dependent limits get a second, "aged" column with a higher false-positive rate:
a sural SNAP absent at 75 is scored there, so it counts for less than the same result at 30.

Strength is graded: a weak muscle (MRC 4 or less) also fills a "severe weakness" column, scored
as P(severe | weak): abnormal at MRC 2 or less, normal at 4, left open at 3. Motor studies have
a conduction-block column per named segment (across the fibular head, in the thigh) whose
probability follows from whether a candidate's lesion sits on that segment, plus one for a block
whose site was not given. When a study is recorded on both sides, a side-difference column says
whether each side's response is clearly smaller than the other's. Amplitudes just above their
limit (the borderline band) are left unscored rather than counted as normal. All cut-offs are
the knowledge base's `clinical_thresholds.yaml`.

These rules read one case; `observation_plan` reads a batch through the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from plexcare.engine.anatomy_arrays import AnatomyArrays, EndOrgan
from plexcare.engine.case import Case, NeedleResult, SideExam, StudyResult
from plexcare.engine.finding_model import FindingKind, FindingModel, finding_model_for
from plexcare.knowledge.engine_parameters_model import ClinicalThresholds
from plexcare.knowledge.integrity import ancestors
from plexcare.knowledge.model import AgeLimit, KnowledgeBase, NerveConductionStudy

UNKNOWN, NORMAL, ABNORMAL = -1, 0, 1
MUSCLE_KINDS = (
    FindingKind.WEAKNESS,
    FindingKind.SEVERE_WEAKNESS,
    FindingKind.FIBRILLATIONS,
    FindingKind.NEUROGENIC_UNITS,
    FindingKind.MYOPATHIC_UNITS,
    FindingKind.FASCICULATIONS,
    FindingKind.MYOKYMIA,
)
AGED = "aged"
ALONG_NERVE = ""
"""The segment of a conduction block recorded without its site: anywhere along the studied
stretch of the nerve (the union of the study's segments)."""
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
    FindingKind.SEVERE_WEAKNESS: (
        "severe weakness (MRC 2 or less) of",
        "weakness short of severe (MRC 4) of",
    ),
    FindingKind.CONDUCTION_BLOCK: ("conduction block or focal slowing", "no conduction block"),
    FindingKind.TEMPORAL_DISPERSION: (
        "temporal dispersion in the",
        "no temporal dispersion in the",
    ),
    FindingKind.SIDE_DIFFERENCE: (
        "smaller than on the other side:",
        "no smaller than on the other side:",
    ),
    FindingKind.SPHINCTER_FAILURE: ("loss of", "normal"),
}
"""How each kind of finding reads when abnormal and when normal."""


@dataclass(frozen=True)
class FindingSpec:
    """One column: a kind of finding on one end organ, optionally the age-adjusted variant.

    A conduction-block column names its `segment` (empty: site not given) and the graph
    `structures` a lesion must sit on to block there.
    """

    organ: EndOrgan
    kind: FindingKind
    aged: bool = False
    segment: str = ALONG_NERVE
    segment_name: str = ""
    structures: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def variant(self) -> str:
        """What tells columns of one kind on one organ apart: 'aged', a segment, or ''."""
        return AGED if self.aged else self.segment

    @property
    def key(self) -> str:
        suffix = f"@{self.variant}" if self.variant else ""
        return f"{self.organ.key}:{self.kind.value}{suffix}"

    @property
    def label(self) -> str:
        return self.describe(abnormal=True)

    def describe(self, *, abnormal: bool) -> str:
        """The finding in a clinician's words, as found: 'weak left tibialis anterior'."""
        where = "" if self.organ.side == "midline" else f"{self.organ.side} "
        abnormal_text, normal_text = FINDING_WORDS[self.kind]
        text = abnormal_text if abnormal else normal_text
        if self.kind is FindingKind.CONDUCTION_BLOCK:
            site = self.segment_name or "along the nerve"
            return f"{text} {site} in the {where}{self.organ.name}"
        return f"{text} {where}{self.organ.name}"


@dataclass(frozen=True)
class FindingIndex:
    specs: tuple[FindingSpec, ...]
    index: Mapping[str, int] = field(repr=False)
    organ_rows: npt.NDArray[np.int64] = field(repr=False)  # finding -> organ row
    keys: tuple[str, ...] = field(repr=False, default=())
    by_name: Mapping[tuple[str, str, FindingKind, str], int] = field(
        repr=False, default_factory=dict
    )
    """(side, organ id, kind, variant) -> column: the fast path from a case's names."""


_SEVERE = FindingKind.SEVERE_WEAKNESS
_BLOCK = FindingKind.CONDUCTION_BLOCK


def _specs_for(organ: EndOrgan, study: NerveConductionStudy | None) -> list[FindingSpec]:
    if organ.type == "muscle":
        return [FindingSpec(organ, kind) for kind in MUSCLE_KINDS]
    if organ.type == "movement":
        return [FindingSpec(organ, FindingKind.WEAKNESS), FindingSpec(organ, kind=_SEVERE)]
    if organ.type == "midline":
        return [FindingSpec(organ, FindingKind.SPHINCTER_FAILURE)]
    if organ.type == "leg":
        return [FindingSpec(organ, FindingKind.LEG_AFFECTED)]
    if organ.type == "area":
        return [FindingSpec(organ, FindingKind.SENSORY_LOSS)]
    if organ.type == "reflex":
        return [
            FindingSpec(organ, FindingKind.HYPOREFLEXIA),
            FindingSpec(organ, FindingKind.HYPERREFLEXIA),
        ]
    kind = STUDY_KIND[organ.modality]
    specs = [FindingSpec(organ, kind)]
    if study is not None and any(limit.may_be_absent for limit in study.age_limits):
        specs.append(FindingSpec(organ, kind, aged=True))
    if organ.modality in ("snap", "cmap", "f_wave"):
        specs.append(FindingSpec(organ, FindingKind.SLOWING))
    if organ.modality == "cmap":
        specs.append(FindingSpec(organ, FindingKind.TEMPORAL_DISPERSION))
        segments = study.segments if study is not None else ()
        along = frozenset(s for segment in segments for s in segment.structures)
        specs.append(FindingSpec(organ, _BLOCK, structures=along))
        specs.extend(
            FindingSpec(
                organ,
                _BLOCK,
                segment=segment.id,
                segment_name=segment.name,
                structures=frozenset(segment.structures),
            )
            for segment in segments
        )
    if organ.modality in ("snap", "cmap", "h_reflex"):
        specs.append(FindingSpec(organ, FindingKind.SIDE_DIFFERENCE))
    return specs


def build_finding_index(arrays: AnatomyArrays, kb: KnowledgeBase) -> FindingIndex:
    specs: list[FindingSpec] = []
    rows: list[int] = []
    for row, organ in enumerate(arrays.organs):
        study = kb.studies.get(organ.id) if organ.type == "study" else None
        for spec in _specs_for(organ, study):
            specs.append(spec)
            rows.append(row)
    return FindingIndex(
        specs=tuple(specs),
        index={spec.key: column for column, spec in enumerate(specs)},
        organ_rows=np.asarray(rows, dtype=np.int64),
        keys=tuple(spec.key for spec in specs),
        by_name=_by_name(specs),
    )


def _by_name(specs: Sequence[FindingSpec]) -> dict[tuple[str, str, FindingKind, str], int]:
    """Kinds separate organ types (only muscles get fibrillations, only areas sensory loss), so
    side, organ id and kind name a column; a clash would be a knowledge-base naming error."""
    lookup: dict[tuple[str, str, FindingKind, str], int] = {}
    for column, spec in enumerate(specs):
        name = (spec.organ.side, spec.organ.id, spec.kind, spec.variant)
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
    if not study.age_limits:  # most studies: one limit for every adult
        return None
    bands = [limit for limit in study.age_limits if limit.min_age <= age]
    return max(bands, key=lambda limit: limit.min_age) if bands else None


class Collector:
    """One case's findings as they are read: column -> NORMAL or ABNORMAL, found by name."""

    def __init__(self, index: FindingIndex) -> None:
        self.lookup = index.by_name
        self.values: dict[int, int] = {}

    def put(
        self, side: str, name: str, kind: FindingKind, abnormal: bool | None, variant: str = ""
    ) -> None:
        if abnormal is None:
            return
        column = self.lookup.get((side, name, kind, variant))
        if column is None and variant == AGED:
            column = self.lookup.get((side, name, kind, ""))
        if column is not None:
            self.values[column] = ABNORMAL if abnormal else NORMAL

    def withdraw_normal(self, side: str, name: str, kind: FindingKind) -> None:
        """Forget a 'normal' (a borderline-asymmetric response is not reassuring)."""
        column = self.lookup.get((side, name, kind, ""))
        if column is not None and self.values.get(column) == NORMAL:
            del self.values[column]


def needle_findings(result: NeedleResult) -> tuple[tuple[FindingKind, bool], ...]:
    """What one needle result says, kind by kind: reduced recruitment counts as neurogenic and
    early recruitment as myopathic, and a kind not examined stays unscored."""
    found: list[tuple[FindingKind, bool]] = []
    if result.fibrillations is not None:
        found.append((FindingKind.FIBRILLATIONS, result.fibrillations >= 1))
    units, recruitment = result.motor_units, result.recruitment
    neurogenic = units == "neurogenic" or recruitment == "reduced"
    if neurogenic or units is not None or recruitment is not None:
        found.append((FindingKind.NEUROGENIC_UNITS, neurogenic))
    myopathic = units == "myopathic" or recruitment == "early"
    if myopathic or units is not None:
        found.append((FindingKind.MYOPATHIC_UNITS, myopathic))
    if result.fasciculations is not None:
        found.append((FindingKind.FASCICULATIONS, result.fasciculations))
    if result.myokymia is not None:
        found.append((FindingKind.MYOKYMIA, result.myokymia))
    return tuple(found)


def _needle(collect: Collector, side: str, name: str, result: NeedleResult) -> None:
    for kind, abnormal in needle_findings(result):
        collect.put(side, name, kind, abnormal)


def gave_way(exam: SideExam, kb: KnowledgeBase) -> frozenset[str]:
    """Strength keys not scored: those named as give-way, and muscles whose movement is."""
    if not exam.give_way:
        return frozenset()
    named = set(exam.give_way)
    return frozenset(
        name
        for name in exam.strength
        if name in named or (name in kb.muscles and kb.muscles[name].movement in named)
    )


def strength_findings(
    grade: int, thresholds: ClinicalThresholds
) -> tuple[tuple[FindingKind, bool], ...]:
    """What one MRC grade says: weak (4 or less) or not, and for a weak muscle whether the
    weakness is severe (scored as P(severe | weak)): abnormal at the `severe_weakness` grade or
    below, normal at the `mild_weakness` grade, open between."""
    if grade > 4:
        return ((FindingKind.WEAKNESS, False),)
    if thresholds.severe_weakness.reached(grade):
        return ((FindingKind.WEAKNESS, True), (_SEVERE, True))
    if thresholds.mild_weakness.reached(grade):
        return ((FindingKind.WEAKNESS, True), (_SEVERE, False))
    return ((FindingKind.WEAKNESS, True),)


def reflex_findings(grade: str) -> tuple[tuple[FindingKind, bool], ...]:
    """A reduced or absent reflex is lost; a brisk one is an upper motor neuron sign."""
    return (
        (FindingKind.HYPOREFLEXIA, grade in ("reduced", "absent")),
        (FindingKind.HYPERREFLEXIA, grade == "brisk"),
    )


def _exam(collect: Collector, side: str, exam: SideExam, kb: KnowledgeBase) -> None:
    """Bedside grades: strength (less any that gave way), Trendelenburg, reflexes, sensation."""
    thresholds = kb.thresholds
    skipped = gave_way(exam, kb)
    for name, grade in exam.strength.items():
        if name not in skipped:
            for kind, abnormal in strength_findings(grade, thresholds):
                collect.put(side, name, kind, abnormal)
    if exam.trendelenburg is not None and "hip_abduction" not in exam.strength:
        collect.put(side, "hip_abduction", FindingKind.WEAKNESS, exam.trendelenburg)
    for name, reflex in exam.reflexes.items():
        for kind, abnormal in reflex_findings(reflex):
            collect.put(side, name, kind, abnormal)
    for name, sensation in exam.sensation.items():
        collect.put(side, name, FindingKind.SENSORY_LOSS, sensation != "normal")


def in_unit(value: float | None, given: str | None, unit: str | None) -> float | None:
    """An amplitude given in `given` as the reading compares it, in `unit` (None: as given)."""
    if value is None or given is None:
        return None
    if unit is None or unit == given:
        return value
    return value * (1000.0 if given == "mV" else 0.001)


def _amplitude_in(result: StudyResult, unit: str | None) -> float | None:
    return in_unit(result.amplitude, result.unit, unit)


def lower_limit(study: NerveConductionStudy, age: int) -> float | None:
    """The amplitude limit at this age: the age band's own, else the study's adult limit."""
    return _lower_in(study, applicable_limit(study, age))


def _lower_in(study: NerveConductionStudy, band: AgeLimit | None) -> float | None:
    if band is not None and band.amplitude_lower is not None:
        return band.amplitude_lower
    return study.amplitude_lower


def _is_absent(result: StudyResult, amplitude: float | None) -> bool:
    if amplitude is not None:
        return amplitude == 0.0
    return result.grade == "absent" or result.persistence == 0.0


def _study_abnormal(
    study: NerveConductionStudy, result: StudyResult, age: int, thresholds: ClinicalThresholds
) -> tuple[bool | None, bool]:
    """(abnormal?, scored in the age-adjusted column?) for one amplitude or late response."""
    band = applicable_limit(study, age)
    may_be_absent = band is not None and band.may_be_absent
    return classify_response(study, result, may_be_absent, _lower_in(study, band), thresholds)


def classify_response(
    study: NerveConductionStudy,
    result: StudyResult,
    may_be_absent: bool,
    lower: float | None,
    thresholds: ClinicalThresholds,
) -> tuple[bool | None, bool]:
    """(abnormal?, scored in the age-adjusted column?) given the patient's age band: whether
    the response may be absent in health at that age, and the amplitude limit that applies.

    A response that is absent at an age where it may be absent in health goes to the "aged"
    column, where it counts as weak evidence; anything below the age-adjusted limit otherwise
    counts in full; an amplitude in the borderline band just above the limit is left open.
    """
    amplitude = _amplitude_in(result, study.amplitude_unit)
    absent = _is_absent(result, amplitude)
    if absent and may_be_absent:
        return True, True
    late = study.modality in ("f_wave", "h_reflex") and _late(study, result)
    if amplitude is not None and lower is not None:
        if amplitude < lower or late:
            return True, False
        borderline = lower > 0 and thresholds.borderline_amplitude.reached(amplitude / lower)
        return (None if borderline else False), False
    if result.grade is not None:
        return result.grade != "normal" or late, False
    if late or absent:
        return True, False
    # A late response is judged by its latency; a SNAP's or CMAP's latency or velocity says
    # nothing about its amplitude.
    late_response = study.modality in ("f_wave", "h_reflex")
    present = result.persistence is not None and result.persistence > 0
    measured = late_response and ((result.latency is not None and study.latency_upper) or present)
    return (False if measured else None), False


def _late(study: NerveConductionStudy, result: StudyResult) -> bool:
    return bool(study.latency_upper and result.latency and result.latency > study.latency_upper)


def _all_or_any(parts: Sequence[bool | None]) -> bool | None:
    """Abnormal if any part is; normal if every part measured is normal; open otherwise."""
    if any(part is True for part in parts):
        return True
    if parts and all(part is False for part in parts):
        return False
    return None


def _slowing(
    study: NerveConductionStudy,
    result: StudyResult,
    results: Mapping[str, StudyResult],
    age: int,
    kb: KnowledgeBase,
) -> bool | None:
    """Slowing in the demyelinating range (EAN/PNS 2021): a velocity at or below 70 % of the
    lower limit, a motor distal latency at or above 150 % of the upper limit, or an F wave
    20 % (50 % with a low or unrecorded CMAP) above it. Between normal and those limits the
    measure is left open, since loss of the fastest axons slows conduction somewhat."""
    thresholds = kb.thresholds
    if study.modality == "f_wave":
        return _slow_f_wave(study, result, results, age, kb)
    parts: list[bool | None] = []
    velocities = [result.velocity, *(s.velocity for s in result.segments.values())]
    if study.velocity_lower:
        for velocity in velocities:
            if velocity is None:
                continue
            if thresholds.demyelinating_slowing.reached(velocity / study.velocity_lower):
                parts.append(True)
            else:
                parts.append(False if velocity >= study.velocity_lower else None)
    if study.modality == "cmap" and study.latency_upper and result.latency is not None:
        ratio = result.latency / study.latency_upper
        if thresholds.demyelinating_distal_latency.reached(ratio):
            parts.append(True)
        else:
            parts.append(False if ratio <= 1.0 else None)
    return _all_or_any(parts)


def _slow_f_wave(
    study: NerveConductionStudy,
    result: StudyResult,
    results: Mapping[str, StudyResult],
    age: int,
    kb: KnowledgeBase,
) -> bool | None:
    """The stricter limit applies unless the nerve's own distal CMAP is recorded and not low."""
    if result.latency is None or not study.latency_upper:
        return None
    thresholds = kb.thresholds
    ratio = result.latency / study.latency_upper
    limit = thresholds.demyelinating_f_wave_low_cmap
    motor = results.get(study.motor_study) if study.motor_study else None
    motor_study = kb.studies.get(study.motor_study) if study.motor_study else None
    if motor is not None and motor_study is not None:
        amplitude = _amplitude_in(motor, motor_study.amplitude_unit)
        lower = lower_limit(motor_study, age)
        low = (
            amplitude is None or not lower or thresholds.f_wave_low_cmap.reached(amplitude / lower)
        )
        if not low:
            limit = thresholds.demyelinating_f_wave
    if limit.reached(ratio):
        return True
    return False if ratio <= 1.0 else None


def _dispersion(result: StudyResult) -> bool | None:
    judged = [
        result.temporal_dispersion,
        *(s.temporal_dispersion for s in result.segments.values()),
    ]
    given = [value for value in judged if value is not None]
    if any(given):
        return True
    return False if given else None


def _segment_blocks(
    study: NerveConductionStudy,
    result: StudyResult,
    age: int,
    thresholds: ClinicalThresholds,
) -> list[tuple[str, bool | None]]:
    """(segment, block or focal slowing?) for each segment recorded, distal to proximal.

    The fall is measured against the amplitude just below the segment (the distal amplitude for
    the first segment, the previous segment's otherwise); where that is missing, or the distal
    response is too small (under 20 % of its limit), or the nerve is one where a fall is normal
    (tibial), only the clinician's own judgment counts. Focal slowing is conduction across the
    segment more than 10 m/s slower than in the leg.
    """
    if not result.segments:  # the common case, read for every CMAP of a batch
        return []
    lower = lower_limit(study, age)
    below = _amplitude_in(result, study.amplitude_unit)
    distal = below
    reference_velocity = result.velocity
    blocks: list[tuple[str, bool | None]] = []
    for segment in study.segments:
        recorded = result.segments.get(segment.id)
        if recorded is None:
            below = None
            continue
        above = in_unit(recorded.amplitude, result.unit, study.amplitude_unit)
        block = recorded.conduction_block
        readable = (
            study.block_by_amplitude
            and above is not None
            and below is not None
            and below > 0
            and distal is not None
            and (not lower or thresholds.block_distal_cmap_minimum.reached(distal / lower))
        )
        if block is None and readable and above is not None and below is not None:
            drop = 1.0 - above / below
            if thresholds.conduction_block.reached(drop):
                block = True
            elif thresholds.no_conduction_block.reached(drop):
                block = False
        focal: bool | None = None
        if recorded.velocity is not None and reference_velocity is not None:
            focal = thresholds.focal_slowing.reached(reference_velocity - recorded.velocity)
        if reference_velocity is None:
            reference_velocity = recorded.velocity
        blocks.append((segment.id, _all_or_any([v for v in (block, focal) if v is not None])))
        below = above
    return blocks


def _studies(
    collect: Collector,
    side: str,
    results: Mapping[str, StudyResult],
    case: Case,
    kb: KnowledgeBase,
) -> None:
    blocked: set[str] = set()  # studies whose responses lie below a documented block
    for name, result in results.items():
        study = kb.studies.get(name)
        if study is not None:
            blocked |= read_study(collect, side, name, study, result, results, case.age, kb)
    for name in blocked & results.keys():
        collect.withdraw_normal(side, name, STUDY_KIND[kb.studies[name].modality])


def read_study(
    collect: Collector,
    side: str,
    name: str,
    study: NerveConductionStudy,
    result: StudyResult,
    results: Mapping[str, StudyResult],
    age: int,
    kb: KnowledgeBase,
) -> set[str]:
    """Put one study result's findings; return the studies it shows to lie below a block.

    `results` are the side's other results, which an F wave's slowing is judged with.
    """
    thresholds = kb.thresholds
    abnormal, aged = _study_abnormal(study, result, age, thresholds)
    collect.put(side, name, STUDY_KIND[study.modality], abnormal, AGED if aged else "")
    collect.put(side, name, FindingKind.SLOWING, _slowing(study, result, results, age, kb))
    if study.modality != "cmap":
        return set()
    collect.put(side, name, FindingKind.TEMPORAL_DISPERSION, _dispersion(result))
    blocked: set[str] = set()
    sited = _segment_blocks(study, result, age, thresholds)
    for segment, block in sited:
        collect.put(side, name, FindingKind.CONDUCTION_BLOCK, block, segment)
        if block:
            blocked.update(_downstream_studies(kb)[(name, segment)])
    located = any(block for _, block in sited)
    if result.conduction_block is not None and not (result.conduction_block and located):
        collect.put(side, name, FindingKind.CONDUCTION_BLOCK, result.conduction_block)
    if result.conduction_block or located:
        blocked.add(name)
    return blocked


@dataclass(frozen=True)
class CutPoints:
    """The values a study result's measures are compared with when it is read: the amplitude
    (in the study's unit), the conduction velocity and the latency."""

    amplitude: tuple[float, ...]
    velocity: tuple[float, ...]
    latency: tuple[float, ...]


def reading_cut_points(
    study: NerveConductionStudy, lower: float | None, thresholds: ClinicalThresholds
) -> CutPoints:
    """Every value at which `read_study`'s reading of a result without segments may change,
    with `lower` the amplitude limit at the patient's age (F waves aside: their reading also
    weighs the motor study's amplitude). Between two neighbouring cut points of each measure,
    the reading is the same whatever the values (`engine.measure_bands` remembers results so,
    and its tests hold this list to the rules above): a rule added here that compares a
    measure with a new value must add the value.

    Zero is a cut point of each measure: there an amplitude is an absent response, and a
    latency reads as none given."""
    amplitude = [0.0]
    if lower:
        amplitude += [lower, lower * thresholds.borderline_amplitude.value]
    velocity = [0.0]
    if study.velocity_lower:
        velocity += [
            study.velocity_lower,
            study.velocity_lower * thresholds.demyelinating_slowing.value,
        ]
    latency = [0.0]
    if study.latency_upper:
        latency += [
            study.latency_upper,
            study.latency_upper * thresholds.demyelinating_distal_latency.value,
        ]
    return CutPoints(tuple(amplitude), tuple(velocity), tuple(latency))


@dataclass(frozen=True)
class SideCutPoints:
    """The values two sides' results are compared at: the smaller response's share of the
    larger, and the left latency less the right."""

    share: tuple[float, ...]
    latency_difference: tuple[float, ...]


def side_cut_points(study: NerveConductionStudy, thresholds: ClinicalThresholds) -> SideCutPoints:
    """Every value at which `side_difference`'s verdict may change, for two responses both
    above zero: the study's side limit with its borderline band; and for the H reflex, a
    latency difference of zero (where the later side turns) and the limit either way. The
    rest of the verdict reads which side is the smaller, and whether each side gives an
    amplitude above zero, a grade or a persistence (`_response_size`). The same contract as
    `reading_cut_points`: a rule here that compares with a new value adds it."""
    share: list[float] = []
    if study.side_ratio_lower is not None:
        share += [
            study.side_ratio_lower,
            study.side_ratio_lower + thresholds.side_ratio_borderline.value,
        ]
    latency: tuple[float, ...] = ()
    if study.modality == "h_reflex":
        limit = thresholds.h_reflex_side_difference.value
        latency = (-limit, 0.0, limit)
    return SideCutPoints(tuple(share), latency)


def _downstream_studies(kb: KnowledgeBase) -> Mapping[tuple[str, str], frozenset[str]]:
    """(motor study, segment) -> the SNAP and CMAP studies whose fibres run through it.

    Below a conduction block the axons are intact, so a normal distal amplitude is what a
    demyelinating lesion at the block predicts: it is not evidence against a lesion there
    (the engine's focal lesions otherwise assume axon loss, which lowers distal amplitudes).
    Such normal amplitudes are therefore withdrawn when a block is documented above them.
    """
    return kb.derived("block_downstream_studies", _build_downstream)


def _build_downstream(kb: KnowledgeBase) -> dict[tuple[str, str], frozenset[str]]:
    reached: dict[str, set[str]] = {}
    for key, study in kb.studies.items():
        if study.modality in ("snap", "cmap"):
            above = set().union(*(ancestors(kb.structures, nerve) for nerve in study.nerves))
            reached[key] = above | set(study.nerves)
    return {
        (key, segment.id): frozenset(
            other for other, above in reached.items() if above & set(segment.structures)
        )
        for key, study in kb.studies.items()
        for segment in study.segments
    }


PRESENT = -1.0
"""A response recorded as present without its amplitude (a grade, F-wave persistence)."""
Smaller = Literal["left", "right", "neither"]


def _response_size(study: NerveConductionStudy, result: StudyResult) -> float | None:
    """The amplitude for a side comparison (0 when absent, `PRESENT` when present but not
    measured); None when the record says nothing about the response's size."""
    amplitude = _amplitude_in(result, study.amplitude_unit or "mV")
    if amplitude is not None:
        return amplitude
    if _is_absent(result, None):
        return 0.0
    if result.grade is not None or (result.persistence or 0.0) > 0:
        return PRESENT
    return None


def _smaller_by_size(
    a: float | None, b: float | None, limit: float, thresholds: ClinicalThresholds
) -> tuple[Smaller | None, Smaller | None]:
    """(clearly smaller side, borderline smaller side) from the left and right sizes."""
    if a is None or b is None or (a <= 0 and b <= 0):
        return None, None
    if PRESENT in (a, b):
        # Only an absent response against a present one can be judged without amplitudes.
        if a == 0.0:
            return "left", None
        return ("right", None) if b == 0.0 else (None, None)
    side: Smaller = "left" if a < b else "right"
    ratio = min(a, b) / max(a, b)
    if ratio < limit:
        return side, None
    if thresholds.side_ratio_borderline.reached(ratio - limit):
        return None, side
    return "neither", None


def _smaller_by_latency(
    study: NerveConductionStudy, left: StudyResult, right: StudyResult, kb: KnowledgeBase
) -> Smaller | None:
    """For the H reflex: the side more than `h_reflex_side_difference` later, or neither."""
    if study.modality != "h_reflex" or left.latency is None or right.latency is None:
        return None
    if not kb.thresholds.h_reflex_side_difference.reached(abs(left.latency - right.latency)):
        return "neither"
    return "left" if left.latency > right.latency else "right"


def _side_differences(collect: Collector, case: Case, kb: KnowledgeBase) -> None:
    """Which side's response is clearly smaller, where a study is recorded on both."""
    left = case.nerve_conduction.get("left", {})
    right = case.nerve_conduction.get("right", {})
    for name in left.keys() & right.keys():
        study = kb.studies.get(name)
        if study is None or study.side_ratio_lower is None:
            continue
        borderline, found = side_difference(study, left[name], right[name], kb)
        if borderline is not None:
            collect.withdraw_normal(borderline, name, STUDY_KIND[study.modality])
        for side, smaller in found:
            collect.put(side, name, FindingKind.SIDE_DIFFERENCE, smaller)


def side_difference(
    study: NerveConductionStudy, left: StudyResult, right: StudyResult, kb: KnowledgeBase
) -> tuple[Smaller | None, tuple[tuple[str, bool], ...]]:
    """(the borderline smaller side, whose absolute 'normal' is withdrawn; the side-difference
    findings as (side, smaller?)) for a study recorded on both sides; nothing without a
    side-to-side limit.

    An amplitude below the study's `side_ratio_lower` share of the other side's is the
    smaller side's; for the H reflex a latency longer by more than `h_reflex_side_difference`
    counts too. The two sides cannot both be the smaller, so the right column is scored only
    when the left is not the smaller one (the tables hold P(right smaller | left not)). A ratio
    in the borderline band just above the limit is left open, and the smaller response's
    absolute 'normal' is withdrawn. Two absent responses say nothing about sides.
    """
    if study.side_ratio_lower is None:
        return None, ()
    sizes = (_response_size(study, left), _response_size(study, right))
    by_size, borderline = _smaller_by_size(*sizes, study.side_ratio_lower, kb.thresholds)
    by_latency = _smaller_by_latency(study, left, right, kb)
    verdicts = {v for v in (by_size, by_latency) if v is not None}
    clear = verdicts - {"neither"}
    if len(clear) > 1:
        return borderline, ()  # one side smaller, the other later: no single verdict
    if clear:
        smaller = next(iter(clear))
    elif borderline is not None or not verdicts:
        smaller = None
    else:
        smaller = "neither"
    if smaller == "left":
        return borderline, (("left", True),)
    if smaller == "right":
        return borderline, (("left", False), ("right", True))
    if smaller == "neither":
        return borderline, (("left", False), ("right", False))
    if borderline == "right":
        return borderline, (("left", False),)
    return borderline, ()


def observed_values(case: Case, index: FindingIndex, kb: KnowledgeBase) -> dict[int, int]:
    """Finding column -> NORMAL or ABNORMAL for everything the case records."""
    collect = Collector(index)
    if case.affected_side is not None:
        for side in ("left", "right"):
            affected = case.affected_side in (side, "both")
            collect.put(side, "leg", FindingKind.LEG_AFFECTED, affected)
    for side, exam in case.exam.items():
        _exam(collect, side, exam, kb)
    if case.anal_tone is not None:
        reduced = case.anal_tone == "reduced"
        collect.put("midline", "anal_tone", FindingKind.SPHINCTER_FAILURE, reduced)
    if case.symptoms.bladder_bowel is not None:
        failing = case.symptoms.bladder_bowel
        collect.put("midline", "bladder", FindingKind.SPHINCTER_FAILURE, failing)
    for side, results in case.nerve_conduction.items():
        _studies(collect, side, results, case, kb)
    if len(case.nerve_conduction) == 2:
        _side_differences(collect, case, kb)
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
        background_prior=model.background_prior(case.age, diabetic(case)),
    )


def diabetic(case: Case) -> bool:
    return case.history.diabetes in ("type1", "type2")


@dataclass(frozen=True)
class ObservationBatch:
    """Many cases at once: a (cases × findings) matrix of -1 unknown / 0 normal / 1 abnormal,
    with what `Observations` gives one case: its findings count, time since onset, time bin
    and background prior."""

    matrix: npt.NDArray[np.int8]
    time_bins: npt.NDArray[np.int64]
    background_priors: npt.NDArray[np.float64]
    findings_used: npt.NDArray[np.int64]
    days_since_onset: tuple[float | None, ...]
