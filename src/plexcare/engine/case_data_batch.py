"""Many cases read from their data straight into a batch's arrays, and assessed together.

`observe_batch` and `feature_columns` read `Case` models, and building those models is most of
the cost of reading a batch (`engine.case_data`). Here each case's input, checked by the twin
of the case model and held in its frozen structs, is read as it stands, as soon as it is added:
bedside grades looked up in books that hold every known name and grade, study and needle
results by what they record (each different one read once by the rules `observe_batch`
applies, and remembered in `ValuesRead`, which the chunks of a big batch share: a struct of
plain values is its own key; a study result, or a comparison of the legs, whose measures lie
in the same bands as one read is not read again: `measure_bands`), and the sections the
etiology features read gathered, as dictionaries of what the case gave, for
`case_data_features`.

What this reading does not cover it declines: give-way weakness, a name the knowledge base does
not know, a study result whose names need a closer look (`case_names.needs_a_closer_look`), a
rule between fields that fails. The caller reads the declined cases with `Case` (which names
what is wrong, if anything is) and gives the models back; they are read by `observe_batch` and
`feature_columns`. So every row is what the ordinary path gives; property tests hold the two
readings together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

import numpy as np
import numpy.typing as npt
from msgspec.structs import replace
from pydantic import ValidationError

from plexcare.engine.assessment import BatchAssessment
from plexcare.engine.case import (
    Cancer,
    Case,
    ImagingFinding,
    NeedleResult,
    Radiotherapy,
    ReflexGrade,
    SensoryGrade,
    StudyResult,
)
from plexcare.engine.case_data import TWIN_IS_EXACT, CaseInput, given
from plexcare.engine.case_data_features import (
    READS_EVERY_FEATURE,
    CaseFeatureData,
    FloatArray,
    cancer_states,
    feature_table,
    imaging_states,
)
from plexcare.engine.case_names import MOVEMENTS, needs_a_closer_look
from plexcare.engine.feature_columns import feature_columns
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import (
    NORMAL,
    UNKNOWN,
    Collector,
    ObservationBatch,
    needle_findings,
    read_study,
    side_difference,
)
from plexcare.engine.localization import blend_weights
from plexcare.engine.measure_bands import SideBands, StudyBands, side_bands, study_bands
from plexcare.engine.observation_plan import (
    MRC_GRADES,
    OLDEST,
    SIDES,
    Codes,
    ObservationPlan,
    observation_plan,
    observe_batch,
)
from plexcare.engine.site_and_cause import (
    edx_log_likelihood_batch,
    score_batch,
    site_and_cause_model,
)
from plexcare.knowledge.model import KnowledgeBase

READS_DATA = TWIN_IS_EXACT and READS_EVERY_FEATURE
"""Whether cases are read from their data at all (else every case is declined)."""
BIRTH = frozenset({"pregnant", "delivery_weeks_ago", "delivery_instrumental", "labour_prolonged"})
"""History a man's case cannot give (`Case._pregnancy_needs_a_woman`)."""
REFLEX_GRADES: tuple[str, ...] = get_args(ReflexGrade)
SENSORY_GRADES: tuple[str, ...] = get_args(SensoryGrade)


Book = Mapping[tuple[str, Any], Codes]
"""(name, grade) -> what it fills, for every name the knowledge base knows and every valid
grade (empty codes included: a key missing from a book is a name it does not know)."""


@dataclass(frozen=True)
class LegBooks:
    """What every bedside grade fills on one leg."""

    strength: Book
    reflexes: Book
    sensation: Book
    trendelenburg: Mapping[bool, Codes]


@dataclass(frozen=True)
class ReadingTables:
    """What reading cases' data looks up, compiled once per knowledge base: each leg's books,
    the legs' codes for each affected side, and each age's band (ages at which every study
    applies the same age rules share a band, so a result is remembered for the band), with
    the first age of each band, at which its results are read; and the measures' bands of
    each study read alone (not an F wave), by age band and name, and of each comparison of
    the sides, by name (`measure_bands`)."""

    legs: Mapping[str, LegBooks]
    affected: Mapping[str, Codes]
    bands: tuple[int, ...]
    band_ages: tuple[int, ...]
    measures: Mapping[tuple[int, str], StudyBands]
    sides: Mapping[str, SideBands]


