"""The tests a planner can propose, compiled once: which findings each yields and what it costs.

A test is what a clinician orders or does in one go: needle one muscle, run one study, grade one
movement, tap one reflex, test sensation over one area, on one side. Each yields a few finding
columns of the likelihood tables (a needle examination: fibrillations and motor units; a SNAP:
its amplitude, scored in the age-adjusted column where the patient's age band allows absence in
health, and its side-to-side difference, alone when the other side is recorded and otherwise as
a pair of studies). The columns' tables for every time bin are gathered here once, so planning
a case reads contiguous arrays.

What a case has already recorded is never proposed again: a study or needle result on that
side, any reflex or skin area examined, and a movement graded either by name or through one of
its muscles (grading tibialis anterior grades ankle dorsiflexion).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from plexcare.engine.anatomy_arrays import MIDLINE_FUNCTIONS
from plexcare.engine.case import Case, Side
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import FindingSpec, applicable_limit
from plexcare.engine.localization import localization_model
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.test_cost_model import PLANNED_TEST_KINDS, Habitus, PlannedTestKind

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Role = Literal["plain", "aged", "side"]

KIND_TEST: Mapping[FindingKind, PlannedTestKind] = {
    FindingKind.WEAKNESS: "strength",
    FindingKind.FIBRILLATIONS: "needle_emg",
    FindingKind.NEUROGENIC_UNITS: "needle_emg",
    FindingKind.HYPOREFLEXIA: "reflex",
    FindingKind.SENSORY_LOSS: "sensation",
    FindingKind.SNAP_LOW: "nerve_conduction",
    FindingKind.CMAP_LOW: "nerve_conduction",
    FindingKind.LATE_RESPONSE: "nerve_conduction",
    FindingKind.CONDUCTION_BLOCK: "nerve_conduction",
    FindingKind.SIDE_DIFFERENCE: "nerve_conduction",
}
"""The finding kinds a planned test is valued by. Severe weakness is judged only in a weak
muscle, so it is not planned on its own; slowing and dispersion come with the study but rarely
decide a focal question, so the study is valued by its amplitude, block and side difference."""
FINDINGS_PER_TEST: Mapping[PlannedTestKind, int] = {
    "needle_emg": 2,
    "nerve_conduction": 2,
    "strength": 1,
    "reflex": 1,
    "sensation": 1,
}
"""How many findings a test adds to the count the thin-evidence tempering reads."""
AMPLITUDE_KINDS = (FindingKind.SNAP_LOW, FindingKind.CMAP_LOW, FindingKind.LATE_RESPONSE)
PLANES = ("p0", "p1", "log_p0", "log_p1", "log_q0", "log_q1")
"""The tables a planned column is valued from, flattened over columns × candidates so one case
gathers its cells in one `take`: P(abnormal | candidate, background absent (0) or present (1)),
its log, and the log of P(normal | ...)."""
MINUTES_PER_COST = 3.0
DISCOMFORT_COST = 0.5
EQUIPMENT_COST = 1.0
"""Cost = minutes / 3 + 0.5 per discomfort point + 1 for special equipment: a routine
3-minute study with a brief tingle costs 1.5, a limb muscle 2, the external anal sphincter 8.
How time and discomfort trade off is planning policy, not a clinical fact, so it lives here."""


@dataclass(frozen=True)
class PlannedTest:
    """One test a clinician can do, on one side."""

    kind: PlannedTestKind
    side: str
    target: str
    name: str  # in the clinic's words: "tibialis anterior", "sural SNAP"


@dataclass(frozen=True)
class PlannedTests:
    """Every plannable test, its finding columns and their tables, built once per knowledge base.

    Columns are grouped by test in `tests` order (`column_test` is non-decreasing); a test is
    valued by its best column.
    """

    tests: tuple[PlannedTest, ...]
    index: Mapping[tuple[str, str, str], int]  # (kind, side, target) -> test
    columns: IntArray = field(repr=False)  # finding columns, grouped by test
    column_test: IntArray = field(repr=False)
    column_kind: tuple[FindingKind, ...] = field(repr=False)
    abnormal: FloatArray = field(repr=False)  # bins × columns × K × 2
    screen: FloatArray = field(repr=False)  # bins × columns × K: P(abnormal), no background
    screen_squared: FloatArray = field(repr=False)  # its squares, for a variance in one pass
    planes: FloatArray = field(repr=False)  # bins × (columns · K) × 6, see `PLANES`
    aged_at: npt.NDArray[np.bool_] = field(repr=False)  # age (0-120) × studies: may be absent
    test_kind: IntArray = field(repr=False)  # per test: index in `PLANNED_TEST_KINDS`
    cost: FloatArray = field(repr=False)  # per test
    reliability: FloatArray = field(repr=False)  # per test, ordinary
    older_from_age: FloatArray = field(repr=False)  # per test; inf when age does not matter
    older_reliability: FloatArray = field(repr=False)
    obese_reliability: FloatArray = field(repr=False)
    equipment: tuple[str, ...] = field(repr=False)
    findings_added: IntArray = field(repr=False)  # per test
    studies: tuple[str, ...] = field(repr=False)  # studies with a side or age column
    study_index: Mapping[str, int] = field(repr=False)
    column_study: IntArray = field(repr=False)  # column -> index in `studies`, -1 if none
    column_side: IntArray = field(repr=False)  # 0 left, 1 right
    column_roles: IntArray = field(repr=False)  # 0 plain amplitude with an aged twin, 1 aged,
    # 2 side difference, -1 any other column (always active)

    def reliability_for(self, age: int, habitus: Habitus = "average") -> FloatArray:
        """(tests,) how often each test gives a readable result in this patient."""
        result = np.where(
            age >= self.older_from_age,
            np.minimum(self.reliability, self.older_reliability),
            self.reliability,
        )
        if habitus == "obese":
            result = np.minimum(result, self.obese_reliability)
        return np.asarray(result, dtype=np.float64)


def catalog_of(kb: KnowledgeBase) -> PlannedTests:
    """The plannable tests of this knowledge base (built on first use, then reused)."""
    return kb.derived("planned_tests", build_catalog)


def short_name(kb: KnowledgeBase, kind: str, target: str, fallback: str) -> str:
    """A test's target as an EMG report names it: 'L5 paraspinals', 'sural SNAP'."""
    if kind == "nerve_conduction" and target in kb.studies:
        name = kb.studies[target].name
        name = re.sub(r"\s*\([^)]*\)", "", name)
        name = name.replace(" sensory nerve action potential", " SNAP")
        name = name.replace(" motor study recording ", " motor study to ")
        name = name.replace(" F wave recording ", " F wave to ")
    elif kind == "needle_emg" and target in kb.muscles:
        level = re.fullmatch(r"(?:lumbar|sacral)_paraspinal_([ls]\d)", target)
        if level:
            return f"{level.group(1).upper()} paraspinals"
        if target.endswith("_paraspinal"):
            return target.replace("_", " ") + "s"
        name = re.sub(r"\s*\((?!foot|hand)[^)]*\)", "", kb.muscles[target].name)
        whole, _, part = name.partition(", ")
        if part:  # "Gastrocnemius, medial head" -> "medial head of gastrocnemius"
            name = f"{part} of {whole[:1].lower()}{whole[1:]}"
    else:
        name = fallback
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


