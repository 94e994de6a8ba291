"""Rank the causes: which disorder most likely produced this picture, and why.

A naive-Bayes model over the closed feature vocabulary, tied to the anatomical answer:

    posterior(d) ∝ prior(d) × Π_f P(feature state | d) × localization fit(d)

P(present | d) is the disorder's published frequency, or the feature's base rate in the
referral population when the disorder gives none (so an unlisted feature neither favours nor
disfavours it); an absent feature counts as 1 − p, an unknown one is left out. The localization
fit is the mean, over the lesion sites the disorder produces, of how much the localization
posterior of that site (both sides summed) exceeds its prior: a likelihood ratio, floored so a
localization the model got wrong cannot erase a cause altogether.

The model is compiled once per knowledge base into arrays (disorders × features), so a batch of
cases is ranked with two matrix products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from plexcare.engine.etiology_features import EtiologyFindings
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]

LOCALIZATION_FIT_FLOOR = 0.05
"""Smallest localization likelihood ratio: a cause whose sites the localization all but rules
out is scaled down twenty-fold, not removed, since localization itself can be wrong."""

PROBABILITY_CLIP = (1e-3, 1 - 1e-3)
"""Frequencies of 0 or 1 would let one finding veto a cause; published series are too small to
support certainty, so likelihoods are kept inside this range."""

PRIOR_FLOOR = 1e-6

EXPLAINED_FEATURES = 3
"""How many features (for and against) each cause names in its explanation."""

EXPLAINED_CAUSES = 8
"""How many of the leading causes are explained feature by feature."""

MEANINGFUL_WEIGHT = np.log(1.25)
"""A feature moving a cause by less than 1.25× is not worth naming."""


@dataclass(frozen=True)
class SiteSupport:
    """Localization's answer per lesion site id (both sides summed): posterior and prior."""

    posterior: Mapping[str, float]
    prior: Mapping[str, float]


@dataclass(frozen=True)
class FeatureWeight:
    """One feature's pull on one cause: log-likelihood ratio against the referral base rate."""

    feature: str
    name: str
    present: bool
    reason: str
    weight: float

    @property
    def factor(self) -> float:
        return float(np.exp(self.weight))


@dataclass(frozen=True)
class RankedCause:
    disorder: str
    name: str
    category: str
    probability: float
    supporting: tuple[FeatureWeight, ...]
    against: tuple[FeatureWeight, ...]
    localization_fit: float
    localization_note: str

    def explanation(self) -> str:
        """The reasons in one line a clinician reads: features for, against, and anatomy."""
        parts: list[str] = []
        if self.supporting:
            parts.append("for: " + "; ".join(_describe(w) for w in self.supporting))
        if self.against:
            parts.append("against: " + "; ".join(_describe(w) for w in self.against))
        if self.localization_note:
            parts.append(self.localization_note)
        return " | ".join(parts)


def _describe(weight: FeatureWeight) -> str:
    what = weight.reason
    return (
        f"{what} ×{weight.factor:.1f}" if weight.weight > 0 else f"{what} ÷{1 / weight.factor:.1f}"
    )


@dataclass(frozen=True)
class EtiologyModel:
    """Disorders × features likelihood arrays compiled from one knowledge base."""

    disorders: tuple[str, ...]
    names: tuple[str, ...]
    categories: tuple[str, ...]
    features: tuple[str, ...]
    feature_names: tuple[str, ...]
    log_prior: FloatArray  # (D,)
    log_present: FloatArray  # (D, F) log P(present | d)
    log_absent: FloatArray  # (D, F) log P(absent | d)
    base_present: FloatArray  # (F,) log base rate
    base_absent: FloatArray  # (F,)
    sites: tuple[str, ...]
    site_weights: FloatArray  # (D, S): the disorder's share of cases at each site it names

    @cached_property
    def feature_index(self) -> dict[str, int]:
        """Feature id -> column; built on first use, since every assessment asks for it."""
        return {f: i for i, f in enumerate(self.features)}


