"""What a test's result would do to the answer the clinician sees, for every test at once.

The planner values a test on exactly the posterior the assessment shows: the joint site and
cause table, with the study likelihood raised to the fitted tempering exponent and each new
finding counted at its share of its end organ and nerve (the design effect of
`site_and_cause.finding_weights`), then blended with the site prior when the evidence is thin
or early (`localization.blend_weight`), as `site_and_cause.combine` does. For each possible
result (abnormal, normal) of each candidate column:

    P(result)        from the shown posterior over site and background polyneuropathy
    site after       ∝ P(site | everything) · Σ_b P(b | site) · P(result | site, b)^(t · w)
    shown after      (1 - blend') · site after + blend' · P(site | history, imaging)

and the value is the expected fall in the entropy of the shown joint site-and-cause answer
(bits) against the same answer with the finding counted but its result unknown (a finding
fewer to blend sharpens the answer whatever the result, which is not information), with how
far the leading answer's probability is expected to move and how often the leader would
change. Candidates the evidence has all but excluded are left out of the arithmetic (they
cannot return on one result), which keeps a case to a few dozen candidates and makes the
whole pass a handful of array operations over tests × candidates × 2. One approximation is
kept: a new finding takes its own share of its nerve's findings, but the findings already
recorded on that nerve are not re-weighted (a second-order change of a few per cent).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plexcare.engine.localization import blend_weight
from plexcare.engine.site_and_cause import SiteAndCause, SiteAndCauseModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
IN_PLAY = 1e-6
"""A candidate below this probability (before blending) is left out of the arithmetic."""
SHOWN_IN_PLAY = 5e-3
"""...unless the shown (blended) answer still gives it this much."""
MOST_IN_PLAY = 24


def _plogp(p: FloatArray) -> FloatArray:
    """-p log2 p, with 0 at p = 0."""
    safe = np.maximum(p, 1e-300)
    return np.asarray(-p * np.log2(safe), dtype=np.float64)


@dataclass(frozen=True)
class Belief:
    """The shown answer as the planner reads it, on the candidates still in play."""

    kept: IntArray  # candidate columns in play
    shown: FloatArray  # (Kk,) shown site probability (not renormalised)
    predictive: FloatArray  # (Kk, 2) shown P(site, background), renormalised over kept
    given: FloatArray  # (Kk, 2) P(background | site, studies)
    unblended: FloatArray  # (Kk,) P(site | everything) before blending, renormalised
    site_prior: FloatArray  # (Kk,) P(site | history, imaging)
    cause_entropy: FloatArray  # (Kk,) H(cause | site), bits
    leader: int  # position in `kept` of the shown leader
    left_out: npt.NDArray[np.bool_]  # (K,) the candidates left out of the arithmetic
    left_out_prior: FloatArray  # P(site | history, imaging) of the candidates left out
    findings_used: int
    days_since_onset: float | None


def belief_of(
    answer: SiteAndCause,
    findings_used: int,
    days_since_onset: float | None,
    *,
    later: float | None = None,
    most_in_play: int = MOST_IN_PLAY,
) -> Belief:
    """The planner's view of one assessment's joint answer; with `later` (days since onset),
    the same evidence as the answer would show it on that day (the first-week blend gone).

    The candidates left out keep only their blended prior share whatever the result, so their
    entropy is the same before and after and drops out of every value."""
    site = answer.site
    prior = answer.site_prior if answer.site_prior.size else site
    log_unblended = np.log(np.maximum(prior, 1e-300)) + answer.site_evidence
    unblended = np.exp(log_unblended - log_unblended.max())
    unblended /= unblended.sum()
    if later is not None:
        blend = blend_weight(findings_used, later)
        site = (1.0 - blend) * unblended + blend * prior
        days_since_onset = later
    weight = np.maximum(unblended, site)
    candidates = np.flatnonzero((unblended >= IN_PLAY) | (site >= SHOWN_IN_PLAY))
    if len(candidates) > most_in_play:
        candidates = candidates[np.argsort(-weight[candidates], kind="stable")[:most_in_play]]
    candidates = np.sort(candidates)
    left_out = np.ones(len(site), dtype=bool)
    left_out[candidates] = False
    answered = np.maximum(answer.site[candidates], 1e-300)[:, None]
    given = answer.site_background[candidates] / answered
    given /= np.maximum(given.sum(axis=1, keepdims=True), 1e-300)
    cause_entropy = _plogp(answer.joint[candidates] / answered).sum(axis=1)
    shown = site[candidates]
    predictive = shown[:, None] * given
    kept_unblended = unblended[candidates]
    return Belief(
        kept=candidates,
        shown=shown,
        predictive=predictive / predictive.sum(),
        given=given,
        unblended=kept_unblended / kept_unblended.sum(),
        site_prior=prior[candidates],
        cause_entropy=cause_entropy,
        leader=int(np.argmax(shown)),
        left_out=left_out,
        left_out_prior=prior[left_out],
        findings_used=findings_used,
        days_since_onset=days_since_onset,
    )


def new_finding_weights(
    model: SiteAndCauseModel, observed: IntArray, columns: IntArray
) -> FloatArray:
    """(columns,) the weight each column would get if observed next: its share of its end
    organ's and nerve's findings (`site_and_cause.finding_weights`), given what is observed."""
    tempering = model.tempering
    organs = model.organ_of[columns]
    per_organ = np.bincount(model.organ_of[observed], minlength=model.organ_count)
    weight = 1.0 / (1.0 + tempering.within_end_organ * per_organ[organs])
    if tempering.within_nerve > 0 and model.nerve_count:
        seen = np.flatnonzero(per_organ)
        nerves = model.organ_nerve[seen]
        organs_in_nerve = np.bincount(nerves[nerves >= 0], minlength=model.nerve_count)
        nerve = model.nerve_of[columns]
        named = nerve >= 0
        count = organs_in_nerve[nerve[named]] + (per_organ[organs[named]] == 0)
        weight[named] /= 1.0 + tempering.within_nerve * (count - 1)
    return np.asarray(weight, dtype=np.float64)


@dataclass(frozen=True)
class ResultValues:
    """Per candidate column: what its result is expected to do to the shown answer."""

    gain: FloatArray  # expected fall in the joint entropy, bits (0 or more)
    shift: FloatArray  # expected |change| of the leading answer's probability
    flip: FloatArray  # probability that the result changes the leading answer
    abnormal: FloatArray  # P(abnormal result)


def result_values(
    belief: Belief,
    planes: FloatArray,
    exponent: FloatArray,
    findings_added: IntArray,
) -> ResultValues:
    """The value of each column's result. `planes` are the (6, columns, Kk) tables P(abnormal |
    site, background 0), the same with background 1, and the logs of P(abnormal) and P(normal)
    for each background (`planned_tests.LOG_PLANES`), on the candidates in play; `exponent` is
    tempering times the finding's weight; `findings_added` how many findings the test adds to
    the count the blend reads. Both results are computed together: axis 0 is (abnormal,
    normal)."""
    days = belief.days_since_onset
    blends = [blend_weight(belief.findings_used + n, days) for n in range(4)]
    blend = np.asarray(blends)[np.minimum(findings_added, 3)][:, None]
    p_abnormal = planes[0] @ belief.predictive[:, 0] + planes[1] @ belief.predictive[:, 1]
    chance = np.stack([p_abnormal, 1.0 - p_abnormal])  # (2, columns)
    tempered = np.exp(exponent[None, :, None] * planes[2:])  # (4, columns, Kk)
    after = tempered[0::2] * belief.given[:, 0] + tempered[1::2] * belief.given[:, 1]
    after *= belief.unblended
    after /= after.sum(axis=2, keepdims=True)
    lean = blend * belief.site_prior
    shown = (1.0 - blend) * after + lean  # (2, columns, Kk)
    # The baseline is the answer with the new finding's count but not its result: fewer
    # findings blend less, and that sharpening is not information the result brings.
    before = (1.0 - blend) * belief.unblended + lean  # (columns, Kk)
    both = np.concatenate([shown, before[None]])
    entropy = (_plogp(both) + both * belief.cause_entropy).sum(axis=2)  # (3, columns)
    gain = np.maximum(entropy[2] - (chance * entropy[:2]).sum(axis=0), 0.0)
    leader = belief.leader
    shift = (chance * np.abs(shown[:, :, leader] - before[:, leader])).sum(axis=0)
    flip = (chance * (shown.argmax(axis=2) != leader)).sum(axis=0)
    return ResultValues(gain=gain, shift=shift, flip=flip, abnormal=p_abnormal)


def shown_after(
    belief: Belief, logs: FloatArray, exponent: float, findings_added: int
) -> FloatArray:
    """(K,) the site answer the clinician would be shown after one result, for every candidate
    (`logs`: the (Kk, 2) log-likelihood of that result in play): the arithmetic of
    `result_values` for a single column and result, spread back over all candidates."""
    blend = blend_weight(belief.findings_used + findings_added, belief.days_since_onset)
    after = np.exp(exponent * logs[:, 0]) * belief.given[:, 0]
    after += np.exp(exponent * logs[:, 1]) * belief.given[:, 1]
    after *= belief.unblended
    after /= after.sum()
    shown = np.zeros(len(belief.left_out))
    shown[belief.left_out] = blend * belief.left_out_prior
    shown[belief.kept] = (1.0 - blend) * after + blend * belief.site_prior
    return shown
