"""Outcome scores for follow-up: the MRC sum score over the muscles tested, per side.

The classic MRC sum score (mrc_aids_2010) adds 0-5 grades over a fixed set of muscles. Clinics
test different muscles in a lumbosacral plexopathy, so plexcare sums over the muscles (or
movements) actually tested and reports the maximum alongside: a score is comparable between
visits only over the same set, which `comparable_with` checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from plexcare.engine.case import Case, Side
from plexcare.engine.case_names import MOVEMENTS
from plexcare.knowledge.model import KnowledgeBase

MRC_MAXIMUM = 5


@dataclass(frozen=True)
class MrcSumScore:
    side: Side
    score: int
    maximum: int
    tested: tuple[str, ...]  # muscle or movement names, sorted

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.maximum if self.maximum else 0.0

    def comparable_with(self, other: MrcSumScore) -> bool:
        return self.side == other.side and self.tested == other.tested


def mrc_sum_scores(case: Case) -> dict[Side, MrcSumScore]:
    """One score per examined side that has at least one strength grade."""
    scores: dict[Side, MrcSumScore] = {}
    for side, exam in sorted(case.exam.items()):
        if not exam.strength:
            continue
        tested = tuple(sorted(exam.strength))
        scores[side] = MrcSumScore(
            side=side,
            score=sum(exam.strength.values()),
            maximum=MRC_MAXIMUM * len(tested),
            tested=tested,
        )
    return scores


def mrc_sum_over(case: Case, side: Side, muscles: tuple[str, ...]) -> MrcSumScore | None:
    """The score over a chosen set (e.g. the first visit's), or None if any was not tested."""
    exam = case.exam.get(side)
    if exam is None or any(name not in exam.strength for name in muscles):
        return None
    tested = tuple(sorted(muscles))
    return MrcSumScore(
        side=side,
        score=sum(exam.strength[name] for name in tested),
        maximum=MRC_MAXIMUM * len(tested),
        tested=tested,
    )


@dataclass(frozen=True)
class OutcomeScores:
    """The scores a follow-up visit is compared on."""

    mrc_sum: tuple[MrcSumScore, ...]

    def for_side(self, side: Side) -> MrcSumScore | None:
        return next((score for score in self.mrc_sum if score.side == side), None)


def outcome_scores(case: Case, kb: KnowledgeBase) -> OutcomeScores:
    """Outcome scores of one visit; strength names the knowledge base does not know are left out
    (`check_case_names` rejects them earlier, so this only guards direct callers)."""
    known = set(kb.muscles) | MOVEMENTS
    scores: list[MrcSumScore] = []
    for side, score in mrc_sum_scores(case).items():
        tested = tuple(name for name in score.tested if name in known)
        if tested:
            scores.append(mrc_sum_over(case, side, tested) or score)
    return OutcomeScores(mrc_sum=tuple(scores))
