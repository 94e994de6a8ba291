"""Where and why, as one answer: the joint posterior over lesion site and cause.

    P(k, c | case) ∝ P(c) · R(c) · P(history | c)^t_h · P(k | c) · P(studies | k)^t_e
                     · P(imaging | k, c)^t_i

- P(c): the disorder's prior; R(c): the facts it cannot be without (`requirements`: no
  obstetric injury for a man, no radiation plexopathy when radiotherapy is recorded as none,
  and one tenth of it when radiotherapy is not recorded at all);
- P(history | c): the etiology model's facts, each counted once (`engine.etiology`), leaving
  out what the site model scores (symptoms in both legs, sphincter failure) and imaging;
- P(k | c): the disorder's `localizations` and cited `site_shares`, split by side with the
  disorder's bilateral frequency where the site has a bilateral form, plus a small leak
  (`site_leak`) to every other focal site, so rare places stay possible;
- P(studies | k): the electrodiagnostic model's K × 2 likelihood (lesion × background
  polyneuropathy; `engine.likelihood`), the background summed out. For "no neuromuscular
  lesion", symptoms in a leg are what brought a person with hip disease or functional weakness
  to the clinic, so the leg-affected finding is scored as the non-neural causes make it (one
  leg, or both in their bilateral share) rather than at its false-positive rate;
- P(imaging | k, c): a finding's kind speaks of the cause and its place of the site
  (`engine.imaging_evidence`).

The site marginal (sum over causes), the cause marginal (sum over sites) and the plexopathy
probability (the plexus and radiculoplexus sites) all come from this one table, so they cannot
contradict each other. The exponents t are the fitted tempering of `site_and_cause.yaml`: the
correction for findings that travel together. When the electrodiagnostic evidence is thin or
early (`localization.blend_weight`), the table is blended with the one that leaves the
examination and studies out, so both marginals stay consistent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import ImagingFinding
from plexcare.engine.etiology import (
    EtiologyModel,
    compile_etiology,
    fact_matrix,
    history_log_likelihood,
    requirement_log_factor,
)
from plexcare.engine.finding_model import FindingKind
from plexcare.engine.findings import ObservationBatch, Observations
from plexcare.engine.imaging_evidence import (
    ImagingEvidence,
    ImagingFactors,
    ImagingModel,
    compile_imaging,
    imaging_evidence,
    imaging_factors,
)
from plexcare.engine.lesion_candidates import PLEXUS_KINDS, LesionCandidate
from plexcare.engine.likelihood import PROBABILITY_FLOOR, LocalizationModel
from plexcare.engine.localization import blend_weight, localization_model
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
NO_LESION = "no_neuromuscular_lesion"
HISTORY_SCORED_FINDINGS = (FindingKind.HYPERREFLEXIA.value,)
"""Findings the joint model leaves to the cause model: a brisk reflex is the etiology feature
`upper_motor_neuron_signs` (with the extensor plantar), whose frequency each cause states, so
the site model's hyperreflexia column would count the same reflex grade a second time."""
LOG_ZERO = -700.0
UNKNOWN, NORMAL, ABNORMAL = 0, 1, 2


@dataclass(frozen=True)
class Tempering:
    """How correlated findings count (`site_and_cause.yaml`, `tempering`)."""

    electrodiagnosis: float
    history: float
    imaging: float
    within_end_organ: float = 0.0
    within_nerve: float = 0.0


