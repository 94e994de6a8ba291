"""How far the engine's probabilities can be trusted: reliability, Brier score, ECE, log loss.

A probability of 80 % is honest when, over the cases given 80 %, the answer is right about
eight times in ten. The report (Van Calster 2019) has three figures and one curve:

- the **reliability curve**: cases binned by the leading answer's probability, each bin's mean
  probability against how often the leading answer was right;
- the **expected calibration error** (Naeini 2015): the bins' gaps between confidence and
  accuracy, weighted by how many cases fall in each;
- the **Brier score** (Brier 1950): the mean squared distance between the probability vector
  and the truth (0 is perfect; a flat guess over M answers scores 1 − 1/M);
- the **log loss**: the mean of −log P(truth), which the tempering is fitted to.

`fit_tempering` chooses the exponents of the joint model (`site_and_cause.Tempering`) that
minimise the log loss of the true site and cause on a training set: a calibration device
whose effect the report shows before and after, on cases it was not fitted on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plexcare.engine.site_and_cause import Parts, SiteAndCauseModel, Tempering, combine

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BINS = 10
CONFIDENT = 0.9
"""A leading answer at or above this probability is 'confident': it must not be wrong."""


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    confidence: float  # mean probability of the leading answer in the bin
    accuracy: float  # share of the bin whose leading answer was right


@dataclass(frozen=True)
class Calibration:
    """The calibration of one kind of answer (site, cause, plexopathy) over a set of cases."""

    count: int
    accuracy: float  # share of cases whose leading answer is right
    brier: float
    ece: float
    log_loss: float
    confident_and_wrong: int  # leading answer at CONFIDENT or more, and wrong
    bins: tuple[ReliabilityBin, ...]

    def curve(self) -> str:
        """The reliability curve as text: one line per non-empty bin."""
        return "\n".join(
            f"  {b.lower:4.0%}-{b.upper:4.0%}: n={b.count:<5d} "
            f"confidence {b.confidence:6.1%}  accuracy {b.accuracy:6.1%}"
            for b in self.bins
            if b.count
        )


def _bins(
    confidence: FloatArray, right: npt.NDArray[np.bool_]
) -> tuple[list[ReliabilityBin], float]:
    """Reliability bins of forecasts `confidence` against outcomes `right`, and the ECE."""
    n = len(confidence)
    edges = np.linspace(0.0, 1.0, BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, BINS - 1)
    bins: list[ReliabilityBin] = []
    ece = 0.0
    for index in range(BINS):
        members = which == index
        count = int(members.sum())
        mean_confidence = float(confidence[members].mean()) if count else 0.0
        accuracy = float(right[members].mean()) if count else 0.0
        ece += count / n * abs(mean_confidence - accuracy)
        bins.append(
            ReliabilityBin(
                float(edges[index]), float(edges[index + 1]), count, mean_confidence, accuracy
            )
        )
    return bins, float(ece)


def calibration(probabilities: FloatArray, truth: Sequence[int] | IntArray) -> Calibration:
    """Calibration of cases × answers probability rows against the index of the true answer.

    The reliability bins and the ECE are of the leading answer (top-label calibration); the
    Brier score and log loss are of the whole probability vector.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(truth, dtype=np.int64)
    n = len(y)
    if n == 0:
        return Calibration(0, 0.0, 0.0, 0.0, 0.0, 0, ())
    rows = np.arange(n)
    onehot = np.zeros_like(p)
    onehot[rows, y] = 1.0
    leader = p.argmax(axis=1)
    confidence = p[rows, leader]
    right = leader == y
    bins, ece = _bins(confidence, right)
    return Calibration(
        count=n,
        accuracy=float(right.mean()),
        brier=float(((p - onehot) ** 2).sum(axis=1).mean()),
        ece=ece,
        log_loss=float(-np.log(np.maximum(p[rows, y], 1e-12)).mean()),
        confident_and_wrong=int(((confidence >= CONFIDENT) & ~right).sum()),
        bins=tuple(bins),
    )


def forecast_calibration(probability: FloatArray, outcome: Sequence[bool]) -> Calibration:
    """Calibration of forecasts of a yes/no event (the leading answer is right; a plexopathy).

    The bins are of the forecast itself, the Brier score is (p - outcome)^2 averaged, and a
    confident forecast is one at 90 % or more whose event did not happen.
    """
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(outcome, dtype=bool)
    if len(p) == 0:
        return Calibration(0, 0.0, 0.0, 0.0, 0.0, 0, ())
    bins, ece = _bins(p, y)
    chosen = np.where(y, p, 1.0 - p)
    return Calibration(
        count=len(p),
        accuracy=float(((p >= 0.5) == y).mean()),
        brier=float(((p - y) ** 2).mean()),
        ece=ece,
        log_loss=float(-np.log(np.maximum(chosen, 1e-12)).mean()),
        confident_and_wrong=int(((p >= CONFIDENT) & ~y).sum() + ((p <= 1 - CONFIDENT) & y).sum()),
        bins=tuple(bins),
    )


@dataclass(frozen=True)
class JointCalibration:
    """Site, cause and plexopathy calibration of one tempering on one set of cases."""

    tempering: Tempering
    site: Calibration
    cause: Calibration
    plexopathy: Calibration
    joint_log_loss: float


def evaluate(
    model: SiteAndCauseModel,
    scored: Sequence[Parts],
    sites: Sequence[int],
    causes: Sequence[int],
    tempering: Tempering,
) -> JointCalibration:
    """Calibration of the joint answer on scored cases whose true site and cause are known."""
    site_rows, cause_rows, plexus, joint_truth = [], [], [], []
    for found, site, cause in zip(scored, sites, causes, strict=True):
        answer = combine(model, found, tempering)
        site_rows.append(answer.site)
        cause_rows.append(answer.cause)
        plexus.append(answer.plexopathy_probability)
        joint_truth.append(float(answer.joint[site, cause]))
    true_plexus = [bool(model.plexus[site]) for site in sites]
    return JointCalibration(
        tempering=tempering,
        site=calibration(np.array(site_rows), sites),
        cause=calibration(np.array(cause_rows), causes),
        plexopathy=forecast_calibration(np.array(plexus), true_plexus),
        joint_log_loss=float(-np.log(np.maximum(joint_truth, 1e-12)).mean()),
    )


def fit_tempering(
    model: SiteAndCauseModel,
    scored: Sequence[Parts],
    sites: Sequence[int],
    causes: Sequence[int],
    grid: Iterable[Tempering],
) -> JointCalibration:
    """The tempering on `grid` with the smallest joint log loss of the true site and cause."""
    best: JointCalibration | None = None
    for tempering in grid:
        result = evaluate(model, scored, sites, causes, tempering)
        if best is None or result.joint_log_loss < best.joint_log_loss:
            best = result
    if best is None:
        raise ValueError("an empty grid has no best tempering")
    return best
