"""Where is the lesion? The ranked answer, with the findings behind each candidate.

`localize(case, kb)` scores one case; `localize_batch(cases, kb)` scores many in one pass and
returns arrays. Both use the same compiled `LocalizationModel`, built once per knowledge base.
The answer is honest about thin evidence: with few findings, or in the first week after onset,
the probabilities are blended towards the prior and the `uncertainty` notes say why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Case
from plexcare.engine.case_names import check_case_names
from plexcare.engine.fast_records import record
from plexcare.engine.findings import Observations, observe
from plexcare.engine.lesion_candidates import PLEXUS_KINDS, CandidateKind, CandidateSide
from plexcare.engine.likelihood import LocalizationModel, compile_model
from plexcare.engine.observation_plan import observe_batch
from plexcare.engine.ranking import probability_order
from plexcare.engine.workup import wait_in_words
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
EXPLAINED_CANDIDATES = 10
WEIGHTS_SHOWN = 6
MEANINGFUL_WEIGHT = 0.1  # nats: a finding that shifts the odds by less than ~10 % is not shown
FULL_EVIDENCE = 6  # findings at which thin-evidence tempering stops
THIN_EVIDENCE_BLEND = 0.5
FIRST_WEEK_BLEND = 0.25


def localization_model(kb: KnowledgeBase) -> LocalizationModel:
    """The compiled model for this knowledge base (compiled on first use, then reused)."""
    return kb.derived("localization_model", compile_model)


@dataclass(frozen=True)
class FindingWeight:
    """One finding's pull on a candidate: log-likelihood ratio (nats) against the rest."""

    finding: str
    label: str
    result: Literal["abnormal", "normal"]
    weight: float


@dataclass(frozen=True)
class RankedCandidate:
    key: str  # e.g. "root_l5@left"
    id: str  # the knowledge base lesion id, e.g. "root_l5"
    side: CandidateSide | None
    kind: CandidateKind
    label: str
    probability: float
    supporting: tuple[FindingWeight, ...] = ()
    contradicting: tuple[FindingWeight, ...] = ()


@dataclass(frozen=True)
class Localization:
    """The ranked localization of one case; probabilities sum to 1.

    The first `EXPLAINED_CANDIDATES` carry their supporting and contradicting findings (the rest
    are too unlikely to be worth explaining); `joint_posterior` is the candidate × background
    posterior that `next_best_tests` plans from (from `localize`, the electrodiagnostic model's,
    untempered; in an assessment, the joint model's site marginal times P(background | site)).
    """

    candidates: tuple[RankedCandidate, ...]
    plexopathy_probability: float
    background_polyneuropathy: float
    uncertainty: tuple[str, ...]
    tempered: bool
    findings_used: int
    days_since_onset: float | None
    kb_version: str
    time_bin: int = field(compare=False)
    observed: tuple[int, ...] = field(compare=False, repr=False)
    joint_posterior: FloatArray = field(compare=False, repr=False)  # K × 2

    @property
    def leader(self) -> RankedCandidate:
        return self.candidates[0]

    def probability_of(self, key: str) -> float:
        return next(c.probability for c in self.candidates if c.key == key)


@dataclass(frozen=True)
class BatchLocalization:
    """Many cases scored at once: arrays in the model's candidate order."""

    candidate_keys: tuple[str, ...]
    probabilities: FloatArray  # cases × candidates, tempered as `localize` does
    raw_probabilities: FloatArray  # cases × candidates, untempered
    background_polyneuropathy: FloatArray
    plexopathy_probability: FloatArray


def blend_weight(findings_used: int, days_since_onset: float | None) -> float:
    """How far to pull the answer towards the prior when evidence is thin or early."""
    thin = THIN_EVIDENCE_BLEND * max(0.0, 1.0 - findings_used / FULL_EVIDENCE)
    early = FIRST_WEEK_BLEND if days_since_onset is not None and days_since_onset < 7 else 0.0
    return max(thin, early)


def blend_weights(findings_used: npt.NDArray[np.int64], days: Sequence[float | None]) -> FloatArray:
    """`blend_weight` for many cases at once."""
    thin = THIN_EVIDENCE_BLEND * np.maximum(0.0, 1.0 - findings_used / FULL_EVIDENCE)
    early = np.array([d is not None and d < 7 for d in days], dtype=bool)
    result: FloatArray = np.maximum(thin, np.where(early, FIRST_WEEK_BLEND, 0.0))
    return result