@dataclass(frozen=True)
class SiteAndCauseModel:
    """The joint model compiled from one knowledge base (see the module docstring)."""

    kb_version: str
    localization: LocalizationModel
    etiology: EtiologyModel
    imaging: ImagingModel
    tempering: Tempering
    site_given_cause: FloatArray = field(repr=False)  # (D, K) P(k | c)
    log_prior: FloatArray = field(repr=False)  # (K, D) log P(c) + log P(k | c)
    plexus: npt.NDArray[np.bool_] = field(repr=False)  # (K,)
    organ_of: npt.NDArray[np.int64] = field(repr=False)  # (findings,) end organ group
    nerve_of: npt.NDArray[np.int64] = field(repr=False)  # (findings,) nerve group, -1 none
    organ_nerve: npt.NDArray[np.int64] = field(repr=False)  # (organs,) nerve group, -1 none
    none_column: int = -1
    leg_columns: tuple[int, int] = (-1, -1)  # finding columns: left, right leg affected
    scored_as_history: npt.NDArray[np.bool_] = field(
        default_factory=lambda: np.zeros(0, dtype=bool), repr=False
    )  # (findings,) findings the cause model scores instead (brisk reflexes)
    none_leg: FloatArray = field(default_factory=lambda: np.zeros((3, 3)), repr=False)

    @property
    def candidates(self) -> tuple[LesionCandidate, ...]:
        return self.localization.arrays.candidates

    @property
    def organ_count(self) -> int:
        return len(self.organ_nerve)

    @property
    def nerve_count(self) -> int:
        return int(self.nerve_of.max()) + 1 if self.nerve_of.size else 0

    @property
    def site_prior(self) -> FloatArray:
        """(K,) P(k) = Σ_c P(c) P(k | c)."""
        prior: FloatArray = np.exp(self.etiology.log_prior) @ self.site_given_cause
        return prior


def site_and_cause_model(kb: KnowledgeBase) -> SiteAndCauseModel:
    """The compiled joint model for this knowledge base (compiled on first use, then reused)."""
    return kb.derived("site_and_cause_model", compile_site_and_cause)


def _bilateral_share(etiology: EtiologyModel) -> FloatArray:
    column = etiology.feature_index.get("bilateral")
    if column is None:
        return np.zeros(len(etiology.disorders))
    share: FloatArray = etiology.frequency[:, column]
    return share


def site_given_cause(
    kb: KnowledgeBase, etiology: EtiologyModel, candidates: Sequence[LesionCandidate]
) -> FloatArray:
    """(D, K) P(site | cause) from the disorders' site shares, sides and the leak."""
    by_id: dict[str, list[int]] = {}
    for column, candidate in enumerate(candidates):
        by_id.setdefault(candidate.id, []).append(column)
    focal = np.array([c.kind not in ("generalized", "none") for c in candidates])
    even = np.where(focal, [c.even_share for c in candidates], 0.0)
    even = even / even.sum()
    leak = kb.site_and_cause.site_leak.share
    bilateral = _bilateral_share(etiology)
    table = np.zeros((len(etiology.disorders), len(candidates)))
    for row, key in enumerate(etiology.disorders):
        for site, weight in kb.disorders[key].site_weights().items():
            columns = by_id.get(site, [])
            sides = {candidates[c].side: c for c in columns}
            if len(columns) == 1:
                table[row, columns[0]] += weight
                continue
            both = bilateral[row] if "both" in sides else 0.0
            for side, column in sides.items():
                share = both if side == "both" else (1.0 - both) / 2.0
                table[row, column] += weight * share
        neural = table[row, [c.id != NO_LESION for c in candidates]].sum() > 0
        if neural:
            table[row] = (1.0 - leak) * table[row] / max(table[row].sum(), 1e-300) + leak * even
        else:
            table[row] /= max(table[row].sum(), 1e-300)
    return table


def _none_leg_table(kb: KnowledgeBase, etiology: EtiologyModel, share: FloatArray) -> FloatArray:
    """(3, 3) log P(left, right leg-affected state | no lesion, a non-neural cause).

    States: unknown, normal, abnormal. The non-neural causes make symptoms in one leg, or in
    both in their bilateral share; a leg is reported affected with the finding's sensitivity
    when symptomatic and its false-positive rate when not.
    """
    kind = kb.electrodiagnosis.finding_kinds[FindingKind.LEG_AFFECTED.value]
    sensitivity, false_positive = kind.sensitivity, kind.false_positive
    prior = np.exp(etiology.log_prior)
    weights = prior * share
    bilateral = _bilateral_share(etiology)
    both = float((weights * bilateral).sum() / weights.sum()) if weights.sum() > 0 else 0.25
    patterns = {"left": (1.0 - both) / 2.0, "right": (1.0 - both) / 2.0, "both": both}
    table = np.zeros((3, 3))
    for left in (UNKNOWN, NORMAL, ABNORMAL):
        for right in (UNKNOWN, NORMAL, ABNORMAL):
            total = 0.0
            for pattern, weight in patterns.items():
                p = weight
                for state, symptomatic in (
                    (left, pattern in ("left", "both")),
                    (right, pattern in ("right", "both")),
                ):
                    affected = sensitivity if symptomatic else false_positive
                    if state == ABNORMAL:
                        p *= affected
                    elif state == NORMAL:
                        p *= 1.0 - affected
                total += p
            table[left, right] = np.log(total)
    return table


