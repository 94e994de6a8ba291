"""Many cases read at once: the observation rules compiled once per knowledge base.

`findings.observed_values` reads one case rule by rule, looking up each recorded name's finding
column and each study's age band as it goes. Over a batch of many thousands of cases that
bookkeeping, not the rules, is the cost. The `ObservationPlan` does it once per knowledge base:
for each side and name, the findings every strength grade, reflex grade and sensation grade
fills; for each study its columns and, at every age, the band that applies. A batch then reads
each bedside grade with one dictionary lookup.

Results that need the full rules (segments, blocks, velocities and latencies, F-wave and
H-reflex rules, the same study on both sides) go through the very functions `observed_values`
uses (`read_study`, `side_difference`), and an amplitude or grade alone through the same
`classify_response`. A batch repeats the same results many times over (a grade, a block
across the fibular head, fibrillations 2+), so what was found for a study or needle result is
remembered for the batch, keyed by everything the rules read from it. A batch row is
therefore always the case as read alone; a property test holds the two together.

Findings are gathered for the whole batch as flat codes, `column * 2 + value` (value 0 normal,
1 abnormal), and written into the finding matrix in one NumPy assignment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import get_args

import numpy as np

from plexcare.engine.case import (
    Case,
    NeedleResult,
    ReflexGrade,
    SensoryGrade,
    StudyResult,
)
from plexcare.engine.case_names import MOVEMENTS, BatchNames, needs_a_closer_look
from plexcare.engine.finding_model import FindingKind, FindingModel, finding_model_for
from plexcare.engine.findings import (
    AGED,
    NORMAL,
    STUDY_KIND,
    UNKNOWN,
    Collector,
    FindingIndex,
    ObservationBatch,
    applicable_limit,
    classify_response,
    diabetic,
    gave_way,
    lower_limit,
    needle_findings,
    read_study,
    reflex_findings,
    side_difference,
    strength_findings,
)
from plexcare.knowledge.model import KnowledgeBase, NerveConductionStudy

Codes = tuple[int, ...]
"""Findings as `column * 2 + value`: one int each, so a batch gathers them in one flat list."""
MRC_GRADES = range(6)
OLDEST = 120  # the oldest age a case may give
SIDES = ("left", "right")
Signature = tuple[object, ...]


def _codes(
    index: FindingIndex,
    side: str,
    name: str,
    found: Iterable[tuple[FindingKind, bool | None]],
    variant: str = "",
) -> Codes:
    """The codes one field fills, by the same lookup `observed_values` makes."""
    collect = Collector(index)
    for kind, abnormal in found:
        collect.put(side, name, kind, abnormal, variant)
    return _as_codes(collect)


def _as_codes(collect: Collector) -> Codes:
    return tuple(column * 2 + value for column, value in collect.values.items())


@dataclass(frozen=True)
class StudyPlan:
    """One study on one side: its amplitude (or late response) columns, and per age (0-120)
    what `applicable_limit` finds by scanning the bands: (may the response be absent in
    health at that age, the amplitude limit).

    `column` is None when the side has no such finding (nothing plain to score);
    `normal_code` is the code a block or a borderline side comparison withdraws.
    """

    study: NerveConductionStudy
    column: int | None
    aged_column: int | None
    age_rules: tuple[tuple[bool, float | None], ...] = field(repr=False)

    @property
    def normal_code(self) -> int | None:
        return None if self.column is None else self.column * 2 + NORMAL

    def code(self, result: StudyResult, age: int, kb: KnowledgeBase) -> int | None:
        """The one finding an amplitude or grade alone fills, or None when it is left open."""
        may_be_absent, lower = self.age_rules[age]
        abnormal, aged = classify_response(self.study, result, may_be_absent, lower, kb.thresholds)
        column = self.aged_column if aged else self.column
        if abnormal is None or column is None:
            return None
        return column * 2 + abnormal


def _study_plan(
    index: FindingIndex, side: str, name: str, study: NerveConductionStudy
) -> StudyPlan:
    kind = STUDY_KIND[study.modality]
    column = index.by_name.get((side, name, kind, ""))
    rules = []
    for age in range(OLDEST + 1):
        band = applicable_limit(study, age)
        rules.append((band is not None and band.may_be_absent, lower_limit(study, age)))
    return StudyPlan(
        study=study,
        column=column,
        aged_column=index.by_name.get((side, name, kind, AGED), column),
        age_rules=tuple(rules),
    )


Codebook = dict[tuple[str, object], Codes]
"""(name, recorded value) -> the codes it fills, for names the knowledge base knows.

