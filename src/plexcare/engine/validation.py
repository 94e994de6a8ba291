"""Scoring the engine against the validation vignettes: each expected answer, and the totals.

An expected answer (`ExpectedAnswer`, one row of the table a clinician reviews) names the
lesion sites and side an expert accepts, whether the lesion involves the plexus, the causes
an expert accepts and the red flags that must be raised. `check` compares one assessment with
it; `summarise` gives the figures `plexcare validate` and `make bench` report, against their
targets:

- top-1 localization: the leading site is one the expert accepts, on the right side
  (≥ 90 %); an `uncertain` vignette is right when the engine does not commit (its leader stays
  below 90 %, and below 50 % when no site is accepted yet);
- plexopathy agreement: P(plexopathy) on the expert's side of 50 % (100 %);
- cause in the top two (≥ 85 %);
- red-flag recall: the share of expected red flags raised (100 %);
- no confident-and-wrong answer: no wrong leading site or cause at 90 % or more;
- calibration of the leading site, the leading cause and P(plexopathy) (`engine.calibration`).

Pure: the caller reads the table and the cases; nothing here touches a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from plexcare.engine.assessment import Assessment
from plexcare.engine.calibration import CONFIDENT, Calibration, forecast_calibration

TOP_ONE_TARGET = 0.9
PLEXOPATHY_TARGET = 1.0
CAUSE_TARGET = 0.85
RED_FLAG_TARGET = 1.0
UNCOMMITTED = 0.5
"""With no site accepted yet, an uncertain vignette's leader must stay below this."""


@dataclass(frozen=True)
class ExpectedAnswer:
    """One row of the validation table (see `tests/engine/vignettes/expected/answers.yaml`)."""

    file: str
    sites: tuple[str, ...]
    side: str | None
    plexopathy: bool | None
    causes: tuple[str, ...]
    red_flags: tuple[str, ...] = ()
    uncertain: bool = False
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class VignetteResult:
    expected: ExpectedAnswer
    leader: str
    leader_probability: float
    plexopathy_probability: float
    leading_causes: tuple[tuple[str, float], ...]  # the top two
    site_right: bool
    plexopathy_agrees: bool | None  # None when the expert does not commit
    cause_in_top_two: bool
    cause_right: bool  # the leading cause is one the expert accepts
    flags_missing: tuple[str, ...]

    @property
    def confident_and_wrong(self) -> bool:
        """A wrong leading site or cause at 90 % or more (an uncertain vignette's leader
        counts as wrong whenever it is that confident)."""
        site = self.leader_probability >= CONFIDENT and (
            not self.site_right or self.expected.uncertain
        )
        cause = self.leading_causes[0][1] >= CONFIDENT and not self.cause_right
        return site or cause

    @property
    def passed(self) -> bool:
        return (
            self.site_right
            and self.plexopathy_agrees is not False
            and self.cause_in_top_two
            and not self.flags_missing
            and not self.confident_and_wrong
        )


def check(expected: ExpectedAnswer, assessment: Assessment) -> VignetteResult:
    """How one assessment compares with its expected answer."""
    localization = assessment.localization
    leader = localization.leader
    side_right = expected.side is None or leader.side == expected.side
    if expected.uncertain:
        ceiling = CONFIDENT if expected.sites else UNCOMMITTED
        placed = not expected.sites or (leader.id in expected.sites and side_right)
        site_right = placed and leader.probability < ceiling
    else:
        site_right = leader.id in expected.sites and side_right
    plexopathy = localization.plexopathy_probability
    agrees = None if expected.plexopathy is None else (plexopathy >= 0.5) == expected.plexopathy
    top_two = tuple((c.disorder, c.probability) for c in assessment.etiology[:2])
    raised = {flag.feature for flag in assessment.red_flags}
    return VignetteResult(
        expected=expected,
        leader=leader.key,
        leader_probability=leader.probability,
        plexopathy_probability=plexopathy,
        leading_causes=top_two,
        site_right=site_right,
        plexopathy_agrees=agrees,
        cause_in_top_two=any(disorder in expected.causes for disorder, _ in top_two),
        cause_right=top_two[0][0] in expected.causes,
        flags_missing=tuple(flag for flag in expected.red_flags if flag not in raised),
    )


@dataclass(frozen=True)
class ValidationSummary:
    """The totals over the validation vignettes, with their calibration."""

    count: int
    top_one: float
    plexopathy_agreement: float
    cause_in_top_two: float
    red_flag_recall: float
    confident_and_wrong: int
    site_calibration: Calibration
    cause_calibration: Calibration
    plexopathy_calibration: Calibration

    @property
    def targets_met(self) -> dict[str, bool]:
        return {
            "top-1 localization >= 90 %": self.top_one >= TOP_ONE_TARGET,
            "plexopathy agreement 100 %": self.plexopathy_agreement >= PLEXOPATHY_TARGET,
            "cause in top 2 >= 85 %": self.cause_in_top_two >= CAUSE_TARGET,
            "red-flag recall 100 %": self.red_flag_recall >= RED_FLAG_TARGET,
            "no confident-and-wrong answer": self.confident_and_wrong == 0,
        }


def summarise(results: Sequence[VignetteResult]) -> ValidationSummary:
    """The figures over every checked vignette."""
    count = len(results)
    committed = [r for r in results if r.plexopathy_agrees is not None]
    expected_flags = sum(len(r.expected.red_flags) for r in results)
    missing = sum(len(r.flags_missing) for r in results)
    scored_sites = [r for r in results if not r.expected.uncertain]
    return ValidationSummary(
        count=count,
        top_one=_share(r.site_right for r in results),
        plexopathy_agreement=_share(bool(r.plexopathy_agrees) for r in committed),
        cause_in_top_two=_share(r.cause_in_top_two for r in results),
        red_flag_recall=1.0 if expected_flags == 0 else 1.0 - missing / expected_flags,
        confident_and_wrong=sum(r.confident_and_wrong for r in results),
        site_calibration=forecast_calibration(
            np.array([r.leader_probability for r in scored_sites]),
            [r.site_right for r in scored_sites],
        ),
        cause_calibration=forecast_calibration(
            np.array([r.leading_causes[0][1] for r in results]),
            [r.cause_right for r in results],
        ),
        plexopathy_calibration=forecast_calibration(
            np.array([r.plexopathy_probability for r in committed]),
            [bool(r.expected.plexopathy) for r in committed],
        ),
    )


def _share(values: Iterable[bool]) -> float:
    flags = list(values)
    return float(np.mean(flags)) if flags else 1.0
