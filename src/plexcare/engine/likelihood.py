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
from plexcare.engine.finding_model import FindingKind, FindingModel, finding_model_for
from plexcare.engine.findings import (
    STUDY_KIND,
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

The rest is spread evenly over places: a rare site must stay in play (the disorder priors are
rough, and rare lesions are what a referral clinic sees), and an empty case stays close to flat.
A composite lesion of n structures takes 1/n of a place's even share (`even_share`)."""
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

        A case records a few dozen of several hundred findings, so each case is a sparse row
        that picks its table rows (time bin, normal or abnormal, finding) out of `log_rows`; one
        sparse-times-dense product sums them for every case at once, without materialising the
        gathered rows (which a batch of 20,000 cases would need hundreds of megabytes for).
        SciPy is imported here, not at module load, so a server that never scores a batch does
        not pay for it at start-up.
        """
        from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

        n_cases, findings = batch.matrix.shape
        k = self.candidate_count
        cells = np.flatnonzero(batch.matrix.ravel() >= 0)  # row-major: each case's in order
        rows, columns = np.divmod(cells, findings)
        values = batch.matrix.ravel()[cells].astype(np.int64)
        picked = batch.time_bins[rows] * (2 * findings) + values * findings + columns
        row_starts = np.zeros(n_cases + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_cases), out=row_starts[1:])
        selection = csr_matrix(
            (np.ones(picked.size), picked, row_starts), shape=(n_cases, self.log_rows.shape[0])
        )
        log_joint = np.asarray(selection @ self.log_rows, dtype=np.float64).reshape(n_cases, k, 2)
        log_joint += self.log_candidate_prior[None, :, None]
        log_joint += _log_background(batch.background_priors)[:, None, :]
        return np.asarray(_normalise(log_joint), dtype=np.float64)

    def _log_prior(self, background: FloatArray) -> FloatArray:
        prior = self.log_candidate_prior[None, :, None] + _log_background(background)[:, None, :]
        return np.asarray(prior, dtype=np.float64)


def _log_background(background: FloatArray) -> FloatArray:
    """cases × 2: log P(no background polyneuropathy), log P(background polyneuropathy)."""
    b = np.clip(background, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return np.stack([np.log1p(-b), np.log(b)], axis=-1)


def _normalise(log_joint: FloatArray) -> FloatArray:
    """Each case's joint scaled to sum to 1, shifted by its largest term so none underflows."""
    log_joint = log_joint - log_joint.max(axis=(1, 2), keepdims=True)
    np.exp(log_joint, out=log_joint)
    log_joint /= log_joint.sum(axis=(1, 2), keepdims=True)
    return log_joint


def _focal_fractions(arrays: AnatomyArrays, index: FindingIndex) -> FloatArray:
    """findings × candidates: the fibre fraction each focal candidate cuts, as the finding sees
    it. Most findings see the end organ's fraction. A conduction block across a segment is
    produced only by a lesion sitting on that segment, so its fraction is the organ's where the
    candidate's cut (on the organ's side) meets the segment's structures, and 0 elsewhere. A
    side difference is produced by the share cut on this side beyond the other side's; the
    model's lesions of both sides cut both alike, so for them the kind's `bilateral_scale`
    (applied in `_reach`) stands for how unequal real bilateral lesions are.
    """
    fractions = np.array(arrays.fraction[index.organ_rows])
    for row, spec in enumerate(index.specs):
        organ = spec.organ
        if spec.kind is FindingKind.CONDUCTION_BLOCK:
            for column, candidate in enumerate(arrays.candidates):
                cut = candidate.left_cut if organ.side == "left" else candidate.right_cut
                if not cut & spec.structures:
                    fractions[row, column] = 0.0
        elif spec.kind is FindingKind.SIDE_DIFFERENCE and organ.side in MIRROR:
            mirrored = arrays.organ_index[f"{MIRROR[organ.side]}:{organ.type}:{organ.id}"]
            one_sided = np.array([c.side != "both" for c in arrays.candidates])
            difference = np.clip(fractions[row] - arrays.fraction[mirrored], 0.0, 1.0)
            fractions[row] = np.where(one_sided, difference, fractions[row])
    return fractions


MIRROR = {"left": "right", "right": "left"}


def _reach(model: LocalizationModelParts) -> FloatArray:
    """findings × candidates: the share of each finding's full effect a candidate produces."""
    arrays, index, finding_model = model
    specs = index.specs
    reach = np.zeros((len(specs), len(arrays.candidates)))
    fractions = _focal_fractions(arrays, index)  # findings × candidates
    for row, spec in enumerate(specs):
        kind_model = finding_model.kinds[spec.kind]
        for column, candidate in enumerate(arrays.candidates):
            if candidate.kind in ("generalized", "none"):
                reach[row, column] = finding_model.generalized_reach(
                    candidate.id,
                    spec.kind,
                    spec.organ.distality,
                    spec.organ.paraspinal,
                    spec.organ.region,
                )
            elif kind_model.focal:
                scale = kind_model.focal_scale
                if candidate.side == "both":
                    scale *= kind_model.bilateral_scale
                reach[row, column] = scale * kind_model.g(fractions[row, column])
    return reach


def _time_factors(parts: LocalizationModelParts) -> FloatArray:
    """bins × findings: how far each finding has developed by the day each bin stands for."""
    _, index, finding_model = parts
    factors = np.ones((len(finding_model.time_bin_days), len(index.specs)))
    for row, spec in enumerate(index.specs):
        kind = spec.kind
        if kind is FindingKind.SIDE_DIFFERENCE:  # develops with the response itself
            kind = STUDY_KIND[spec.organ.modality]
        onset = finding_model.kinds[kind].onset_in(paraspinal=spec.organ.paraspinal)
        for bin_, days in enumerate(finding_model.time_bin_days):
            factors[bin_, row] = onset.factor(days, spec.organ.distality)
    return factors


def _develops_after_onset(candidate: LesionCandidate, finding_model: FindingModel) -> bool:
    """Whether a candidate's findings follow the time since onset: every focal lesion, and the
    generalized patterns that can begin with the complaint (`follows_onset`)."""
    if candidate.kind in ("generalized", "none"):
        pattern = finding_model.patterns.get(candidate.id)
        return pattern is not None and pattern.follows_onset
    return True


def _condition_on_the_other_side(abnormal: FloatArray, index: FindingIndex) -> None:
    """Only one side can be the smaller, so a study's right-side difference is scored only when
    the left is not the smaller side (`findings._side_differences`); its column holds
    P(right smaller | left not smaller) = P(right smaller) / (1 - P(left smaller))."""
    kind = FindingKind.SIDE_DIFFERENCE
    for (side, organ, found, variant), right in index.by_name.items():
        if side != "right" or found is not kind:
            continue
        left = index.by_name.get(("left", organ, kind, variant))
        if left is None:
            continue
        not_left = np.maximum(1.0 - abnormal[:, left], PROBABILITY_FLOOR)
        abnormal[:, right] = np.minimum(abnormal[:, right] / not_left, 1.0)


def candidate_log_prior(kb: KnowledgeBase, candidates: Sequence[LesionCandidate]) -> FloatArray:
    """Log prior of each candidate, from the knowledge base's disorder frequencies.

    Each disorder's prior is shared among the lesion sites it produces (by its `site_shares`),
    and a site's share among its sides. So an L5 root lesion (disc herniation is common) starts
    ahead of a lumbosacral trunk lesion (obstetric and pelvic causes are rare), while findings
    still decide. The even part is spread by `LesionCandidate.even_share`: a lesion spanning
    several structures takes a fraction of a single place's share, so a large composite that
    explains every abnormal finding does not outrank the common single lesion on the floor alone.
    """
    share: dict[str, float] = {}
    for disorder in kb.disorders.values():
        for site, weight in disorder.site_weights().items():
            share[site] = share.get(site, 0.0) + disorder.prior * weight
    sides = Counter(candidate.id for candidate in candidates)
    frequency = np.array([share.get(c.id, 0.0) / sides[c.id] for c in candidates])
    even = np.array([candidate.even_share for candidate in candidates])
    prior = even / even.sum()
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

    The time factor applies to focal candidates and to the generalized patterns that can begin
    with the complaint (`follows_onset`: an acute polyradiculoneuropathy); the other patterns
    and the background polyneuropathy are slow processes whose findings are already present
    when the patient is seen, whatever the onset of the current complaint.
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
    focal = np.array([_develops_after_onset(c, finding_model) for c in arrays.candidates])
    background_column = [c.id for c in arrays.candidates].index("length_dependent_polyneuropathy")
    background = excess * reach[:, background_column]  # the background's own effect
    bins = len(finding_model.time_bin_days)
    abnormal = np.empty((bins, len(index.specs), len(arrays.candidates), 2))
    for bin_ in range(bins):
        timing = np.where(focal[None, :], time[bin_][:, None], 1.0)
        alone = false_positive[:, None] + excess[:, None] * reach * timing
        abnormal[bin_, :, :, 0] = alone
        abnormal[bin_, :, :, 1] = 1.0 - (1.0 - alone) * (1.0 - background[:, None])
    _condition_on_the_other_side(abnormal, index)
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