def compile_etiology(kb: KnowledgeBase) -> EtiologyModel:
    """Build the arrays once; everything per case is then arithmetic on them."""
    disorders = sorted(kb.disorders)
    features = list(kb.etiology_features)
    index = {f: i for i, f in enumerate(features)}
    low, high = PROBABILITY_CLIP
    base = np.clip([kb.etiology_features[f].base_rate for f in features], low, high)
    likelihood = np.tile(base, (len(disorders), 1))
    sites = sorted({site for d in kb.disorders.values() for site in d.localizations})
    site_index = {s: i for i, s in enumerate(sites)}
    site_weights = np.zeros((len(disorders), len(sites)))
    prior = np.empty(len(disorders))
    for row, key in enumerate(disorders):
        disorder = kb.disorders[key]
        prior[row] = max(disorder.prior, PRIOR_FLOOR)
        for item in disorder.features:
            if item.feature in index:
                likelihood[row, index[item.feature]] = np.clip(item.frequency, low, high)
        for site, weight in disorder.site_weights().items():
            site_weights[row, site_index[site]] = weight
    prior /= prior.sum() if len(prior) else 1.0
    return EtiologyModel(
        disorders=tuple(disorders),
        names=tuple(kb.disorders[d].name for d in disorders),
        categories=tuple(kb.disorders[d].category for d in disorders),
        features=tuple(features),
        feature_names=tuple(kb.etiology_features[f].name for f in features),
        log_prior=np.log(prior),
        log_present=np.log(likelihood),
        log_absent=np.log1p(-likelihood),
        base_present=np.log(base),
        base_absent=np.log1p(-base),
        sites=tuple(sites),
        site_weights=site_weights,
    )


def feature_matrix(model: EtiologyModel, findings: Sequence[EtiologyFindings]) -> FloatArray:
    """Cases × features: +1 present, -1 absent, 0 unknown."""
    index = model.feature_index
    matrix = np.zeros((len(findings), len(model.features)))
    for row, found in enumerate(findings):
        for feature in found.present:
            if feature in index:
                matrix[row, index[feature]] = 1.0
        for feature in found.absent:
            if feature in index:
                matrix[row, index[feature]] = -1.0
    return matrix


def site_ratio_matrix(model: EtiologyModel, support: Sequence[SiteSupport]) -> FloatArray:
    """Cases × sites: localization posterior / prior; 1 (neutral) where localization is silent."""
    ratios = np.ones((len(support), len(model.sites)))
    for row, answer in enumerate(support):
        for col, site in enumerate(model.sites):
            prior = answer.prior.get(site, 0.0)
            if prior > 0:
                ratios[row, col] = answer.posterior.get(site, 0.0) / prior
    return ratios


def candidate_site_map(model: EtiologyModel, candidate_ids: Sequence[str]) -> FloatArray:
    """Candidates × sites: 1 where a localization candidate (any side) is that lesion site."""
    index = {site: col for col, site in enumerate(model.sites)}
    mapping = np.zeros((len(candidate_ids), len(model.sites)))
    for row, candidate in enumerate(candidate_ids):
        if candidate in index:
            mapping[row, index[candidate]] = 1.0
    return mapping


def site_ratios_from_candidates(
    site_map: FloatArray, posterior: FloatArray, prior: FloatArray
) -> FloatArray:
    """Cases × sites likelihood ratio from a localization posterior over sided candidates.

    `posterior` is cases × candidates, `prior` the candidates' prior; each site sums its
    candidates over sides. A site no candidate stands for stays neutral (ratio 1).
    """
    site_prior = prior @ site_map
    site_post = posterior @ site_map
    known = site_prior > 0
    ratios: FloatArray = np.ones_like(site_post)
    ratios[:, known] = site_post[:, known] / site_prior[known]
    return ratios


def localization_fit(model: EtiologyModel, site_ratios: FloatArray) -> FloatArray:
    """Cases × disorders: mean site likelihood ratio of each disorder's sites, floored."""
    fit: FloatArray = site_ratios @ model.site_weights.T
    return np.maximum(fit, LOCALIZATION_FIT_FLOOR)


def posterior_matrix(
    model: EtiologyModel, features: FloatArray, site_ratios: FloatArray
) -> FloatArray:
    """Cases × disorders posterior, every row summing to 1 (the vectorized core)."""
    present = (features > 0).astype(np.float64)
    absent = (features < 0).astype(np.float64)
    log_post = (
        model.log_prior
        + present @ model.log_present.T
        + absent @ model.log_absent.T
        + np.log(localization_fit(model, site_ratios))
    )
    log_post -= log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post)
    result: FloatArray = post / post.sum(axis=1, keepdims=True)
    return result


