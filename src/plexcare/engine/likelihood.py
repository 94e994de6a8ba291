"""The localization model compiled to arrays: P(finding abnormal | candidate, background).

The latent state is a pair: the lesion candidate (one of K) and whether a background
length-dependent polyneuropathy is present (B, common in diabetes and with age). The two act
on a finding as a noisy-OR: a finding is normal only if neither process makes it abnormal. This
is what lets a common fibular neuropathy be found in a diabetic with absent sural SNAPs: the
background explains the distal sensory loss, the focal lesion explains the foot drop.

Tables are built once per knowledge base for every time-since-onset bin, as logs, so scoring a
case is a sum of table rows and scoring a batch is two matrix products per bin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from plexcare.engine.anatomy_arrays import AnatomyArrays, compile_anatomy
from plexcare.engine.finding_model import FindingModel, finding_model_for
from plexcare.engine.findings import (
    FindingIndex,
    ObservationBatch,
    Observations,
    build_finding_index,
)
from plexcare.engine.lesion_candidates import LesionCandidate
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
PROBABILITY_FLOOR = 1e-6
FREQUENCY_SHARE_OF_PRIOR = 0.5
"""How much of the prior over lesion sites follows how common the disorders producing them are.

The rest is spread evenly: a rare site must stay in play (the disorder priors are rough, and
rare lesions are what a referral clinic sees), and an empty case stays close to flat."""
BATCH_CHUNK = 256
LocalizationModelParts = tuple[AnatomyArrays, FindingIndex, FindingModel]


@dataclass(frozen=True)
class LocalizationModel:
    """Everything needed to score a case, compiled from one knowledge base."""

    kb_version: str
    arrays: AnatomyArrays
    findings: FindingIndex
    finding_model: FindingModel
    abnormal: FloatArray = field(repr=False)  # bins × findings × candidates × 2 (background)
    log_abnormal: FloatArray = field(repr=False)
    log_normal: FloatArray = field(repr=False)
    log_candidate_prior: FloatArray = field(repr=False)
    log_rows: FloatArray = field(repr=False)  # (bin, normal|abnormal, finding) × (K·2)

    @property
    def candidate_count(self) -> int:
        return len(self.arrays.candidates)

    def joint_log_likelihood(self, observations: Observations) -> FloatArray:
        """K × 2 log-likelihood of one case's findings (a sum of table rows)."""
        bin_ = observations.time_bin
        total = self.log_abnormal[bin_, list(observations.abnormal)].sum(axis=0)
        total = total + self.log_normal[bin_, list(observations.normal)].sum(axis=0)
        return np.asarray(total, dtype=np.float64)

    def joint_posterior(self, observations: Observations) -> FloatArray:
        log_joint = (
            self.joint_log_likelihood(observations)
            + self._log_prior(np.asarray([observations.background_prior]))[0]
        )
        return np.asarray(_normalise(log_joint[None, :, :])[0], dtype=np.float64)

    def joint_posterior_batch(self, batch: ObservationBatch) -> FloatArray:
        """cases × K × 2 posterior, scoring only the observed cells of the finding matrix.

        A case records a few dozen of several hundred findings, so gathering the table rows of
        the observed cells and summing them per case (`np.add.reduceat`) does far less work than
        a dense matrix product; cases are processed in chunks to bound memory.
        """
        n_cases = batch.matrix.shape[0]
        k = self.candidate_count
        findings = batch.matrix.shape[1]
        log_joint = np.zeros((n_cases, k * 2))
        rows_per_bin = 2 * findings
        for start in range(0, n_cases, BATCH_CHUNK):
            chunk = batch.matrix[start : start + BATCH_CHUNK]
            rows, columns = np.nonzero(chunk >= 0)
            if rows.size == 0:
                continue
            values = chunk[rows, columns].astype(np.int64)
            bins = batch.time_bins[start + rows]
            flat = bins * rows_per_bin + values * findings + columns
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            sums = np.add.reduceat(self.log_rows[flat], starts, axis=0)
            log_joint[start + rows[starts]] = sums
        log_joint3 = log_joint.reshape(n_cases, k, 2) + self._log_prior(batch.background_priors)
        return np.asarray(_normalise(log_joint3), dtype=np.float64)

    def _log_prior(self, background: FloatArray) -> FloatArray:
        b = np.clip(background, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
        log_b = np.stack([np.log1p(-b), np.log(b)], axis=-1)  # cases × 2
        prior = self.log_candidate_prior[None, :, None] + log_b[:, None, :]
        return np.asarray(prior, dtype=np.float64)


def _normalise(log_joint: FloatArray) -> FloatArray:
    shift = log_joint.max(axis=(1, 2), keepdims=True)
    weights = np.exp(log_joint - shift)
    return np.asarray(weights / weights.sum(axis=(1, 2), keepdims=True), dtype=np.float64)


def _reach(model: LocalizationModelParts) -> FloatArray:
    """findings × candidates: the share of each finding's full effect a candidate produces."""
    arrays, index, finding_model = model
    specs = index.specs
    reach = np.zeros((len(specs), len(arrays.candidates)))
    fractions = arrays.fraction[index.organ_rows]  # findings × candidates
    for row, spec in enumerate(specs):
        kind_model = finding_model.kinds[spec.kind]
        for column, candidate in enumerate(arrays.candidates):
            if candidate.kind in ("generalized", "none"):
                reach[row, column] = finding_model.generalized_reach(
                    candidate.id, spec.kind, spec.organ.distality, spec.organ.paraspinal
                )
            elif kind_model.focal:
                reach[row, column] = kind_model.focal_scale * kind_model.g(fractions[row, column])
    return reach


def _time_factors(parts: LocalizationModelParts) -> FloatArray:
    """bins × findings: how far each finding has developed by the day each bin stands for."""
    _, index, finding_model = parts
    factors = np.ones((len(finding_model.time_bin_days), len(index.specs)))
    for row, spec in enumerate(index.specs):
        onset = finding_model.kinds[spec.kind].onset_in(paraspinal=spec.organ.paraspinal)
        for bin_, days in enumerate(finding_model.time_bin_days):
            factors[bin_, row] = onset.factor(days)
    return factors


def candidate_log_prior(kb: KnowledgeBase, candidates: Sequence[LesionCandidate]) -> FloatArray:
    """Log prior of each candidate, from the knowledge base's disorder frequencies.

    Each disorder's prior is shared among the lesion sites it produces, and a site's share among
    its sides. So an L5 root lesion (disc herniation is common) starts ahead of a lumbosacral
    trunk lesion (obstetric and pelvic causes are rare), while findings still decide.
    """
    share: dict[str, float] = {}
    for disorder in kb.disorders.values():
        for site in disorder.localizations:
            share[site] = share.get(site, 0.0) + disorder.prior / len(disorder.localizations)
    sides = Counter(candidate.id for candidate in candidates)
    frequency = np.array([share.get(c.id, 0.0) / sides[c.id] for c in candidates])
    k = len(candidates)
    prior = np.full(k, 1.0 / k)
    if frequency.sum() > 0:
        prior = (1.0 - FREQUENCY_SHARE_OF_PRIOR) * prior + FREQUENCY_SHARE_OF_PRIOR * (
            frequency / frequency.sum()
        )
    return np.asarray(np.log(prior), dtype=np.float64)


def compile_model(
    kb: KnowledgeBase, finding_model: FindingModel | None = None
) -> LocalizationModel:
    """Build the likelihood tables for every time bin (once per knowledge base).

    `finding_model` defaults to the knowledge base's own (`electrodiagnosis.yaml`); passing
    another lets a test or a sensitivity analysis vary the figures.

    The time factor applies to focal candidates only: the generalized patterns and the background
    polyneuropathy are slow processes whose findings are already present when the patient is
    seen, whatever the onset of the current complaint.
    """
    if finding_model is None:
        finding_model = finding_model_for(kb)
    arrays = compile_anatomy(kb)
    index = build_finding_index(arrays, kb)
    parts: LocalizationModelParts = (arrays, index, finding_model)
    reach = _reach(parts)
    time = _time_factors(parts)
    rates = [
        finding_model.kinds[spec.kind].rates_in(paraspinal=spec.organ.paraspinal)
        for spec in index.specs
    ]
    false_positive = np.array(
        [
            finding_model.aged_false_positive if spec.aged else rate[1]
            for spec, rate in zip(index.specs, rates, strict=True)
        ]
    )
    excess = np.array([rate[0] for rate in rates]) - false_positive
    focal = np.array([c.kind not in ("generalized", "none") for c in arrays.candidates])
    background_column = [c.id for c in arrays.candidates].index("length_dependent_polyneuropathy")
    background = excess * reach[:, background_column]  # the background's own effect
    bins = len(finding_model.time_bin_days)
    abnormal = np.empty((bins, len(index.specs), len(arrays.candidates), 2))
    for bin_ in range(bins):
        timing = np.where(focal[None, :], time[bin_][:, None], 1.0)
        alone = false_positive[:, None] + excess[:, None] * reach * timing
        abnormal[bin_, :, :, 0] = alone
        abnormal[bin_, :, :, 1] = 1.0 - (1.0 - alone) * (1.0 - background[:, None])
    abnormal = np.clip(abnormal, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    k = len(arrays.candidates)
    log_abnormal, log_normal = np.log(abnormal), np.log1p(-abnormal)
    log_rows = np.stack([log_normal, log_abnormal], axis=1).reshape(-1, k * 2)
    return LocalizationModel(
        kb_version=kb.version,
        arrays=arrays,
        findings=index,
        finding_model=finding_model,
        abnormal=abnormal,
        log_abnormal=log_abnormal,
        log_normal=log_normal,
        log_candidate_prior=candidate_log_prior(kb, arrays.candidates),
        log_rows=np.ascontiguousarray(log_rows),
    )