UNGRADED_MOVEMENTS = frozenset({*MIDLINE_FUNCTIONS, "trunk_extension"})
"""Movements not graded per leg: bladder and sphincter are judged once for the body, and back
extension says nothing segment by segment."""


def _planned(spec: FindingSpec, kb: KnowledgeBase) -> PlannedTestKind | None:
    """The test a finding column belongs to, or None when no test is planned for it.

    Strength is planned by movement, as the bedside grades it (hip abduction, not gluteus
    medius and tensor fasciae latae one by one); the needle by muscle, and in the paraspinal
    muscles by fibrillations alone: a patient in pain rarely relaxes them enough, and motor
    unit recruitment there cannot be judged reliably (Haig 1993; Dumitru 2002), so a planned
    paraspinal study is not promised what recruitment would tell.
    """
    organ = spec.organ
    if organ.side == "midline":
        return None
    test = KIND_TEST.get(spec.kind)
    if organ.type == "movement":
        return test if test == "strength" and organ.id not in UNGRADED_MOVEMENTS else None
    if test == "strength":
        return None
    if organ.paraspinal and spec.kind is FindingKind.NEUROGENIC_UNITS:
        return None  # recruitment cannot be judged in paraspinals: planned on fibrillations
    muscle = kb.muscles.get(organ.id)
    if test == "needle_emg" and (muscle is None or not muscle.emg_accessible):
        return None
    return test