def _contributions(model: EtiologyModel, features: FloatArray) -> FloatArray:
    """Disorders × features log-likelihood ratio of each known feature against its base rate."""
    present = features > 0
    absent = features < 0
    result: FloatArray = np.where(
        present,
        model.log_present - model.base_present,
        np.where(absent, model.log_absent - model.base_absent, 0.0),
    )
    return result


def _weights(
    model: EtiologyModel, contribution: FloatArray, findings: EtiologyFindings, features: FloatArray
) -> tuple[tuple[FeatureWeight, ...], tuple[FeatureWeight, ...]]:
    """The strongest features for and against one cause (one row of `_contributions`)."""
    order = np.argsort(contribution, kind="stable")
    weakest = order[:EXPLAINED_FEATURES]
    strongest = order[::-1][:EXPLAINED_FEATURES]

    def weight(col: int) -> FeatureWeight:
        feature, name = model.features[col], model.feature_names[col]
        return FeatureWeight(
            feature=feature,
            name=name,
            present=bool(features[col] > 0),
            reason=findings.reasons.get(feature)
            or (model.feature_names[col] if features[col] > 0 else f"not {name.lower()}"),
            weight=float(contribution[col]),
        )

    supporting = tuple(weight(int(c)) for c in strongest if contribution[c] >= MEANINGFUL_WEIGHT)
    against = tuple(weight(int(c)) for c in weakest if contribution[c] <= -MEANINGFUL_WEIGHT)
    return supporting, against


def _localization_note(model: EtiologyModel, row: int, ratios: FloatArray, fit: float) -> str:
    sites = [(ratios[col], model.sites[col]) for col in np.flatnonzero(model.site_weights[row])]
    best_ratio, best_site = max(sites, default=(1.0, "-"))
    shown = best_site.replace("_", " ")
    if fit >= 1.5:
        return f"the localization supports it ({shown} {best_ratio:.1f}× its prior)"
    if fit <= 0.5:
        return f"the localization argues against it (best site {shown} {best_ratio:.2f}× its prior)"
    return f"the localization neither favours nor excludes it ({shown} {best_ratio:.1f}× prior)"


def explain_causes(
    model: EtiologyModel,
    findings: EtiologyFindings,
    features: FloatArray,
    site_ratios: FloatArray,
    posterior: FloatArray,
    limit: int | None = None,
    explained: int = EXPLAINED_CAUSES,
) -> tuple[RankedCause, ...]:
    """Ranked causes of one case (1-D `features`, `site_ratios`, `posterior`).

    The first `explained` causes carry their features for and against; the long tail carries
    its probability and localization fit only, which keeps one assessment fast.
    """
    order = np.argsort(-posterior, kind="stable")
    if limit is not None:
        order = order[:limit]
    fits = localization_fit(model, site_ratios[None, :])[0]
    contributions = _contributions(model, features)
    causes: list[RankedCause] = []
    for rank, row in enumerate(order):
        supporting: tuple[FeatureWeight, ...] = ()
        against: tuple[FeatureWeight, ...] = ()
        if rank < explained:
            supporting, against = _weights(model, contributions[row], findings, features)
        causes.append(
            RankedCause(
                disorder=model.disorders[row],
                name=model.names[row],
                category=model.categories[row],
                probability=float(posterior[row]),
                supporting=supporting,
                against=against,
                localization_fit=float(fits[row]),
                localization_note=(
                    _localization_note(model, int(row), site_ratios, fits[row])
                    if rank < explained
                    else ""
                ),
            )
        )
    return tuple(causes)


def rank_causes(
    model: EtiologyModel,
    findings: EtiologyFindings,
    support: SiteSupport,
    limit: int | None = None,
) -> tuple[RankedCause, ...]:
    """The causes of one case, most probable first, each with its explanation."""
    features = feature_matrix(model, [findings])
    ratios = site_ratio_matrix(model, [support])
    posterior = posterior_matrix(model, features, ratios)[0]
    return explain_causes(model, findings, features[0], ratios[0], posterior, limit)