def _uncertainty(
    observations: Observations, leader: float, blend: float, denervation_days: float
) -> tuple[str, ...]:
    """Plain notes on what limits the answer; `denervation_days` is the knowledge base's
    `needle_emg_denervation` threshold (about 3 weeks)."""
    notes: list[str] = []
    count = observations.count
    if count == 0:
        notes.append("No findings recorded: every localization is equally likely.")
    elif count < FULL_EVIDENCE:
        notes.append(
            f"Only {count} finding(s) recorded: thin evidence, so the leading probability "
            "is tempered towards the prior."
        )
    days = observations.days_since_onset
    if days is not None and days < 7:
        notes.append(
            "First week after onset: denervation and amplitude loss have not developed yet, so "
            "normal studies exclude little; repeat needle EMG 3 weeks after onset."
        )
    elif days is not None and days < denervation_days:
        notes.append(
            f"Less than {wait_in_words(denervation_days)} since onset: limb fibrillation "
            "potentials may not have appeared yet."
        )
    if days is None and count > 0:
        notes.append(
            "Time since onset unknown: scored as 4 weeks or more; if onset was recent, normal "
            "EMG and nerve conduction results exclude less than shown."
        )
    if count > 0 and leader < 0.5:
        notes.append("No single localization dominates; see the next best tests.")
    if blend > 0 and count > 0:
        notes.append(f"The leading probability is tempered ({blend:.0%} blended with the prior).")
    return tuple(notes)


def _prior(model: LocalizationModel) -> FloatArray:
    return np.asarray(np.exp(model.log_candidate_prior), dtype=np.float64)


def _evidence_weights(
    model: LocalizationModel,
    observations: Observations,
    joint: FloatArray,
    explained: list[int],
    prior: FloatArray,
) -> tuple[list[int], npt.NDArray[np.bool_], FloatArray]:
    """Each observed finding's log-likelihood ratio (nats) for the `explained` candidates
    (columns) vs the others; `prior` is the model's candidate prior.

    "The others" are weighted by the prior, not the posterior: a finding supports a candidate
    when it is likelier there than across the other places a lesion could be. Weighting by the
    posterior would make a finding the leader shares with a close runner-up look like evidence
    against the leader (tibialis anterior weakness "against" L5 because the lumbosacral trunk
    predicts it slightly more), which reads wrongly to a clinician.
    """
    columns = list(observations.abnormal) + list(observations.normal)
    is_abnormal = np.arange(len(columns)) < len(observations.abnormal)
    if not columns:
        return columns, is_abnormal, np.zeros((0, len(explained)))
    table = model.abnormal[observations.time_bin, columns]  # obs × K × 2
    candidate = joint.sum(axis=1)
    given = joint / np.maximum(candidate, 1e-300)[:, None]
    # P(abnormal | candidate) with the background summed out; a normal result is its
    # complement, since P(background | candidate) sums to one.
    abnormal = (table * given[None, :, :]).sum(axis=2)  # obs × K
    p_candidate = np.where(is_abnormal[:, None], abnormal, 1.0 - abnormal)
    total = p_candidate @ prior
    shown, own = p_candidate[:, explained], prior[explained]
    rest = (total[:, None] - own[None, :] * shown) / np.maximum(1.0 - own[None, :], 1e-12)
    weights = np.log(shown) - np.log(np.maximum(rest, 1e-300))
    return columns, is_abnormal, np.asarray(weights, dtype=np.float64)


def _explain(
    order: list[int],
    values: list[float],
    shown: list[float],
    results: list[Literal["abnormal", "normal"]],
    keys: list[str],
    labels: list[str],
) -> tuple[tuple[FindingWeight, ...], tuple[FindingWeight, ...]]:
    """The findings that pull one candidate up most, and those that pull it down most.

    `order` ranks the observed findings by their weight for this candidate, `values` holds
    the weights and `shown` the same rounded for the report; `keys`, `labels` and `results`
    give each finding's key, words and result, worked out once for every candidate. Plain
    Python numbers from here on: a handful of findings per candidate is cheaper to pick from
    a list than from NumPy scalars."""
    if not order:
        return (), ()

    def weight(i: int) -> FindingWeight:
        return record(
            FindingWeight,
            {"finding": keys[i], "label": labels[i], "result": results[i], "weight": shown[i]},
        )

    supporting = tuple(weight(i) for i in order[:WEIGHTS_SHOWN] if values[i] > MEANINGFUL_WEIGHT)
    contradicting = tuple(
        weight(i) for i in order[::-1][:WEIGHTS_SHOWN] if values[i] < -MEANINGFUL_WEIGHT
    )
    return supporting, contradicting


@dataclass(frozen=True)
class _CandidateRows:
    """What every ranked candidate repeats from the model: its fields before the probability
    (key, id, side, kind, label, in `RankedCandidate`'s order) and whether it is a plexus
    lesion; every finding column's words, as found abnormal and as found normal; and the
    candidate prior."""

    fields: tuple[dict[str, object], ...]
    plexus: npt.NDArray[np.bool_]
    abnormal_labels: tuple[str, ...]
    normal_labels: tuple[str, ...]
    prior: FloatArray