Keyed the way a case's dictionaries yield their items, so reading one is `book[item]`.
"""


class _SeenBook(Codebook):
    """A batch's copy of a codebook that notes every name it has no entry for.

    A name the knowledge base does not know is never in a codebook, so the names a batch
    misses hold all its unknown ones; noting them on a miss, rather than gathering every
    name a case uses, keeps the name check off the path of the names that are known.
    """

    def __init__(self, book: Codebook, missed: set[str]) -> None:
        super().__init__(book)
        self.missed = missed

    def __missing__(self, key: tuple[str, object]) -> Codes:
        self.missed.add(key[0])
        return ()


@dataclass(frozen=True)
class SidePlan:
    """What each name recorded on one leg fills."""

    strength: Codebook  # (muscle or movement, MRC grade)
    trendelenburg: Mapping[bool, Codes]
    reflexes: Codebook  # (reflex, grade)
    sensation: Codebook  # (skin area, grade)
    studies: Mapping[str, StudyPlan]  # every study the knowledge base knows
    leg: Mapping[str, Codes]  # affected side -> this leg's 'affected' finding


def _side_plan(index: FindingIndex, side: str, kb: KnowledgeBase) -> SidePlan:
    strength: Codebook = {}
    reflexes: Codebook = {}
    sensation: Codebook = {}
    bedside = kb.muscles.keys() | MOVEMENTS
    for name in sorted({name for (on, name, _, _) in index.by_name if on == side}):
        for grade in MRC_GRADES:
            found = _codes(index, side, name, strength_findings(grade, kb.thresholds))
            if found and name in bedside:
                strength[(name, grade)] = found
        for reflex in get_args(ReflexGrade):
            found = _codes(index, side, name, reflex_findings(reflex))
            if found and name in kb.reflexes:
                reflexes[(name, reflex)] = found
        for sensed in get_args(SensoryGrade):
            loss = [(FindingKind.SENSORY_LOSS, sensed != "normal")]
            found = _codes(index, side, name, loss)
            if found and name in kb.sensory_areas:
                sensation[(name, sensed)] = found
    return SidePlan(
        strength=strength,
        trendelenburg={
            weak: _codes(index, side, "hip_abduction", [(FindingKind.WEAKNESS, weak)])
            for weak in (True, False)
        },
        reflexes=reflexes,
        sensation=sensation,
        studies={name: _study_plan(index, side, name, study) for name, study in kb.studies.items()},
        leg={
            affected: _codes(
                index, side, "leg", [(FindingKind.LEG_AFFECTED, affected in (side, "both"))]
            )
            for affected in ("left", "right", "both")
        },
    )


@dataclass(frozen=True)
class ObservationPlan:
    """Everything about reading a case that does not depend on the case."""

    index: FindingIndex
    sides: Mapping[str, SidePlan]
    anal_tone: Mapping[str, Codes]
    bladder: Mapping[bool, Codes]
    compared: frozenset[str]  # studies with a side-to-side limit


def compile_plan(index: FindingIndex, kb: KnowledgeBase) -> ObservationPlan:
    failure = FindingKind.SPHINCTER_FAILURE
    return ObservationPlan(
        index=index,
        sides={side: _side_plan(index, side, kb) for side in SIDES},
        anal_tone={
            tone: _codes(index, "midline", "anal_tone", [(failure, tone == "reduced")])
            for tone in ("normal", "reduced")
        },
        bladder={
            failing: _codes(index, "midline", "bladder", [(failure, failing)])
            for failing in (True, False)
        },
        compared=frozenset(
            name for name, study in kb.studies.items() if study.side_ratio_lower is not None
        ),
    )


def observation_plan(index: FindingIndex, kb: KnowledgeBase) -> ObservationPlan:
    """The plan for `index`: compiled once per knowledge base for the localization model's
    index (the one every caller passes), afresh for any other."""
    plan = kb.derived("observation_plan", lambda built_from: compile_plan(index, built_from))
    return plan if plan.index is index else compile_plan(index, kb)


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


_RECORDED = attrgetter(
    "amplitude",
    "unit",
    "velocity",
    "latency",
    "grade",
    "conduction_block",
    "temporal_dispersion",
    "persistence",
)
"""Everything the study rules read from a result besides its segments."""


class _NeedleBook(dict[tuple[str, tuple[object, ...]], Codes]):
    """(muscle, what was recorded) -> codes on one side, worked out the first time seen; every
    muscle a batch needles passes through here once, so its name is noted here."""

    def __init__(self, index: FindingIndex, side: str, muscles: set[str]) -> None:
        super().__init__()
        self.index, self.side, self.muscles = index, side, muscles

    def __missing__(self, key: tuple[str, tuple[object, ...]]) -> Codes:
        name, recorded = key
        self.muscles.add(name)
        result = NeedleResult(**dict(zip(_NEEDLE_FIELDS, recorded, strict=True)))
        found = self[key] = _codes(self.index, self.side, name, needle_findings(result))
        return found


_NEEDLE_FIELDS = ("fibrillations", "fasciculations", "myokymia", "motor_units", "recruitment")
_NEEDLE_RECORDED = attrgetter(*_NEEDLE_FIELDS)
_SEGMENT_RECORDED = attrgetter("amplitude", "velocity", "conduction_block", "temporal_dispersion")
"""Everything the study rules read from a segment."""
StudyOutcome = tuple[Codes, frozenset[str], bool]
"""What one result fills, the studies it puts below a block, and whether its names need a
closer look (`case_names.needs_a_closer_look`)."""


@dataclass
class _BatchRead:
    """A batch as read: every case's codes in one flat list and where each case's end, the
    names it uses, and each case's time since onset and background prior."""

    codes: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    names: BatchNames = field(default_factory=BatchNames)
    days: list[float | None] = field(default_factory=list)
    background_priors: list[float] = field(default_factory=list)