def _groups(
    kb: KnowledgeBase, localization: LocalizationModel
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each finding column's end organ and nerve (the first nerve a muscle, study, skin area
    or reflex names, on its side), as integer groups; -1 where no nerve is named. A side
    difference is a group of its own."""
    organs: dict[str, int] = {}
    nerves: dict[str, int] = {}
    organ_of, nerve_of = [], []
    for spec in localization.findings.specs:
        organ = spec.organ
        if spec.kind is FindingKind.SIDE_DIFFERENCE:
            # A comparison of both sides is scored on one side only when the other is not
            # the smaller (`likelihood._condition_on_the_other_side`): it stands alone, so a
            # mirrored case weighs the same.
            organ_of.append(organs.setdefault(spec.key, len(organs)))
            nerve_of.append(-1)
            continue
        organ_of.append(organs.setdefault(organ.key, len(organs)))
        record = (
            kb.muscles.get(organ.id)
            if organ.type == "muscle"
            else kb.studies.get(organ.id)
            if organ.type == "study"
            else kb.sensory_areas.get(organ.id)
            if organ.type == "area"
            else kb.reflexes.get(organ.id)
            if organ.type == "reflex"
            else None
        )
        named = getattr(record, "nerves", ()) if record is not None else ()
        key = f"{organ.side}:{named[0]}" if named else ""
        nerve_of.append(nerves.setdefault(key, len(nerves)) if key else -1)
    return np.array(organ_of, dtype=np.int64), np.array(nerve_of, dtype=np.int64)


def _organ_nerve(
    organ_of: npt.NDArray[np.int64], nerve_of: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Each end organ's nerve group (every finding of one organ names the same nerve)."""
    organ_nerve = np.full(int(organ_of.max()) + 1 if organ_of.size else 0, -1, dtype=np.int64)
    organ_nerve[organ_of] = nerve_of
    return organ_nerve


def finding_weights(
    model: SiteAndCauseModel, columns: npt.NDArray[np.int64], tempering: Tempering
) -> FloatArray:
    """Each observed finding's share of its groups' effective number of independent findings.

    n findings with pairwise correlation rho carry the information of n / (1 + rho (n - 1))
    independent ones (the design effect), so each counts 1 / (1 + rho (n - 1)): once for the
    findings of its end organ, and once more for the end organs of its nerve.
    """
    if columns.size == 0:
        return np.zeros(0)
    return _cell_weights(model, np.zeros(len(columns), dtype=np.int64), columns, tempering)


def compile_site_and_cause(kb: KnowledgeBase) -> SiteAndCauseModel:
    localization = localization_model(kb)
    etiology = compile_etiology(kb)
    candidates = localization.arrays.candidates
    table = site_given_cause(kb, etiology, candidates)
    log_prior = etiology.log_prior[None, :] + np.log(np.maximum(table.T, 1e-300))
    ids = [c.id for c in candidates]
    none_column = ids.index(NO_LESION) if NO_LESION in ids else -1
    by_name = localization.findings.by_name
    leg = FindingKind.LEG_AFFECTED
    legs = (
        by_name.get(("left", "leg", leg, ""), -1),
        by_name.get(("right", "leg", leg, ""), -1),
    )
    share = table[:, none_column] if none_column >= 0 else np.zeros(len(etiology.disorders))
    tempering = kb.site_and_cause.tempering
    organ_of, nerve_of = _groups(kb, localization)
    history_kinds = {FindingKind(kind) for kind in HISTORY_SCORED_FINDINGS}
    scored_as_history = np.array(
        [spec.kind in history_kinds for spec in localization.findings.specs], dtype=bool
    )
    return SiteAndCauseModel(
        kb_version=kb.version,
        localization=localization,
        etiology=etiology,
        imaging=compile_imaging(kb, etiology, candidates),
        tempering=Tempering(
            tempering.electrodiagnosis,
            tempering.history,
            tempering.imaging,
            tempering.within_end_organ,
            tempering.within_nerve,
        ),
        site_given_cause=table,
        log_prior=np.maximum(log_prior, LOG_ZERO),
        plexus=np.array([c.kind in PLEXUS_KINDS for c in candidates]),
        organ_of=organ_of,
        nerve_of=nerve_of,
        organ_nerve=_organ_nerve(organ_of, nerve_of),
        none_column=none_column,
        leg_columns=legs,
        none_leg=_none_leg_table(kb, etiology, share),
        scored_as_history=scored_as_history,
    )


