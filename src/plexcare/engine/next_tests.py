"""Which test to do next: expected information gain about the localization.

`next_best_tests` is the localization's own ranking (the electrodiagnostic posterior, every
finding on its own); the assessment plans on the joint answer the clinician sees, with costs,
through `engine.study_plan`, and returns its tests in this same `NextTest` form.

This is how an electromyographer plans a study: needle the muscle, or run the SNAP, whose result
would most change the ranking. For each finding not yet observed, the gain is the mutual
information between its result and the lesion candidate under the current posterior,
I = H(result) - E_candidate[H(result | candidate)], with the background polyneuropathy averaged
out. A test (needling a muscle, a study) that yields several findings scores its best one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from plexcare.engine.anatomy_arrays import MIDLINE_FUNCTIONS
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import FindingSpec
from plexcare.engine.likelihood import LocalizationModel
from plexcare.engine.localization import Localization, localization_model
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
TestKind = Literal["needle_emg", "nerve_conduction", "strength", "reflex", "sensation"]
PAIR_MINIMUM = 0.02  # candidates below this posterior are not worth naming in a reason

_TEST_OF_KIND: dict[FindingKind, TestKind] = {
    FindingKind.WEAKNESS: "strength",
    FindingKind.FIBRILLATIONS: "needle_emg",
    FindingKind.NEUROGENIC_UNITS: "needle_emg",
    FindingKind.HYPOREFLEXIA: "reflex",
    FindingKind.SENSORY_LOSS: "sensation",
    FindingKind.SNAP_LOW: "nerve_conduction",
    FindingKind.CMAP_LOW: "nerve_conduction",
    FindingKind.LATE_RESPONSE: "nerve_conduction",
    FindingKind.CONDUCTION_BLOCK: "nerve_conduction",
}
"""Kinds a planned test yields. Severe weakness is judged only in a weak muscle and a side
difference only against a study already done on the other side, so neither is planned alone;
a block across a named segment is (stimulating above the fibular head tells a lesion there
from one higher up)."""
VERB: dict[TestKind, str] = {
    "needle_emg": "needle",
    "nerve_conduction": "nerve conduction:",
    "strength": "test strength of",
    "reflex": "test the",
    "sensation": "test sensation over",
}


@dataclass(frozen=True)
class NextTest:
    test: TestKind
    side: str
    target: str  # muscle, study, reflex or area id
    name: str  # e.g. "needle left tibialis posterior"
    information_gain: float  # bits
    reason: str
    separates: tuple[str, ...]  # candidate keys it tells apart
    value_per_cost: float = 0.0  # bits per unit of cost (the planner's ranking)
    cost: float = 0.0  # time, discomfort and equipment (`test_costs.yaml`); 0: not costed


def _entropy(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.asarray(-(q * np.log2(q) + (1.0 - q) * np.log2(1.0 - q)), dtype=np.float64)


def _test_of(spec: FindingSpec, kb: KnowledgeBase) -> TestKind | None:
    if spec.aged or spec.organ.side == "midline" or spec.organ.type == "movement":
        return None
    test = _TEST_OF_KIND.get(spec.kind)
    if test == "strength" and spec.organ.paraspinal:
        return None  # paraspinal strength cannot be graded segment by segment at the bedside
    muscle = kb.muscles.get(spec.organ.id)
    if test == "strength" and muscle and muscle.movement in MIDLINE_FUNCTIONS:
        return None  # bladder and sphincter are judged once for the body, not graded per leg
    if test == "needle_emg" and (muscle is None or not muscle.emg_accessible):
        return None
    return test


@dataclass(frozen=True)
class _Slots:
    """Findings grouped into orderable tests (one per test kind and end organ), built once."""

    finding_slot: npt.NDArray[np.int64]  # finding column -> slot, -1 if not a test
    kinds: tuple[TestKind, ...]


def _slots_for(kb: KnowledgeBase) -> _Slots:
    return kb.derived("next_test_slots", _build_slots)


def _build_slots(kb: KnowledgeBase) -> _Slots:
    model = localization_model(kb)
    slot_of: dict[tuple[TestKind, str], int] = {}
    finding_slot = np.full(len(model.findings.specs), -1, dtype=np.int64)
    for column, spec in enumerate(model.findings.specs):
        test = _test_of(spec, kb)
        if test is None:
            continue
        slot = slot_of.setdefault((test, spec.organ.key), len(slot_of))
        finding_slot[column] = slot
    return _Slots(finding_slot=finding_slot, kinds=tuple(test for test, _ in slot_of))


def next_best_tests(
    localization: Localization, kb: KnowledgeBase, limit: int = 10
) -> tuple[NextTest, ...]:
    """The tests not yet done, best first, each with the candidates it separates."""
    model = localization_model(kb)
    slots = _slots_for(kb)
    joint = localization.joint_posterior
    candidate = joint.sum(axis=1)
    given = joint / np.maximum(candidate, 1e-300)[:, None]
    testable = np.flatnonzero(slots.finding_slot >= 0)
    table = model.abnormal[localization.time_bin, testable]  # tests' findings × K × 2
    p_given = (table * given[None, :, :]).sum(axis=2)  # findings × K
    gain = _entropy(p_given @ candidate) - _entropy(p_given) @ candidate
    specs = model.findings.specs
    done = np.zeros(len(slots.kinds) + 1, dtype=bool)  # the extra slot absorbs the -1s
    done[slots.finding_slot[list(localization.observed)]] = True
    order = np.argsort(-gain, kind="stable")
    chosen: list[int] = []
    taken = done[:-1].copy()
    for row in order:
        slot = slots.finding_slot[testable[row]]
        if taken[slot]:
            continue
        taken[slot] = True
        chosen.append(int(row))
        if len(chosen) >= limit:
            break
    return tuple(
        _describe(
            slots.kinds[slots.finding_slot[testable[row]]],
            specs[testable[row]],
            float(gain[row]),
            p_given[row],
            candidate,
            model,
        )
        for row in chosen
    )


def _describe(
    test: TestKind,
    spec: FindingSpec,
    gain: float,
    p_abnormal: FloatArray,
    candidate: FloatArray,
    model: LocalizationModel,
) -> NextTest:
    candidates = model.arrays.candidates
    plausible = np.flatnonzero(candidate >= min(PAIR_MINIMUM, float(candidate.max())))
    weight = candidate[plausible]
    p = p_abnormal[plausible]
    score = weight[:, None] * weight[None, :] * (p[:, None] - p[None, :])
    name = f"{VERB[test]} {spec.organ.side} {spec.organ.name}"
    finding = spec.kind.value.replace("_", " ")
    if score.size == 0 or float(score.max()) <= 1e-9:
        reason = "adds little to the current ranking"
        separates: tuple[str, ...] = ()
    else:
        i, j = np.unravel_index(int(np.argmax(score)), score.shape)
        high, low = plausible[i], plausible[j]
        reason = (
            f"separates {candidates[high].title} from {candidates[low].title} "
            f"({finding} expected {p_abnormal[high]:.0%} vs {p_abnormal[low]:.0%})"
        )
        separates = (candidates[high].key, candidates[low].key)
    return NextTest(
        test=test,
        side=spec.organ.side,
        target=spec.organ.id,
        name=name,
        information_gain=round(gain, 5),
        reason=reason,
        separates=separates,
    )
