"""The next tests and the planned study: what an electromyographer would do next, and in what order.

Every test not yet recorded is ranked on the answer the clinician sees (`next_test_ranking`):
expected information per unit of cost (time, discomfort, special equipment; the knowledge
base's `test_costs.yaml`). A test is proposed only when its result is expected to move the
answer meaningfully (the leading answer's probability by several points, or the leader
itself), with the candidates it separates named; when none is, the plan says so and stops
rather than listing noise. When the answer is uncertain because the study is early
(fibrillations take about three weeks), it says when a needle study would tell more.

The planned study is a short sequence an EMG laboratory can follow: bedside checks first, then
nerve conduction, then the needle, each group in order of value, leaving out a test that would
only repeat what another in the sequence tells (same expected result under every candidate in
play). It is rebuilt from the whole record at each assessment, so it updates as results come in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Case
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import Observations
from plexcare.engine.next_test_ranking import (
    MEANINGFUL_GAIN,
    Ranking,
    expected_rates,
    rank_tests,
    value_columns,
)
from plexcare.engine.next_tests import VERB, NextTest
from plexcare.engine.planned_tests import PlannedTest
from plexcare.engine.result_value import belief_of
from plexcare.engine.site_and_cause import SiteAndCause, site_and_cause_model
from plexcare.engine.workup import wait_in_words
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.test_cost_model import PLANNED_TEST_KINDS, Habitus

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Stage = Literal["bedside", "nerve_conduction", "needle_emg"]

SEPARATION = 0.25
"""Two candidates are named as separated only when the finding's expected rate differs by this
much between them: a reason is never printed for a separation of 85 % against 84 %."""
NAMED_CANDIDATE = 0.02
LATE_BIN = -1
"""The time bin of a study done after the denervation has had time to appear."""
SEQUENCE_LENGTH = 6
BEDSIDE_FIRST = 3
SAME_INFORMATION = 0.1
"""Two tests tell the same thing when their expected rates differ by less than this under every
candidate in play (vastus lateralis after vastus medialis)..."""
SAME_QUESTION = 0.95
"""...or when their expected rates rise and fall together across the candidates in play."""

STAGE_OF: dict[str, Stage] = {
    "needle_emg": "needle_emg",
    "nerve_conduction": "nerve_conduction",
    "strength": "bedside",
    "reflex": "bedside",
    "sensation": "bedside",
}
STAGE_WORDS: dict[Stage, str] = {
    "bedside": "at the bedside",
    "nerve_conduction": "nerve conduction",
    "needle_emg": "needle",
}
RESULT_WORDS: dict[FindingKind, str] = {
    FindingKind.FIBRILLATIONS: "fibrillations",
    FindingKind.NEUROGENIC_UNITS: "neurogenic units",
    FindingKind.SNAP_LOW: "a low or absent response",
    FindingKind.CMAP_LOW: "a low response",
    FindingKind.LATE_RESPONSE: "a prolonged or absent response",
    FindingKind.CONDUCTION_BLOCK: "a conduction block",
    FindingKind.SIDE_DIFFERENCE: "a response clearly smaller than the other side's",
    FindingKind.WEAKNESS: "weakness",
    FindingKind.HYPOREFLEXIA: "a reduced reflex",
    FindingKind.SENSORY_LOSS: "sensory loss",
}


@dataclass(frozen=True)
class StudyStep:
    """One stage of the planned study: tests of one kind, in order."""

    stage: Stage
    tests: tuple[tuple[str, str], ...]  # (side, target) in order
    text: str  # "left sural and superficial fibular SNAPs"


@dataclass(frozen=True)
class StudyPlan:
    """The next tests (best value per cost first) and the study they make up.

    `enough` is true when no test is expected to change the answer meaningfully; `note` says
    so, or when an early needle study should be repeated (`repeat`: the timing in words).
    """

    tests: tuple[NextTest, ...]
    sequence: tuple[StudyStep, ...]
    summary: str
    enough: bool
    note: str
    repeat: str = ""


def _reasons(
    ranking: Ranking, places: IntArray, rates: FloatArray, kb: KnowledgeBase
) -> list[tuple[str, tuple[str, ...]]]:
    """Which candidates in play each test's result tells apart, in the clinic's words."""
    if not len(places):
        return []
    candidates = site_and_cause_model(kb).candidates
    belief = ranking.belief
    named = np.flatnonzero(belief.shown >= min(NAMED_CANDIDATE, float(belief.shown.max())))
    weight = belief.shown[named]
    p = rates[:, named]
    spread = p[:, :, None] - p[:, None, :]
    pair = np.where(spread >= SEPARATION, weight[:, None] * weight[None, :] * spread, 0.0)
    flat = pair.reshape(len(places), -1)
    best = flat.argmax(axis=1)
    leader = belief.kept[belief.leader]
    reasons: list[tuple[str, tuple[str, ...]]] = []
    for number, place in enumerate(places):
        kind = ranking.catalog.column_kind[int(ranking.rows[place])]
        finding = RESULT_WORDS.get(kind, "an abnormal result")
        if flat[number, best[number]] > 0:
            i, j = divmod(int(best[number]), len(named))
            high, low = belief.kept[named[i]], belief.kept[named[j]]
            reasons.append(
                (
                    f"separates {candidates[high].title} from {candidates[low].title} "
                    f"({finding} expected {p[number, i]:.0%} vs {p[number, j]:.0%})",
                    (candidates[high].key, candidates[low].key),
                )
            )
        else:
            reasons.append(
                (
                    f"checks the leading answer, {candidates[leader].title} ({finding} "
                    f"expected {rates[number, belief.leader]:.0%} there)",
                    (candidates[leader].key,),
                )
            )
    return reasons


def _next_tests(
    ranking: Ranking, places: IntArray, rates: FloatArray, kb: KnowledgeBase
) -> tuple[NextTest, ...]:
    catalog = ranking.catalog
    tests: list[NextTest] = []
    for place, (reason, separates) in zip(
        places, _reasons(ranking, places, rates, kb), strict=True
    ):
        test = ranking.test(int(place))
        number = int(ranking.numbers[place])
        equipment = catalog.equipment[number]
        pair = bool(ranking.both_sides[place])
        other = "right" if test.side == "left" else "left"
        sides = f"{test.side} and {other}" if pair else test.side
        tests.append(
            NextTest(
                test=test.kind,
                side=test.side,
                target=test.target,
                name=f"{VERB[test.kind]} {sides} {test.name}",
                information_gain=round(float(ranking.gain[place]), 5),
                reason=reason + (f"; needs {equipment}" if equipment else ""),
                separates=separates,
                value_per_cost=round(float(ranking.score[place]), 5),
                cost=round(float(catalog.cost[number]) * (2.0 if pair else 1.0), 3),
            )
        )
    return tuple(tests)


def _names_in_words(names: list[str]) -> str:
    """'sural and superficial fibular SNAPs'; 'tibialis anterior, gluteus medius and ...'."""
    snaps = [n.removesuffix(" SNAP") for n in names if n.endswith(" SNAP")]
    others = [n for n in names if not n.endswith(" SNAP")]
    parts = others.copy()
    if snaps:
        parts.insert(0, f"{_joined(snaps)} SNAP{'s' if len(snaps) > 1 else ''}")
    return _joined(parts)


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _step(stage: Stage, tests: list[PlannedTest]) -> StudyStep:
    sides = {t.side for t in tests}
    if len(sides) == 1:
        text = f"{next(iter(sides))} {_names_in_words([t.name for t in tests])}"
    else:
        text = _joined([f"{t.side} {t.name}" for t in tests])
    return StudyStep(stage=stage, tests=tuple((t.side, t.target) for t in tests), text=text)


def _same_question(rates: FloatArray, weight: FloatArray) -> npt.NDArray[np.bool_]:
    """(tests, tests) which pairs of tests ask the same question of the candidates in play:
    their expected rates differ by less than `SAME_INFORMATION` under every candidate, or rise
    and fall together across them (weighted correlation of at least `SAME_QUESTION`), as
    gracilis and adductor longus do between an L2-L4 root lesion and the femoral nerve."""
    mean = rates @ weight
    centred = rates - mean[:, None]
    covariance = (centred * weight) @ centred.T
    spread = np.sqrt(np.maximum(np.diag(covariance), 1e-12))
    correlation = covariance / np.outer(spread, spread)
    close = np.abs(rates[:, None, :] - rates[None, :, :]).max(axis=2) < SAME_INFORMATION
    return np.asarray(close | (correlation >= SAME_QUESTION), dtype=bool)


def _sequence(ranking: Ranking, places: IntArray, rates: FloatArray) -> tuple[StudyStep, ...]:
    """Bedside checks, then nerve conduction, then the needle, skipping a test that asks what
    a chosen one of the same setting (bedside, laboratory) already asks."""
    chosen: dict[Stage, list[PlannedTest]] = {stage: [] for stage in STAGE_WORDS}
    plausible = ranking.belief.shown >= NAMED_CANDIDATE
    weight = ranking.belief.shown[plausible] / ranking.belief.shown[plausible].sum()
    same = _same_question(rates[:, plausible], weight)
    taken: list[tuple[int, bool]] = []  # (position, at the bedside)
    laboratory = 0
    for number, place in enumerate(places):
        test = ranking.test(int(place))
        stage = STAGE_OF[test.kind]
        bedside = stage == "bedside"
        if bedside and len(chosen["bedside"]) >= BEDSIDE_FIRST:
            continue
        if not bedside and laboratory >= SEQUENCE_LENGTH:
            continue
        if any(same[number, other] for other, where in taken if where == bedside):
            continue
        taken.append((number, bedside))
        chosen[stage].append(test)
        if ranking.both_sides[place]:  # a side-to-side comparison: the other side too
            chosen[stage].append(replace(test, side="right" if test.side == "left" else "left"))
        laboratory += not bedside
    return tuple(_step(stage, tests) for stage, tests in chosen.items() if tests)


def _repeat_timing(case: Case, kb: KnowledgeBase) -> str:
    denervation = kb.thresholds.needle_emg_denervation
    days = case.days_since_onset or 0.0
    span = wait_in_words(denervation.value)
    if case.onset_on is not None:
        due = case.onset_on + timedelta(days=denervation.value)
        return f"on or after {due.isoformat()} ({span} from onset)"
    return f"in {denervation.value - days:.0f} days ({span} from onset)"


def _early_needle_note(
    case: Case,
    observations: Observations,
    answer: SiteAndCause,
    ranking: Ranking,
    kb: KnowledgeBase,
) -> str:
    """When it is too early for denervation and the needle would tell much more later."""
    days = case.days_since_onset
    if days is None or kb.thresholds.needle_emg_denervation.reached(days):
        return ""
    catalog = ranking.catalog
    needle = PLANNED_TEST_KINDS.index("needle_emg")
    rows = np.flatnonzero(catalog.test_kind[catalog.column_test] == needle)
    due = 2.0 * kb.thresholds.needle_emg_denervation.value
    belief = belief_of(answer, observations.count, days, later=due)
    telling, later = value_columns(catalog, rows, belief, observations, LATE_BIN, kb)
    reliability = catalog.reliability_for(case.age)[catalog.column_test[rows[telling]]]
    best_later = float((later.gain * reliability).max()) if telling.size else 0.0
    now = ranking.gain[catalog.test_kind[ranking.numbers] == needle]
    best_now = float(now.max()) if now.size else 0.0
    if best_later < max(MEANINGFUL_GAIN, 2.0 * best_now):
        return ""
    return _repeat_timing(case, kb)


def plan_study(
    case: Case,
    observations: Observations,
    answer: SiteAndCause,
    kb: KnowledgeBase,
    limit: int = 8,
    habitus: Habitus = "average",
) -> StudyPlan:
    """The next tests worth doing for this case, best value per cost first, and their study."""
    ranking = rank_tests(case, observations, answer, kb, habitus)
    places = ranking.best()[: max(limit, SEQUENCE_LENGTH + BEDSIDE_FIRST + 6)]
    rates = expected_rates(ranking, places)
    tests = _next_tests(ranking, places[:limit], rates[:limit], kb)
    sequence = _sequence(ranking, places, rates)
    summary = "; then ".join(f"{STAGE_WORDS[s.stage]}: {s.text}" for s in sequence)
    repeat = _early_needle_note(case, observations, answer, ranking, kb)
    notes: list[str] = []
    if not tests:
        candidates = site_and_cause_model(kb).candidates
        belief = ranking.belief
        leader = belief.kept[belief.leader]
        notes.append(
            "No further test is likely to change the answer meaningfully "
            f"({candidates[leader].title} at {belief.shown[belief.leader]:.0%})."
        )
    if repeat:
        notes.append(
            "It is early for the needle: fibrillations take about "
            f"{wait_in_words(kb.thresholds.needle_emg_denervation.value)} to appear, so a "
            f"needle study {repeat} would tell more than one now."
        )
    return StudyPlan(
        tests=tests,
        sequence=sequence,
        summary=summary,
        enough=not tests,
        note=" ".join(notes),
        repeat=repeat,
    )