def _book(plan: ObservationPlan, side: str, kind: str, names: Any, grades: Any) -> Book:
    known = getattr(plan.sides[side], kind)
    return {(name, grade): known.get((name, grade), ()) for name in names for grade in grades}


def _tables(plan: ObservationPlan, kb: KnowledgeBase) -> ReadingTables:
    rules: dict[tuple[object, ...], int] = {}
    bands = []
    for age in range(OLDEST + 1):
        applied = tuple(
            study.age_rules[age] for side in SIDES for study in plan.sides[side].studies.values()
        )
        bands.append(rules.setdefault(applied, len(rules)))
    bedside = kb.muscles.keys() | MOVEMENTS
    legs = {
        side: LegBooks(
            strength=_book(plan, side, "strength", bedside, MRC_GRADES),
            reflexes=_book(plan, side, "reflexes", kb.reflexes, REFLEX_GRADES),
            sensation=_book(plan, side, "sensation", kb.sensory_areas, SENSORY_GRADES),
            trendelenburg=plan.sides[side].trendelenburg,
        )
        for side in SIDES
    }
    left, right = plan.sides["left"].leg, plan.sides["right"].leg
    band_ages = tuple(bands.index(band) for band in range(len(rules)))
    return ReadingTables(
        legs=legs,
        affected={affected: left[affected] + right[affected] for affected in left},
        bands=tuple(bands),
        band_ages=band_ages,
        measures={
            (band, name): study_bands(study.study, study.age_rules[age][1], kb.thresholds)
            for band, age in enumerate(band_ages)
            for name, study in plan.sides["left"].studies.items()
            if study.study.motor_study is None
        },
        sides={
            name: side_bands(plan.sides["left"].studies[name].study, kb.thresholds)
            for name in plan.compared
        },
    )


def _plain(result: StudyResult) -> bool:
    """Only an amplitude or a grade: one finding, read without the full rules."""
    return (
        result.velocity is None
        and result.latency is None
        and result.conduction_block is None
        and result.temporal_dispersion is None
        and result.persistence is None
        and not result.segments
    )


def _codes(collect: Collector) -> Codes:
    return tuple(column * 2 + value for column, value in collect.values.items())


def _hashable(data: Mapping[str, Any]) -> tuple[object, ...]:
    """A mapping as a key: its items, a nested mapping as its items."""
    return tuple(
        (key, _hashable(value) if isinstance(value, dict) else value) for key, value in data.items()
    )


def _recorded(result: Any) -> object:
    """What a study result records, as a key: the frozen struct itself, or (with segments, a
    mapping, which cannot be a key) the struct without them beside the segments' items."""
    segments = result.segments
    if segments is None:
        return result
    return replace(result, segments=None), tuple(segments.items())


def _alike(result: Any) -> object:
    """A result without segments, its measures left out (their bands stand for them)."""
    return replace(result, amplitude=None, velocity=None, latency=None)


Read = TypeVar("Read")


def _remembered(known: dict[object, Read], key: object, read: Callable[[], Read | None]) -> Read:
    """What `read` gives, remembered in `known` by `key` (None: not remembered), or found
    there; the case declined when `read` gives None."""
    outcome = None if key is None else known.get(key)
    if outcome is None:
        outcome = read()
        if outcome is None:
            raise _Declined
        if key is not None:
            known[key] = outcome
    return outcome


Recorded = tuple[Any, object]
"""A result's struct, and what it records (`_recorded`)."""


class _Declined(Exception):
    """This case is read by `Case` instead."""


@dataclass(frozen=True)
class BatchEvidence:
    """A batch as the scoring reads it: observations, etiology feature states (cases ×
    features), imaging and case ids, a row per case."""

    observations: ObservationBatch
    states: FloatArray
    imaging: tuple[tuple[ImagingFinding, ...], ...]
    case_ids: tuple[str | None, ...]


_PLANTAR_TESTED = frozenset({"flexor", "extensor"})
_FULL_STRENGTH = frozenset({5})
_PULSES_WEAK = frozenset({"reduced", "absent"})
_HISTORY_OF_CANCER = ("cancer", "radiotherapy", "pelvic_radiotherapy_years_ago", "anticoagulant")