@dataclass(frozen=True)
class Evidence:
    """One case as the joint model reads it."""

    observations: Observations
    states: FloatArray  # (F,) etiology feature states: +1 present, -1 absent, 0 unknown
    imaging: tuple[ImagingFinding, ...] = ()


@dataclass(frozen=True)
class SiteAndCause:
    """The joint answer for one case: the table and its two marginals."""

    joint: FloatArray = field(repr=False)  # (K, D), blended as shown
    site: FloatArray = field(repr=False)  # (K,)
    cause: FloatArray = field(repr=False)  # (D,)
    plexopathy_probability: float
    background_polyneuropathy: float
    site_background: FloatArray = field(repr=False)  # (K, 2) P(k, b), for planning tests
    site_evidence: FloatArray = field(repr=False)  # (K,) tempered log-likelihood of the studies
    facts: FloatArray = field(repr=False)  # (C,) the etiology facts the case states
    imaging: ImagingEvidence | None = field(repr=False)
    blend: float = 0.0
    site_prior: FloatArray = field(default_factory=lambda: np.zeros(0), repr=False)
    """(K,) P(k | history, imaging): the site before the studies, which the next-test planner
    blends with as the answer does."""


def _leg_state(value: int) -> int:
    return UNKNOWN if value < 0 else NORMAL if value == 0 else ABNORMAL


def _edx_rows(
    model: SiteAndCauseModel, observations: Observations
) -> tuple[FloatArray, npt.NDArray[np.int64], FloatArray]:
    """Each observed finding's (K, 2) log-likelihood row, its columns, and the correction that
    scores the no-lesion column's leg findings as referred (added after weighting)."""
    table = model.localization
    bin_ = observations.time_bin
    columns = np.array(observations.abnormal + observations.normal, dtype=np.int64)
    abnormal = len(observations.abnormal)
    rows = np.concatenate(
        [table.log_abnormal[bin_, columns[:abnormal]], table.log_normal[bin_, columns[abnormal:]]]
    )
    correction = np.zeros(rows.shape[1:])
    column = model.none_column
    if column >= 0:
        found = set(observations.abnormal)
        seen = set(columns.tolist())
        states = []
        for leg in model.leg_columns:
            value = -1 if leg not in seen else 1 if leg in found else 0
            states.append(_leg_state(value))
            if value >= 0:
                log_rows = table.log_abnormal if value == 1 else table.log_normal
                correction[column] -= log_rows[bin_, leg, column]
        correction[column] += model.none_leg[states[0], states[1]]
    return rows, columns, correction