def _compile_candidate_rows(kb: KnowledgeBase) -> _CandidateRows:
    model = localization_model(kb)
    candidates = model.arrays.candidates
    specs = model.findings.specs
    return _CandidateRows(
        fields=tuple(
            {"key": c.key, "id": c.id, "side": c.side, "kind": c.kind, "label": c.title}
            for c in candidates
        ),
        plexus=np.array([c.kind in PLEXUS_KINDS for c in candidates], dtype=bool),
        abnormal_labels=tuple(spec.describe(abnormal=True) for spec in specs),
        normal_labels=tuple(spec.describe(abnormal=False) for spec in specs),
        prior=_prior(model),
    )


def _candidate_rows(kb: KnowledgeBase) -> _CandidateRows:
    return kb.derived("localization_candidate_rows", _compile_candidate_rows)


def localize(case: Case, kb: KnowledgeBase) -> Localization:
    """Rank every lesion candidate for one case, with the findings behind the leaders."""
    check_case_names(case, kb)
    model = localization_model(kb)
    return localize_observations(observe(case, model.findings, kb, model.finding_model), kb)


def localize_observations(
    observations: Observations,
    kb: KnowledgeBase,
    shown: FloatArray | None = None,
    joint: FloatArray | None = None,
) -> Localization:
    """The ranked localization of observations already read from a case.

    By default the answer is the electrodiagnostic model's own. The assessment passes the site
    marginal of the joint site-and-cause posterior as `shown` (and its site × background
    table as `joint`), so the localization it reports is the one its causes come from; the
    findings for and against each candidate are the same either way.
    """
    model = localization_model(kb)
    blend = blend_weight(observations.count, observations.days_since_onset)
    if shown is None or joint is None:
        joint = model.joint_posterior(observations)
        shown = (1.0 - blend) * joint.sum(axis=1) + blend * _prior(model)
    order = probability_order(shown)
    ranked_columns: list[int] = order.tolist()
    rows = _candidate_rows(kb)
    columns, is_abnormal, explained = _evidence_weights(
        model, observations, joint, ranked_columns[:EXPLAINED_CANDIDATES], rows.prior
    )
    words = (rows.normal_labels, rows.abnormal_labels)
    abnormal_count = len(observations.abnormal)
    labels = [words[place < abnormal_count][column] for place, column in enumerate(columns)]
    keys = [model.findings.keys[column] for column in columns]
    results: list[Literal["abnormal", "normal"]] = [
        "abnormal" if abnormal else "normal" for abnormal in is_abnormal.tolist()
    ]
    probabilities: list[float] = shown.tolist()
    # The explained candidates' findings, ranked for all of them in one sort.
    finding_orders: list[list[int]] = np.argsort(-explained, axis=0, kind="stable").T.tolist()
    finding_values: list[list[float]] = explained.T.tolist()
    finding_shown: list[list[float]] = np.round(explained, 4).T.tolist()
    ranked: list[RankedCandidate] = []
    for rank, column in enumerate(ranked_columns):
        supporting: tuple[FindingWeight, ...] = ()
        contradicting: tuple[FindingWeight, ...] = ()
        if rank < EXPLAINED_CANDIDATES and columns:
            supporting, contradicting = _explain(
                finding_orders[rank],
                finding_values[rank],
                finding_shown[rank],
                results,
                keys,
                labels,
            )
        ranked.append(
            record(
                RankedCandidate,
                {
                    **rows.fields[column],
                    "probability": probabilities[column],
                    "supporting": supporting,
                    "contradicting": contradicting,
                },
            )
        )
    return Localization(
        candidates=tuple(ranked),
        plexopathy_probability=float(shown[rows.plexus].sum()),
        background_polyneuropathy=float(joint[:, 1].sum()),
        uncertainty=_uncertainty(
            observations,
            float(shown[order[0]]),
            blend,
            kb.thresholds.needle_emg_denervation.value,
        ),
        tempered=blend > 0,
        findings_used=observations.count,
        days_since_onset=observations.days_since_onset,
        kb_version=model.kb_version,
        time_bin=observations.time_bin,
        observed=tuple(sorted(observations.abnormal + observations.normal)),
        joint_posterior=joint,
    )


def localize_batch(cases: Sequence[Case] | Iterable[Case], kb: KnowledgeBase) -> BatchLocalization:
    """Score many cases in one vectorized pass (names are checked as in `localize`)."""
    case_list = list(cases)
    model = localization_model(kb)
    batch = observe_batch(case_list, model.findings, kb, model.finding_model, check_names=True)
    joint = model.joint_posterior_batch(batch)
    raw = joint[:, :, 0] + joint[:, :, 1]
    used = batch.findings_used.tolist()
    blends = np.array(
        [blend_weight(n, days) for n, days in zip(used, batch.days_since_onset, strict=True)]
    )
    shown = (1.0 - blends[:, None]) * raw + blends[:, None] * _prior(model)[None, :]
    plexus = _candidate_rows(kb).plexus
    return BatchLocalization(
        candidate_keys=tuple(c.key for c in model.arrays.candidates),
        probabilities=shown,
        raw_probabilities=raw,
        background_polyneuropathy=joint[:, :, 1].sum(axis=1),
        plexopathy_probability=shown[:, plexus].sum(axis=1),
    )