@dataclass(frozen=True)
class ValuesRead:
    """What reading worked out once for each different value (a prior by age and diabetes, a
    cancer history, an imaging report, a study result or a comparison of the legs by its
    values and by its measures' bands, a needle result), kept for every batch of cases read
    with it: the chunks of one big batch share it."""

    priors: dict[tuple[int, str | None], float] = field(default_factory=dict)
    history: dict[tuple[object, ...], tuple[float, ...] | None] = field(default_factory=dict)
    imaging: dict[tuple[object, ...], tuple[tuple[ImagingFinding, ...], Any]] = field(
        default_factory=dict
    )
    studies: dict[object, tuple[Codes, frozenset[str]]] = field(default_factory=dict)
    banded: dict[object, tuple[Codes, frozenset[str]]] = field(default_factory=dict)
    results: dict[object, StudyResult | None] = field(default_factory=dict)
    compared: dict[object, tuple[int | None, Codes]] = field(default_factory=dict)
    compared_banded: dict[object, tuple[int | None, Codes]] = field(default_factory=dict)
    needles: dict[object, tuple[Codes, bool]] = field(default_factory=dict)

    def forget_beyond(self, kept: int) -> None:
        """Empty each table that holds more than `kept` values. Results measured patient by
        patient seldom repeat (only grades and the like do), so without a bound a big batch's
        tables would grow with it: 20,000 such cases left some 25 MB of them."""
        for known in vars(self).values():
            if len(known) > kept:
                known.clear()