class _Reader:
    """One batch's reading: the plan, and what the full rules found for results seen before.

    Cases are read one at a time, each in one pass: a batch is too big for the processor's
    caches, so touching a case's records once, together, is what keeps the reading fast.
    Within a case no two fields fill the same column (each kind belongs to one kind of field,
    and only the study rules, kept together here, overwrite or withdraw), so the codes can be
    written into the matrix in any order.
    """

    def __init__(self, plan: ObservationPlan, kb: KnowledgeBase, model: FindingModel) -> None:
        self.plan = plan
        self.kb = kb
        self.model = model
        self.priors: dict[tuple[int, str | None], float] = {}  # (age, diabetes)
        self.names = BatchNames()
        self.needles = {side: _NeedleBook(plan.index, side, self.names.muscles) for side in SIDES}
        self.books = {
            side: (
                _SeenBook(plan.sides[side].strength, self.names.strength),
                _SeenBook(plan.sides[side].reflexes, self.names.reflexes),
                _SeenBook(plan.sides[side].sensation, self.names.sensation),
            )
            for side in SIDES
        }
        self.results: dict[str, dict[Signature, StudyOutcome]] = {side: {} for side in SIDES}
        self.comparisons: dict[Signature, tuple[int | None, Codes]] = {}

    def read(self, cases: Sequence[Case]) -> _BatchRead:
        read = _BatchRead(names=self.names)
        codes, ends, names, days = read.codes, read.ends, read.names, read.days
        plan, kb, priors, books = self.plan, self.kb, self.priors, self.books
        left, right = plan.sides["left"], plan.sides["right"]
        for row, case in enumerate(cases):
            days.append(case.days_since_onset)
            background = (case.age, case.history.diabetes)
            if (prior := priors.get(background)) is None:
                prior = priors[background] = self.model.background_prior(case.age, diabetic(case))
            read.background_priors.append(prior)
            if case.affected_side is not None:
                codes += left.leg[case.affected_side]
                codes += right.leg[case.affected_side]
            for side, exam in case.exam.items():
                strength_book, reflex_book, sensation_book = books[side]
                strength = exam.strength
                if exam.give_way:
                    names.give_way.update(exam.give_way)
                    names.strength.update(strength)
                    skipped = gave_way(exam, kb)
                    strength = {k: v for k, v in strength.items() if k not in skipped}
                for graded in strength.items():
                    codes += strength_book[graded]
                if exam.trendelenburg is not None and "hip_abduction" not in exam.strength:
                    on = left if side == "left" else right
                    codes += on.trendelenburg[exam.trendelenburg]
                for reflex in exam.reflexes.items():
                    codes += reflex_book[reflex]
                for sensed in exam.sensation.items():
                    codes += sensation_book[sensed]
            if case.anal_tone is not None:
                codes += plan.anal_tone[case.anal_tone]
            if case.symptoms.bladder_bowel is not None:
                codes += plan.bladder[case.symptoms.bladder_bowel]
            if case.nerve_conduction and self._studies(case, codes, names):
                names.unusual.append(row)
            for side, muscles in case.emg.items():
                needles = self.needles[side]
                for name, result in muscles.items():
                    codes += needles[(name, _NEEDLE_RECORDED(result))]
            ends.append(len(codes))
        return read

    def _studies(self, case: Case, codes: list[int], names: BatchNames) -> bool:
        """Each result's findings, then the normals that a block or a borderline side
        comparison withdraws; True when a result's names need a closer look.

        Findings are remembered per side, name, age band and what was recorded: a result is
        read the same at every age with the same band (the age reaches the rules only as the
        band's limit and whether the response may be absent in health).
        """
        start, age = len(codes), case.age
        conduction = case.nerve_conduction
        closer_look = False
        for side, results in conduction.items():
            names.studies.update(results)
            known, studies = self.results[side], self.plan.sides[side].studies
            blocked: frozenset[str] = frozenset()
            for name, result in results.items():
                segments = result.segments
                study = studies.get(name)
                key = (
                    name,
                    None if study is None else study.age_rules[age],
                    _RECORDED(result),
                    tuple(zip(segments, map(_SEGMENT_RECORDED, segments.values()), strict=True))
                    if segments
                    else (),
                )
                outcome = known.get(key)
                if outcome is None:
                    outcome = self._study(side, name, age, key, result, results)
                codes += outcome[0]
                if outcome[1]:
                    blocked |= outcome[1]
                closer_look = closer_look or outcome[2]
            if blocked:
                for name in blocked & results.keys():
                    _withdraw(codes, start, studies[name].normal_code)
        if len(conduction) == 2:
            left, right = conduction["left"], conduction["right"]
            for name in left.keys() & right.keys() & self.plan.compared:
                withdrawn, found = self._comparison(name, left[name], right[name])
                _withdraw(codes, start, withdrawn)
                codes += found
        return closer_look

    def _study(
        self,
        side: str,
        name: str,
        age: int,
        key: Signature,
        result: StudyResult,
        results: Mapping[str, StudyResult],
    ) -> StudyOutcome:
        """What one result fills (an amplitude or grade alone by the plan, anything more by
        `read_study`) and the studies it puts below a block. Remembered unless it is an F-wave
        latency, whose reading depends on the motor study beside it."""
        study = self.plan.sides[side].studies.get(name)
        closer_look = needs_a_closer_look(name, result, self.kb)
        outcome: StudyOutcome
        if study is None:
            outcome = (), frozenset(), closer_look
        elif study.column is not None and _plain(result):
            code = study.code(result, age, self.kb)
            outcome = (() if code is None else (code,)), frozenset(), closer_look
        else:
            collect = Collector(self.plan.index)
            below = read_study(collect, side, name, study.study, result, results, age, self.kb)
            outcome = _as_codes(collect), frozenset(below), closer_look
            if study.study.motor_study is not None and result.latency is not None:
                return outcome
        self.results[side][key] = outcome
        return outcome

    def _comparison(
        self, name: str, left: StudyResult, right: StudyResult
    ) -> tuple[int | None, Codes]:
        """`side_difference` as (the normal code it withdraws, the codes it fills)."""
        key = (name, _RECORDED(left), _RECORDED(right))
        if (known := self.comparisons.get(key)) is not None:
            return known
        study = self.plan.sides["left"].studies[name]
        borderline, found = side_difference(study.study, left, right, self.kb)
        withdrawn = None if borderline is None else self.plan.sides[borderline].studies[name]
        kind = FindingKind.SIDE_DIFFERENCE
        outcome = (
            None if withdrawn is None else withdrawn.normal_code,
            tuple(
                code
                for side, smaller in found
                for code in _codes(self.plan.index, side, name, [(kind, smaller)])
            ),
        )
        self.comparisons[key] = outcome
        return outcome