def build_catalog(kb: KnowledgeBase) -> PlannedTests:
    model = localization_model(kb)
    specs = model.findings.specs
    by_test: dict[tuple[str, str, str], list[tuple[int, Role]]] = {}
    tests: dict[tuple[str, str, str], PlannedTest] = {}
    for column, spec in enumerate(specs):
        kind = _planned(spec, kb)
        if kind is None:
            continue
        organ = spec.organ
        key = (kind, organ.side, organ.id)
        role: Role = (
            "aged" if spec.aged else "side" if spec.kind is FindingKind.SIDE_DIFFERENCE else "plain"
        )
        by_test.setdefault(key, []).append((column, role))
        tests.setdefault(
            key,
            PlannedTest(
                kind=kind,
                side=organ.side,
                target=organ.id,
                name=short_name(kb, kind, organ.id, organ.name),
            ),
        )
    keys = list(tests)
    columns: list[int] = []
    owners: list[int] = []
    roles: list[Role] = []
    for number, owner_key in enumerate(keys):
        for column, role in by_test[owner_key]:
            columns.append(column)
            owners.append(number)
            roles.append(role)
    picked = np.asarray(columns, dtype=np.int64)
    abnormal = np.ascontiguousarray(model.abnormal[:, picked])
    bins = abnormal.shape[0]
    planes = np.concatenate([abnormal, np.log(abnormal), np.log1p(-abnormal)], axis=-1)
    costs = [kb.test_costs.for_test(kind, target) for kind, _, target in keys]
    never = float("inf")
    studies = tuple(kb.studies)
    column_study = np.full(len(columns), -1, dtype=np.int64)
    column_roles = np.full(len(columns), -1, dtype=np.int64)
    twinned = {tests[keys[owners[n]]].target for n, role in enumerate(roles) if role == "aged"}
    for number, (owner, role) in enumerate(zip(owners, roles, strict=True)):
        test = tests[keys[owner]]
        if test.kind != "nerve_conduction":
            continue
        column_study[number] = studies.index(test.target)
        if role == "aged":
            column_roles[number] = 1
        elif role == "side":
            column_roles[number] = 2
        elif test.target in twinned and specs[columns[number]].kind in AMPLITUDE_KINDS:
            column_roles[number] = 0
    return PlannedTests(
        tests=tuple(tests[key] for key in keys),
        index={key: number for number, key in enumerate(keys)},
        columns=picked,
        column_test=np.asarray(owners, dtype=np.int64),
        column_kind=tuple(specs[c].kind for c in columns),
        abnormal=abnormal,
        screen=np.ascontiguousarray(abnormal[..., 0]),
        screen_squared=np.ascontiguousarray(abnormal[..., 0] ** 2),
        planes=np.ascontiguousarray(planes.reshape(bins, -1, len(PLANES))),
        aged_at=np.array(
            [
                [
                    (band := applicable_limit(kb.studies[key], age)) is not None
                    and band.may_be_absent
                    for key in studies
                ]
                for age in range(121)
            ],
            dtype=bool,
        ),
        test_kind=np.array([PLANNED_TEST_KINDS.index(kind) for kind, _, _ in keys]),
        cost=np.array(
            [
                1.0
                if c is None
                else c.minutes / MINUTES_PER_COST
                + DISCOMFORT_COST * c.discomfort
                + (EQUIPMENT_COST if c.equipment else 0.0)
                for c in costs
            ]
        ),
        reliability=np.array([1.0 if c is None else c.reliability for c in costs]),
        older_from_age=np.array(
            [never if c is None or c.older_adult is None else c.older_adult.from_age for c in costs]
        ),
        older_reliability=np.array(
            [
                1.0 if c is None or c.older_adult is None else c.older_adult.reliability
                for c in costs
            ]
        ),
        obese_reliability=np.array(
            [
                1.0 if c is None or c.obesity_reliability is None else c.obesity_reliability
                for c in costs
            ]
        ),
        equipment=tuple("" if c is None else c.equipment for c in costs),
        findings_added=np.array(
            [FINDINGS_PER_TEST[tests[key].kind] for key in keys], dtype=np.int64
        ),
        studies=studies,
        study_index={key: number for number, key in enumerate(studies)},
        column_study=column_study,
        column_side=np.array([0 if tests[keys[o]].side == "left" else 1 for o in owners]),
        column_roles=column_roles,
    )