class CaseDataBatch:
    """A batch being read: a row per case added, from its data where it can be.

    Add every case (`add`), then give the models of the rows `to_read_as_cases` lists
    (`read_as_case`), then `assess`. `values`, given, is what earlier batches read with the
    same knowledge base worked out, and goes on being added to.
    """

    def __init__(self, kb: KnowledgeBase, values: ValuesRead | None = None) -> None:
        self.kb = kb
        self.model = site_and_cause_model(kb)
        self.index = self.model.localization.findings
        self.plan = observation_plan(self.index, kb)
        self.tables = kb.derived("case_data_tables", lambda built: _tables(self.plan, built))
        radiotherapy_field = kb.site_and_cause.radiotherapy_field
        self.in_field = frozenset(radiotherapy_field.regions) if radiotherapy_field else frozenset()
        self.read_beside = frozenset(
            name for name, study in kb.studies.items() if study.motor_study is not None
        )
        """Studies read with the motor study beside them (F waves)."""
        self.codes: list[int] = []
        self.ends: list[int] = []
        self.withdrawn: list[tuple[int, int]] = []  # (row, normal code) a block withdraws
        self.days: list[float | None] = []
        self.priors: list[float] = []
        self.imaging: list[tuple[ImagingFinding, ...]] = []
        self.case_ids: list[str | None] = []
        self.features = CaseFeatureData()
        self.declined: set[int] = set()
        self.cases: dict[int, Case] = {}
        self.values = values if values is not None else ValuesRead()

    def __len__(self) -> int:
        return len(self.ends)

    def add(self, data: CaseInput | None) -> None:
        """Add a case from its data (None: a case the twin refused, to be read by `Case`).

        The case is read at once, while its data is fresh in the processor's caches, and most
        of it can be let go: read later, a whole batch of small objects would be fetched from
        memory again, object by object, and all of them kept until then."""
        row = len(self.ends)
        if data is not None and READS_DATA:
            start, withdrawn = len(self.codes), len(self.withdrawn)
            try:
                self._read(row, data)
                return
            except _Declined:
                del self.codes[start:]
                del self.withdrawn[withdrawn:]
        self.declined.add(row)
        self.ends.append(len(self.codes))
        self.days.append(None)
        self.priors.append(0.0)
        self.imaging.append(())
        self.case_ids.append(None)
        self.features.add_blank()

    def _read(self, row: int, data: CaseInput) -> None:
        """One case: its codes, and what the scoring and the features read, appended; the
        rules between fields that `case_data` leaves to its readers applied. The sections the
        features read by column are taken as dictionaries of what the case gave (`given`)."""
        age: int = data.age
        sex: str = data.sex
        history = given(data.history)
        symptoms = given(data.symptoms)
        if sex == "male" and not history.keys().isdisjoint(BIRTH):
            raise _Declined  # Case._pregnancy_needs_a_woman
        onset = data.onset_on
        if onset is not None:
            evaluated = data.evaluated_on
            if evaluated is None or onset > evaluated:
                raise _Declined  # Case._dates_in_order
            days: float | None = float((evaluated - onset).days)
        else:
            weeks = data.weeks_since_onset
            days = None if weeks is None else weeks * 7.0
        cancer = None
        if not history.keys().isdisjoint(_HISTORY_OF_CANCER):
            cancer = self._history_of_cancer(history)
        diabetes = history.get("diabetes")
        prior = self.values.priors.get((age, diabetes))
        if prior is None:
            prior = self._prior(age, diabetes)
        codes = self.codes
        affected = data.affected_side
        if affected is not None:
            codes += self.tables.affected[affected]
        anal = data.anal_tone
        if anal is not None:
            codes += self.plan.anal_tone[anal]
        bladder = symptoms.get("bladder_bowel")
        if bladder is not None:
            codes += self.plan.bladder[bladder]
        exam = data.exam
        bedside = self._exam(exam) if exam else _NO_EXAM
        conduction = data.nerve_conduction
        if conduction:
            self._conduction(row, conduction, self.tables.bands[age])
        emg = data.emg
        myokymia = self._emg(emg) if emg else 0.0
        imaging, imaging_states = self._imaging_of(data.imaging)
        pain = data.pain
        sites, score = (None, None) if pain is None else (pain.sites, pain.score)
        back = 1.0 if sites and "back" in " ".join(sites).lower() else 0.0
        self.ends.append(len(codes))
        self.days.append(days)
        self.priors.append(prior)
        self.imaging.append(imaging)
        self.case_ids.append(data.id)
        features = self.features
        features.symptoms.append(symptoms)
        features.history.append(history)
        features.labs.append(given(data.labs))
        features.numbers += (age, data.bmi, score)
        features.words.append((sex, data.tempo, affected, anal))
        features.bedside.append((back, *bedside, myokymia))
        features.imaging.append(imaging_states)
        if cancer is not None:
            features.cancer_rows[row] = cancer

    def _exam(self, exam: Mapping[str, Any]) -> tuple[float, ...]:
        """Every leg's bedside grades looked up in its books (a name the knowledge base does
        not know is in none, and the case is declined), its Trendelenburg sign, and the
        examination's features (`case_data_features.BEDSIDE`, between the pain sites and the
        needle study). Plain loops: measured, they beat `chain(map(...))` on a leg's few
        grades. A grade below 5 is told by what is not 5 (grades are 0 to 5): a third of the
        time of `min`."""
        codes = self.codes
        legs = self.tables.legs
        weak_legs = 0
        strength_given = brisk = tested = False
        pulses = 0.0
        try:
            for side, found in exam.items():
                if found.give_way:
                    raise _Declined
                books = legs[side]
                strength = found.strength
                if strength:
                    book = books.strength
                    for graded in strength.items():
                        codes += book[graded]
                    strength_given = True
                    weak_legs += not _FULL_STRENGTH.issuperset(strength.values())
                reflexes = found.reflexes
                if reflexes:
                    book = books.reflexes
                    for graded in reflexes.items():
                        codes += book[graded]
                    tested = True
                    brisk = brisk or "brisk" in reflexes.values()
                sensation = found.sensation
                if sensation:
                    book = books.sensation
                    for graded in sensation.items():
                        codes += book[graded]
                trendelenburg = found.trendelenburg
                if trendelenburg is not None and not (strength and "hip_abduction" in strength):
                    codes += books.trendelenburg[trendelenburg]
                plantar = found.plantar
                if plantar in _PLANTAR_TESTED:
                    tested = True
                    brisk = brisk or plantar == "extensor"
                felt = found.foot_pulses
                if felt is not None and pulses != 1.0:
                    pulses = 1.0 if felt in _PULSES_WEAK else -1.0
        except KeyError:  # a name the knowledge base does not know
            raise _Declined from None
        return (
            1.0 if weak_legs == 2 else 0.0,
            -1.0 if strength_given else 0.0,
            1.0 if brisk else (-1.0 if tested else 0.0),
            pulses,
        )

    def _conduction(self, row: int, conduction: Mapping[str, Mapping[str, Any]], band: int) -> None:
        """Each result's findings, looked up by what it records (its age band, leg, name and
        `_recorded` items: a result with segments is told apart beforehand, as a raised
        `TypeError` cost a microsecond and a half) and read the first time by `study`; the
        normals below a block withdrawn; the studies recorded on both legs compared (by what
        each records, as worked out for its own leg)."""
        codes = self.codes
        known = self.values.studies
        read_beside = self.read_beside
        recorded_on: dict[str, dict[str, object]] = {}
        for side, results in conduction.items():
            blocked: frozenset[str] = frozenset()
            recorded_on[side] = recorded_here = {}
            for name, result in results.items():
                recorded = recorded_here[name] = _recorded(result)
                key: object = (band, side, name, recorded)
                if name in read_beside:
                    motor = results.get(self.kb.studies[name].motor_study or "")
                    key = (key, None if motor is None else _recorded(motor))
                outcome = known.get(key)
                if outcome is None:
                    outcome = known[key] = self._study_once(band, side, name, results, recorded)
                codes += outcome[0]
                if outcome[1]:
                    blocked |= outcome[1]
            if blocked:
                studies = self.plan.sides[side].studies
                for name in blocked & results.keys():
                    normal = studies[name].normal_code
                    if normal is not None:
                        self.withdrawn.append((row, normal))
        if len(conduction) == 2:
            left, right = conduction["left"], conduction["right"]
            for name in left.keys() & right.keys() & self.plan.compared:
                left_recorded = recorded_on["left"][name]
                right_recorded = recorded_on["right"][name]
                key = (name, left_recorded, right_recorded)
                compared = self.values.compared.get(key)
                if compared is None:
                    compared = self.values.compared[key] = self._compared_once(
                        name, (left[name], left_recorded), (right[name], right_recorded)
                    )
                if compared[0] is not None:
                    self.withdrawn.append((row, compared[0]))
                codes += compared[1]

    def _emg(self, emg: Mapping[str, Mapping[str, Any]]) -> float:
        """Each needle result's findings, looked up by what it records and read the first
        time by `_needle`; the myokymia feature (`case_data_features.BEDSIDE`)."""
        codes = self.codes
        known = self.values.needles
        needled = myokymia = False
        for side, muscles in emg.items():
            for name, result in muscles.items():
                key = (side, name, result)
                outcome = known.get(key)
                if outcome is None:
                    outcome = self._needle(side, name, result)
                    if outcome is None:
                        raise _Declined
                    known[key] = outcome
                codes += outcome[0]
                needled = True
                myokymia = myokymia or outcome[1]
        return (1.0 if myokymia else -1.0) if needled else 0.0

    def to_read_as_cases(self) -> list[int]:
        """The rows to give as `Case` models (`read_as_case`), in order."""
        return sorted(self.declined - self.cases.keys())

    def read_as_case(self, row: int, case: Case) -> None:
        """The model of a declined row, its names already checked."""
        self.cases[row] = case

    def evidence(self) -> BatchEvidence:
        """What the scoring reads of every row: the rows read from data as this batch read
        them, the others by `observe_batch` and `feature_columns`."""
        missing = self.to_read_as_cases()
        if missing:
            raise ValueError(f"rows {missing[:5]} are still to be read as cases")
        kb, model, index = self.kb, self.model, self.index
        rows = len(self)
        flat = np.asarray(self.codes, dtype=np.int64)
        ends = np.asarray(self.ends, dtype=np.int64)
        counts = ends - np.concatenate(([0], ends[:-1])).astype(np.int64)
        columns = len(index.specs)
        matrix = np.full((rows, columns), UNKNOWN, dtype=np.int8)
        cells = np.repeat(np.arange(0, rows * columns, columns), counts) + (flat >> 1)
        matrix.reshape(-1)[cells] = flat & 1
        if self.withdrawn:
            withdrawn_rows, withdrawn = np.asarray(self.withdrawn, dtype=np.int64).T
            normal = matrix[withdrawn_rows, withdrawn >> 1] == NORMAL
            matrix[withdrawn_rows[normal], withdrawn[normal] >> 1] = UNKNOWN
        days, imaging, case_ids = list(self.days), list(self.imaging), list(self.case_ids)
        priors = np.asarray(self.priors, dtype=np.float64)
        states = feature_table(self.features, model.etiology.feature_index, kb)
        finding_model = model.localization.finding_model
        if self.cases:
            read = sorted(self.cases)
            cases = [self.cases[row] for row in read]
            batch = observe_batch(cases, index, kb, finding_model, check_names=True)
            matrix[read] = batch.matrix
            priors[read] = batch.background_priors
            states[read] = feature_columns(cases, model.etiology.feature_index, kb)
            for row, case, onset in zip(read, cases, batch.days_since_onset, strict=True):
                days[row], imaging[row], case_ids[row] = onset, case.imaging, case.id
        bins = {onset: finding_model.time_bin(onset) for onset in set(days)}
        observations = ObservationBatch(
            matrix=matrix,
            time_bins=np.asarray([bins[onset] for onset in days], dtype=np.int64),
            background_priors=priors,
            findings_used=_findings_used(matrix),
            days_since_onset=tuple(days),
        )
        return BatchEvidence(observations, states, tuple(imaging), tuple(case_ids))

    def assess(self, evidence: BatchEvidence | None = None) -> BatchAssessment:
        """Site and cause for every row, as `assess_batch` gives them for the same cases
        (from `evidence` when it has been worked out already, as the benchmark times it)."""
        if evidence is None:
            evidence = self.evidence()
        model = self.model
        observations = evidence.observations
        answer = score_batch(
            model,
            edx_log_likelihood_batch(model, observations),
            observations.background_priors,
            evidence.states,
            evidence.imaging,
            blend_weights(observations.findings_used, observations.days_since_onset),
        )
        candidates = model.localization.arrays.candidates
        return BatchAssessment(
            case_ids=evidence.case_ids,
            candidate_keys=tuple(c.key for c in candidates),
            candidate_titles=tuple(c.title for c in candidates),
            localization=answer.site,
            plexopathy_probability=answer.plexopathy_probability,
            disorders=model.etiology.disorders,
            disorder_names=model.etiology.names,
            etiology=answer.cause,
        )

    # --- What the reading works out once for each different value ---------------------------

    def _prior(self, age: int, diabetes: str | None) -> float:
        diabetic = diabetes in ("type1", "type2")
        prior = self.model.localization.finding_model.background_prior(age, diabetic)
        self.values.priors[(age, diabetes)] = prior
        return prior

    def _history_of_cancer(self, history: Mapping[str, Any]) -> tuple[float, ...]:
        """The cancer and radiotherapy history, read by their own models (which also read the
        older ways of writing them), with `History._radiotherapy_told_once`. The twin takes
        these two fields as any JSON, so a mapping is made a key by its items (told apart
        beforehand: a raised `TypeError` cost a case a microsecond and a half), and a list
        cannot be one: its case is declined, and `Case` names the field."""
        key = tuple(map(history.get, _HISTORY_OF_CANCER))
        if dict in map(type, key):  # a cancer or radiotherapy history written as a mapping
            key = tuple(_hashable(part) if isinstance(part, dict) else part for part in key)
        try:
            states = self.values.history.get(key, ())
        except TypeError:  # a list, which the twin lets through for the model to refuse
            raise _Declined from None
        if states == ():
            states = self.values.history[key] = self._history_states(history)
        if states is None:
            raise _Declined
        return states

    def _history_states(self, history: Mapping[str, Any]) -> tuple[float, ...] | None:
        cancer, radiotherapy, years, anticoagulant = map(history.get, _HISTORY_OF_CANCER)
        try:
            cancer = None if cancer is None else Cancer.model_validate(cancer)
            radiotherapy = (
                None if radiotherapy is None else Radiotherapy.model_validate(radiotherapy)
            )
        except ValidationError:
            return None
        if years is not None and radiotherapy is not None and radiotherapy.status != "given":
            return None
        return cancer_states(cancer, radiotherapy, years, anticoagulant, self.in_field)

    def _imaging_of(
        self, findings: tuple[Any, ...] | None
    ) -> tuple[tuple[ImagingFinding, ...], tuple[float, ...] | None]:
        """The findings' models and imaging feature states, remembered by the findings (a
        tuple of frozen structs is its own key)."""
        if not findings:
            return (), None
        known = self.values.imaging.get(findings)
        if known is None:
            models = tuple(ImagingFinding.model_validate(given(finding)) for finding in findings)
            known = self.values.imaging[findings] = (models, imaging_states(models, self.kb))
        return known

    def _study_once(
        self, band: int, side: str, name: str, results: Mapping[str, Any], recorded: object
    ) -> tuple[Codes, frozenset[str]]:
        """A result not yet read by its values: read by `_study`, or found by its measures'
        bands (`measure_bands`) when a result in the same bands was read. A result in bands
        holds no other value that the reading or the model's rules (which ask only whether a
        measure is given) could tell apart."""
        result = results[name]
        bands = self.tables.measures.get((band, name))
        key = None
        if bands is not None and result.segments is None:
            measured = bands.of(result)
            if measured is not None:
                key = (band, side, name, _alike(result), measured)
        return _remembered(
            self.values.banded, key, lambda: self._study(band, side, name, results, recorded)
        )

    def _study(
        self,
        band: int,
        side: str,
        name: str,
        results: Mapping[str, Any],
        recorded: object,
    ) -> tuple[Codes, frozenset[str]] | None:
        """`observe_batch`'s reading of one study result, which records `recorded` (None:
        the case is declined): an amplitude or grade alone by the observation plan, anything
        more by `read_study`."""
        result = self._result(results[name], recorded)
        study = self.plan.sides[side].studies.get(name)
        if result is None or study is None or needs_a_closer_look(name, result, self.kb):
            return None
        age = self.tables.band_ages[band]
        if study.column is not None and _plain(result):
            code = study.code(result, age, self.kb)
            return (() if code is None else (code,)), frozenset()
        # `read_study` reads another result only for an F wave: its nerve's motor study
        # (the key `_conduction` remembers it by). Each result reads its own model.
        beside: dict[str, StudyResult] = {}
        motor = study.study.motor_study
        if motor is not None and motor in results:
            model = self._result(results[motor], _recorded(results[motor]))
            if model is not None:
                beside[motor] = model
        collect = Collector(self.index)
        below = read_study(collect, side, name, study.study, result, beside, age, self.kb)
        return _codes(collect), frozenset(below)

    def _result(self, data: Any, recorded: object) -> StudyResult | None:
        """The result's own model (its rules between fields applied), or None if it fails;
        remembered by what it records (`_recorded`)."""
        known = self.values.results
        if recorded not in known:
            try:
                known[recorded] = StudyResult.model_validate(given(data))
            except ValidationError:
                known[recorded] = None
        return known[recorded]

    def _compared_once(
        self, name: str, left: Recorded, right: Recorded
    ) -> tuple[int | None, Codes]:
        """A comparison not yet made of these values: made by `_comparison`, or found by the
        bands of what the sides' results give (`measure_bands`) when a comparison in the
        same bands was made."""
        left_result, right_result = left[0], right[0]
        key = None
        if left_result.segments is None and right_result.segments is None:
            measured = self.tables.sides[name].of(left_result, right_result)
            if measured is not None:
                key = (name, _alike(left_result), _alike(right_result), measured)
        return _remembered(
            self.values.compared_banded, key, lambda: self._comparison(name, left, right)
        )

    def _comparison(
        self, name: str, left: Recorded, right: Recorded
    ) -> tuple[int | None, Codes] | None:
        """`side_difference` as (the normal code it withdraws, the codes it fills); None when
        a result fails its own rules (the case is declined)."""
        sides = self.plan.sides
        study = sides["left"].studies[name].study
        left_result, right_result = self._result(*left), self._result(*right)
        if left_result is None or right_result is None:
            return None
        borderline, found = side_difference(study, left_result, right_result, self.kb)
        collect = Collector(self.index)
        for side, smaller in found:
            collect.put(side, name, FindingKind.SIDE_DIFFERENCE, smaller)
        withdrawn = None if borderline is None else sides[borderline].studies[name].normal_code
        return withdrawn, _codes(collect)

    def _needle(self, side: str, name: str, data: Any) -> tuple[Codes, bool] | None:
        """What one needle result fills, and whether it records myokymia; None for a muscle
        the knowledge base does not know (the case is declined)."""
        if name not in self.kb.muscles:
            return None
        result = NeedleResult.model_validate(given(data))
        collect = Collector(self.index)
        for kind, abnormal in needle_findings(result):
            collect.put(side, name, kind, abnormal)
        return _codes(collect), bool(result.myokymia)


def _findings_used(matrix: npt.NDArray[np.int8]) -> npt.NDArray[np.int64]:
    """The cells each row fills: summed as 16-bit counts (a row has far fewer than 65,536
    columns), which took a third of the time of summing the booleans into 64 bits."""
    filled: npt.NDArray[np.uint16] = np.add.reduce(
        (matrix >= 0).view(np.uint8), axis=1, dtype=np.uint16
    )
    return filled.astype(np.int64)


_NO_EXAM = (0.0, 0.0, 0.0, 0.0)
"""`CaseDataBatch._exam`'s features for a case without an examination."""