def _log_background(prior: FloatArray) -> FloatArray:
    b = np.clip(prior, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return np.stack([np.log1p(-b), np.log(b)], axis=-1)


def _normalise(log_joint: FloatArray) -> FloatArray:
    """Normalise over the last two axes (site × cause)."""
    shift = log_joint.max(axis=(-2, -1), keepdims=True)
    weights = np.exp(log_joint - shift)
    result: FloatArray = weights / weights.sum(axis=(-2, -1), keepdims=True)
    return result


@dataclass(frozen=True)
class Parts:
    """One case's evidence, scored but not yet tempered or combined."""

    rows: FloatArray  # (findings, K, 2) each observed finding's log-likelihood
    columns: npt.NDArray[np.int64]  # (findings,) their finding columns
    leg_correction: FloatArray  # (K, 2) the no-lesion leg findings scored as referred
    log_background: FloatArray  # (2,) log P(no background polyneuropathy), log P(one)
    history: FloatArray  # (D,) untempered history log-likelihood ratio
    requirements: FloatArray  # (D,) log factor of the facts a cause cannot be without
    facts: FloatArray  # (C,)
    imaging: ImagingEvidence | None
    blend: float


def parts(model: SiteAndCauseModel, evidence: Evidence) -> Parts:
    observations = evidence.observations
    states = evidence.states[None, :]
    facts = fact_matrix(model.etiology, states)
    rows, columns, correction = _edx_rows(model, observations)
    return Parts(
        rows=rows,
        columns=columns,
        leg_correction=correction,
        log_background=_log_background(np.asarray(observations.background_prior)),
        history=history_log_likelihood(model.etiology, facts, joint=True)[0],
        requirements=requirement_log_factor(model.etiology, states)[0],
        facts=facts[0],
        imaging=imaging_evidence(model.imaging, evidence.imaging),
        blend=blend_weight(observations.count, observations.days_since_onset),
    )


def combine(model: SiteAndCauseModel, found: Parts, tempering: Tempering) -> SiteAndCause:
    """The joint posterior from scored parts, with the given tempering."""
    weights = finding_weights(model, found.columns, tempering)
    findings, sites, backgrounds = found.rows.shape
    # tensordot's own arithmetic (one matrix product), without its argument handling.
    summed = weights @ found.rows.reshape(findings, sites * backgrounds)
    edx = summed.reshape(sites, backgrounds) + found.leg_correction
    with_background = tempering.electrodiagnosis * edx + found.log_background
    site_evidence = np.logaddexp(with_background[:, 0], with_background[:, 1])
    history = tempering.history * found.history + found.requirements
    base = model.log_prior + history[None, :]
    if found.imaging is not None:
        base = base + tempering.imaging * found.imaging.log_likelihood
    flat = _normalise(base)
    shown = _normalise(base + site_evidence[:, None])
    if found.blend > 0:
        shown = (1.0 - found.blend) * shown + found.blend * flat
    site = shown.sum(axis=1)
    given_site = np.exp(with_background - site_evidence[:, None])  # P(b | k, studies)
    site_background = site[:, None] * given_site
    return SiteAndCause(
        joint=shown,
        site=site,
        cause=shown.sum(axis=0),
        plexopathy_probability=float(site[model.plexus].sum()),
        background_polyneuropathy=float(site_background[:, 1].sum()),
        site_background=site_background,
        site_evidence=site_evidence,
        facts=found.facts,
        imaging=found.imaging,
        blend=found.blend,
        site_prior=flat.sum(axis=1),
    )


def score(model: SiteAndCauseModel, evidence: Evidence) -> SiteAndCause:
    """The joint posterior for one case, with the knowledge base's tempering."""
    return combine(model, parts(model, evidence), model.tempering)


@dataclass(frozen=True)
class BatchSiteAndCause:
    """Many cases at once: site and cause marginals (cases × K, cases × D)."""

    site: FloatArray
    cause: FloatArray
    plexopathy_probability: FloatArray


def _marginals(
    prior: FloatArray, cause_weight: FloatArray, site_weight: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Unnormalised site and cause marginals of P(k, c) ∝ site_weight(k) · prior(k, c) ·
    cause_weight(c) for many cases at once, without forming the cases × K × D table."""
    site = site_weight * (cause_weight @ prior.T)  # (N, K)
    cause = cause_weight * (site_weight @ prior)  # (N, D)
    return site, cause


def score_batch(
    model: SiteAndCauseModel,
    edx_log_likelihood: FloatArray,
    background_priors: FloatArray,
    states: FloatArray,
    imaging: Sequence[Sequence[ImagingFinding]],
    blends: FloatArray,
) -> BatchSiteAndCause:
    """The joint posterior of many cases, from their (cases × K × 2) study log-likelihood.

    The same arithmetic as `score`, vectorized. The table factorises into a site term, the
    shared prior P(c) P(k | c) and a cause term, so the marginals are two matrix products;
    imaging adds a cause term and, for the few causes under which a finding lies at the
    lesion, a site-and-cause term (`ImagingFactors`), added as a correction on those columns.
    """
    t = model.tempering
    edx = t.electrodiagnosis * edx_log_likelihood + _log_background(background_priors)[:, None, :]
    site_evidence = np.logaddexp(edx[..., 0], edx[..., 1])  # (N, K)
    facts = fact_matrix(model.etiology, states)
    history = t.history * history_log_likelihood(model.etiology, facts, joint=True)
    history = history + requirement_log_factor(model.etiology, states)  # (N, D)
    # Grouped by the sequence object first: rows that share one (a batch read from data
    # keeps each different imaging once) cost one hash of their findings, not one a row.
    shared: dict[int, tuple[Sequence[ImagingFinding], list[int]]] = {}
    for row, findings in enumerate(imaging):
        if findings:
            shared.setdefault(id(findings), (findings, []))[1].append(row)
    groups: dict[tuple[ImagingFinding, ...], list[int]] = {}
    for findings, members in shared.values():
        groups.setdefault(tuple(findings), []).extend(members)
    factors: list[tuple[npt.NDArray[np.int64], ImagingFactors]] = []
    for key, members in groups.items():
        if (factor := imaging_factors(model.imaging, key)) is not None:
            rows = np.array(members, dtype=np.int64)
            history[rows] += t.imaging * factor.cause_term
            factors.append((rows, factor))
    prior = np.exp(model.log_prior - model.log_prior.max())
    cause_weight = np.exp(history - history.max(axis=1, keepdims=True))
    site_weight = np.exp(site_evidence - site_evidence.max(axis=1, keepdims=True))
    site, cause = _marginals(prior, cause_weight, site_weight)
    # The answer before the studies, for the cases blended with it (thin or early evidence).
    blended_rows = np.flatnonzero(blends > 0)
    flat = np.zeros_like(site_weight)
    flat[blended_rows] = 1.0
    flat_site, flat_cause = np.zeros_like(site), np.zeros_like(cause)
    flat_site[blended_rows], flat_cause[blended_rows] = _marginals(
        prior, cause_weight[blended_rows], flat[blended_rows]
    )
    for rows, factor in factors:
        # Cases with the same imaging share the site-and-cause correction on its few causes.
        columns = factor.causes
        if not len(columns):
            continue
        extra = prior[:, columns] * (np.exp(t.imaging * factor.site_terms) - 1.0)  # (K, S)
        weights_of_causes = cause_weight[np.ix_(rows, columns)]  # (R, S)
        for weights, sites, causes in (
            (site_weight[rows], site, cause),
            (flat[rows], flat_site, flat_cause),
        ):
            sites[rows] += weights * (weights_of_causes @ extra.T)
            causes[np.ix_(rows, columns)] += (weights @ extra) * weights_of_causes
    site /= site.sum(axis=1, keepdims=True)
    cause /= cause.sum(axis=1, keepdims=True)
    if blended_rows.size:
        w = blends[blended_rows, None]
        rows_site, rows_cause = flat_site[blended_rows], flat_cause[blended_rows]
        rows_site /= rows_site.sum(axis=1, keepdims=True)
        rows_cause /= rows_cause.sum(axis=1, keepdims=True)
        site[blended_rows] = (1.0 - w) * site[blended_rows] + w * rows_site
        cause[blended_rows] = (1.0 - w) * cause[blended_rows] + w * rows_cause
    return BatchSiteAndCause(
        site=site,
        cause=cause,
        plexopathy_probability=site[:, model.plexus].sum(axis=1),
    )


def cause_fit(model: SiteAndCauseModel, answer: SiteAndCause) -> FloatArray:
    """(D,) how much the examination and studies favour each cause: the Bayes factor
    Σ_k P(k | c) L(k) / Σ_k P(k) L(k) of the tempered study likelihood L."""
    evidence = np.exp(answer.site_evidence - answer.site_evidence.max())
    by_cause = model.site_given_cause @ evidence
    overall = float(model.site_prior @ evidence)
    fit: FloatArray = by_cause / max(overall, 1e-300)
    return fit


CASES_A_CHUNK = 1_024
"""Cases whose cells `_cell_weights` counts at once: its (case, end organ) counts for this
many cases take some 2 MB, which stays in a core's cache; for 20,000 cases at once they took
44 MB, written and scanned again from memory (half the time of the study likelihood)."""


def _cell_weights(
    model: SiteAndCauseModel,
    rows: npt.NDArray[np.int64],
    columns: npt.NDArray[np.int64],
    tempering: Tempering | None = None,
    cases_a_chunk: int = CASES_A_CHUNK,
) -> FloatArray:
    """`finding_weights` for the observed cells of many cases at once, by counting, the
    cells given case by case (`rows` in order, as a row-major scan of a batch finds them).

    A case's weights depend on its own cells alone, so the cases are counted a chunk at a
    time, with the same sums as all at once.
    """
    t = tempering or model.tempering
    cases = int(rows[-1]) + 1 if rows.size else 0
    if cases <= cases_a_chunk:
        return _chunk_weights(model, rows, columns, t, cases)
    bounds = np.searchsorted(rows, np.arange(0, cases + cases_a_chunk, cases_a_chunk)).tolist()
    return np.concatenate(
        [
            _chunk_weights(model, rows[start:end] - first, columns[start:end], t, cases_a_chunk)
            for first, start, end in zip(
                range(0, cases, cases_a_chunk), bounds[:-1], bounds[1:], strict=True
            )
        ]
    )


def _chunk_weights(
    model: SiteAndCauseModel,
    rows: npt.NDArray[np.int64],
    columns: npt.NDArray[np.int64],
    t: Tempering,
    cases: int,
) -> FloatArray:
    """`_cell_weights` for the cells of `cases` cases (numbered from 0): cells of one case
    and end organ are counted with one `bincount` over (case, organ); the end organs each
    nerve has in a case with another over (case, nerve) of the organs seen."""
    kept = (
        ~model.scored_as_history[columns]
        if model.scored_as_history.size
        else np.ones(len(columns), dtype=bool)
    )
    organs = model.organ_of[columns]
    span = model.organ_count
    per_organ = np.bincount(rows * span + organs, weights=kept, minlength=cases * span)
    count_in_organ = np.maximum(per_organ[rows * span + organs], 1.0)
    weight = kept / (1.0 + t.within_end_organ * (count_in_organ - 1))
    if t.within_nerve > 0 and model.nerve_count:
        seen = np.flatnonzero(per_organ)
        case_of, organ = np.divmod(seen, span)
        nerve = model.organ_nerve[organ]
        named = nerve >= 0
        nerve_span = model.nerve_count
        organs_in_nerve = np.bincount(
            case_of[named] * nerve_span + nerve[named], minlength=cases * nerve_span
        )
        cell_nerve = model.nerve_of[columns]
        has = cell_nerve >= 0
        count = organs_in_nerve[rows[has] * nerve_span + cell_nerve[has]]
        weight[has] /= 1.0 + t.within_nerve * (count - 1)
    result: FloatArray = weight
    return result


def edx_log_likelihood_batch(model: SiteAndCauseModel, batch: ObservationBatch) -> FloatArray:
    """(cases × K × 2) weighted study log-likelihood of a batch, as `combine` scores one case
    (before the electrodiagnosis exponent): each observed cell picks its table row (time bin,
    normal or abnormal, finding) with its share of its groups as the weight, and one
    sparse-times-dense product sums the weighted rows of every case at once, without
    materialising the gathered rows. SciPy is imported here, as for `localize_batch`, so a
    server that never scores a batch does not pay for it at start-up."""
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    table = model.localization
    n_cases, findings = batch.matrix.shape
    k = len(model.candidates)
    cells = np.flatnonzero(batch.matrix.ravel() >= 0)  # row-major: each case's cells in order
    rows, columns = np.divmod(cells, findings)
    values = batch.matrix.ravel()[cells].astype(np.int64)
    picked = batch.time_bins[rows] * (2 * findings) + values * findings + columns
    row_starts = np.zeros(n_cases + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_cases), out=row_starts[1:])
    selection = csr_matrix(
        (_cell_weights(model, rows, columns), picked, row_starts),
        shape=(n_cases, table.log_rows.shape[0]),
    )
    log_lik = np.asarray(selection @ table.log_rows, dtype=np.float64)
    result = log_lik.reshape(n_cases, k, 2)
    column = model.none_column
    if column < 0:
        return result
    states = []
    for leg in model.leg_columns:
        if leg < 0:
            states.append(np.zeros(n_cases, dtype=np.int64))
            continue
        values = batch.matrix[:, leg].astype(np.int64)
        leg_rows = np.where(
            values[:, None] == 1,
            table.log_abnormal[batch.time_bins, leg, column],
            np.where(values[:, None] == 0, table.log_normal[batch.time_bins, leg, column], 0.0),
        )
        result[:, column] -= leg_rows
        states.append(np.where(values < 0, UNKNOWN, np.where(values == 0, NORMAL, ABNORMAL)))
    result[:, column] += model.none_leg[states[0], states[1]][:, None]
    return result