def done_tests(case: Case, catalog: PlannedTests, kb: KnowledgeBase) -> npt.NDArray[np.bool_]:
    """(tests,) which tests the case already records, so none is proposed again."""
    done = np.zeros(len(catalog.tests), dtype=bool)
    index = catalog.index

    def mark(kind: str, side: str, target: str) -> None:
        number = index.get((kind, side, target))
        if number is not None:
            done[number] = True

    for side, results in case.nerve_conduction.items():
        for study in results:
            mark("nerve_conduction", side, study)
    for side, muscles in case.emg.items():
        for muscle in muscles:
            mark("needle_emg", side, muscle)
    for side, exam in case.exam.items():
        graded = set(exam.strength) | set(exam.give_way)
        if exam.trendelenburg is not None:
            graded.add("hip_abduction")
        for name in graded:
            graded_muscle = kb.muscles.get(name)
            mark("strength", side, graded_muscle.movement if graded_muscle else name)
        for reflex in exam.reflexes:
            mark("reflex", side, reflex)
        for area in exam.sensation:
            mark("sensation", side, area)
    return done


def active_columns(
    case: Case, catalog: PlannedTests, done: npt.NDArray[np.bool_], kb: KnowledgeBase
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(columns,) the columns a planned result would be scored in, for this patient, and
    (columns,) which of them need the same study on the other side as well.

    A study whose response may be absent in health at the patient's age band is valued in its
    age-adjusted column (where the answer scores an absent response), not the ordinary one.
    Its side-to-side difference is valued too: on its own when the other side is recorded,
    and otherwise as a pair of studies, both sides, at twice the cost (for the saphenous and
    LFCN responses, often absent in health, the comparison is the useful sign).
    """
    studies = catalog.studies
    aged = np.append(catalog.aged_at[min(case.age, 120)], False)  # the extra entry absorbs -1s
    recorded = np.zeros((2, len(studies) + 1), dtype=bool)
    sides: tuple[Side, Side] = ("left", "right")
    for row, side in enumerate(sides):
        for key in case.nerve_conduction.get(side, {}):
            if key in catalog.study_index:
                recorded[row, catalog.study_index[key]] = True
    study = catalog.column_study
    roles = catalog.column_roles
    is_aged = aged[study]
    other_side_done = recorded[1 - catalog.column_side, study]
    wanted = np.where(roles == 0, ~is_aged, np.where(roles == 1, is_aged, True))
    active = np.asarray(wanted & ~done[catalog.column_test], dtype=bool)
    paired = np.asarray((roles == 2) & ~other_side_done, dtype=bool)
    return active, paired