def _withdraw(codes: list[int], start: int, code: int | None) -> None:
    """Remove a 'normal' this case filled (from `start` on), if it did."""
    if code is None:
        return
    try:
        del codes[codes.index(code, start)]
    except ValueError:
        return


def observe_batch(
    cases: Sequence[Case] | Iterable[Case],
    index: FindingIndex,
    kb: KnowledgeBase,
    model: FindingModel | None = None,
    *,
    check_names: bool = False,
) -> ObservationBatch:
    """Many cases' observations, row for row what `findings.observe` gives each case alone.

    With `check_names`, a case naming something the knowledge base does not know is refused
    with the `CaseError` that `check_case_names` gives the first such case; the names are
    gathered while the batch is read, so the check costs no second pass over the cases.
    """
    if model is None:
        model = finding_model_for(kb)
    case_list = list(cases)
    read = _Reader(observation_plan(index, kb), kb, model).read(case_list)
    if check_names:
        read.names.check(case_list, kb)
    flat = np.asarray(read.codes, dtype=np.int64)
    counts = np.asarray(read.ends, dtype=np.int64)
    counts[1:] -= counts[:-1].copy()
    matrix = np.full((len(case_list), len(index.specs)), UNKNOWN, dtype=np.int8)
    matrix[np.repeat(np.arange(len(case_list)), counts), flat >> 1] = flat & 1
    time_bins = {days: model.time_bin(days) for days in set(read.days)}
    return ObservationBatch(
        matrix=matrix,
        time_bins=np.asarray([time_bins[days] for days in read.days], dtype=np.int64),
        background_priors=np.asarray(read.background_priors),
        findings_used=counts,
        days_since_onset=tuple(read.days),
    )
